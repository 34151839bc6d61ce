"""The trading core: asyncio only, no Qt, no I/O of its own."""
