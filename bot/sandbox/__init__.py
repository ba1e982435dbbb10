"""A local Rocket.Chat-compatible server: REST, realtime (DDP) and Omnichannel analytics.

It stands apart from the bot (imports nothing from the rest of `bot/`) so that it is an independent
oracle for the bot's tests: a protocol misunderstanding cannot hide on both sides of a test.
"""

from .data import DataError, load_document, load_file
from .server import Sandbox, sandbox_in_thread
from .store import Store

__all__ = ["DataError", "Sandbox", "Store", "load_document", "load_file", "sandbox_in_thread"]
