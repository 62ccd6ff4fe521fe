"""The crisis domain: plan, chain of command, commands and use cases.

Nothing in this package may import a chat SDK, a web framework or a UI library; adapters do the
translation. ``tests/core/test_boundaries.py`` enforces it.
"""
