"""Chat commands: the registry (`router`), argument parsing (`args`) and the handlers, one module per family.

Imports `bot.digests`, `bot.analytics` and everything below them; never runtime or cli.
"""
