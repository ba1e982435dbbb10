"""Date ranges as people type them ("last week", "since monday", "1 May - 3 May") resolved in a time zone.

Pure: `grammar` parses, `rules` holds the phrase rules, `calendar` the week/month/quarter arithmetic.
Imports `bot.replies.markup` (user text is echoed by its one rule) and `bot.errors`.
"""
