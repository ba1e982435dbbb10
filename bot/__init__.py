"""rocketchat-analytics-bot: Omnichannel analytics for Rocket.Chat managers, in chat.

One start-up decision lives here because it must run before anything imports httpx: httpx's package imports
its command-line tool (`httpx._main`), which loads click, rich and pygments whenever they are installed — and
they usually are next to uvicorn or dev tools. The bot never runs that tool; not loading it keeps 5.5 MB and
~90 modules out of every bot process (bench/latency.py reads the resident memory after connecting).
"""

import sys

if "httpx" not in sys.modules:  # too late once httpx is in: then it has its tool, and nothing changes
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]  # None means "cannot be imported"
