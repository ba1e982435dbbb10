"""The state file: what must survive a restart (chat-made digest subscriptions, digest runs), in SQLite.

Owns the schema, its versions and atomic changes. Imports only `bot.errors`.
"""
