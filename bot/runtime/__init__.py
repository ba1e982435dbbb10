"""The path from a realtime event to a sent reply: app wiring (`app`), message filtering (`pipeline`),
the asker's access by their own roles (`access`) and the dispatcher that answers each command once.

Imports `bot.commands` and everything below it.
"""
