"""Alerts: live thresholds watched on the `!now` figures, with a pending duration, a recovery threshold and
a cooldown, posted as one incident message that is edited in place and resolved in its thread, exactly once.

The evaluation core is pure; the runner polls through the shared analytics layer. Imports `bot.analytics`
and everything below it; never commands, runtime or cli.
"""
