"""What we ask Rocket.Chat's Omnichannel analytics endpoints and the typed answers: the service, the
metric catalogue (`metrics`), and the sharing of identical requests (`sharing`).

Imports `bot.rocketchat` (through a source protocol), `bot.dates`, `bot.replies`, `bot.config`, `bot.errors`.
"""
