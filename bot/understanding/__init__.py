"""Plain questions ("how many chats did Sales have last week?") read as the command they mean, without any
network or model: vocabularies, sentence patterns, the date grammar and fuzzy names, with a confidence below
which the bot asks back.

Sits between `bot.runtime` (which asks it) and `bot.commands` (whose commands it produces).
"""
