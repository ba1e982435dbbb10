"""How results look in chat: escaping and code spans (`markup`), durations, changes, sparklines and tables
(`figures`), PNG chart pictures (`pictures`, matplotlib off the event loop).

Pure presentation of plain values: it knows nothing of Rocket.Chat or analytics. Imports only `bot.errors`.
"""
