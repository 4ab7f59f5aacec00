"""Where the CLI prints: results to stdout, progress and messages to stderr."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.markup import escape

console = Console()
err_console = Console(stderr=True)


def plain(value: object) -> str:
    """Text from the user's world (paths, error messages) made safe to print: ``[train]`` stays literal."""
    return escape(str(value))


def print_json(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")


def progress(label: str, total: int):
    """A transient progress bar on stderr, shown only on a terminal and for more than one item."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()
    return Progress(*columns, console=err_console, transient=True, disable=total < 2 or not err_console.is_terminal)
