"""perps-desktop: a trading core and a Qt monitoring window for a Hyperliquid perp bot."""

__version__ = "0.1.0"
__all__ = ["__version__"]
