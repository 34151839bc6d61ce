"""`python -m perps_desktop`."""

import sys

from perps_desktop.cli import main

sys.exit(main())
