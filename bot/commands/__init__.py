"""Chat commands: the registry (router.py) and the handlers, one module per family."""
