"""The transport to Rocket.Chat: REST over one shared httpx client (`rest`, `shapes`), the realtime API
(`ddp` sans-I/O codec, `realtime` client, `backoff`), message models and deterministic ids.

Errors are mapped at this boundary into `bot.errors`; imports only `bot.errors` and `bot.config`.
"""
