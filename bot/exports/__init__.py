"""Exports: the rows behind the replies (one line per conversation from `livechat/rooms`, a chart's series,
the agents table) written as CSV or Excel files, safe to open in a spreadsheet.

Imports `bot.analytics` and everything below it; never commands, runtime or cli.
"""
