"""Stage 9 — the ``ferkit`` command: parses arguments, calls the library, prints. No logic of its own.

One module per command group (``data``, ``train``, ``evaluate``, ``predict``, ``serve``, ``tools``), each
with a ``register(subparsers)`` that adds its commands; ``main`` assembles them. To add a command, write
its parser and a ``cmd_*`` function in the fitting module. Nothing here imports torch until a command
that needs it runs, so ``ferkit --help`` is fast and works without it.
"""

from .main import main

__all__ = ["main"]
