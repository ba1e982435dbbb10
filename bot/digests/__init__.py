"""Daily digests: the pure schedule (`next_run`), the scheduler that posts each run exactly once,
the digest's content, and the service that wires subscriptions from config and chat to the state file.

Imports `bot.analytics` and everything below it; never commands, runtime or cli.
"""
