"""The trace store: every decision the bot makes, recorded off the loop and read back fast, in an
SQLite file or (a URL: `TraceStoreConfig.url`) a PostgreSQL database several cores share.

`TraceStore` implements `core.ports.TraceSink`; `app/` builds it from `TraceStoreConfig.from_settings`
and closes it at exit (which commits every queued trace). `perps-desktop traces` is `store.cli`.
"""

from perps_desktop.store.codec import decode_payload
from perps_desktop.store.schema import SCHEMA_VERSION
from perps_desktop.store.store_config import TraceStoreConfig
from perps_desktop.store.trace_store import StoreState, TraceStore, TraceStoreStats

__all__ = [
    "SCHEMA_VERSION",
    "StoreState",
    "TraceStore",
    "TraceStoreConfig",
    "TraceStoreStats",
    "decode_payload",
]
