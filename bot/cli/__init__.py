"""The entry points: `run` and `check` (`main`), `ask`, `demo`, `digest preview`. `bot/__main__.py`
parses the command line and imports these lazily.

Top of the stack: may import anything in `bot`, and only here (`demo`) the sandbox.
"""
