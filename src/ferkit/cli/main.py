"""The ``ferkit`` parser, assembled from the command modules, and the entry point."""

from __future__ import annotations

import argparse
import logging
import sys

from . import data, evaluate, predict, serve, tools, train
from .checks import Parser
from .output import err_console, plain


def build_parser() -> argparse.ArgumentParser:
    p = Parser(prog="ferkit", description="Facial expression recognition: train, evaluate, predict.")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    p.add_argument("--version", action="version", version=f"ferkit {_version()}")
    sub = p.add_subparsers(dest="command")
    for module in (data, train, evaluate, predict, serve, tools):
        module.register(sub)
    return p


def _version() -> str:
    from .. import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:  # plain `ferkit`: what it can do, rather than an error
        parser.print_help()
        return 0
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s", stream=sys.stderr)
    from ..data.dataset import DataError
    from ..extras import MissingExtra
    from ..models.meta import CheckpointError

    try:
        return int(args.func(args) or 0)
    except (DataError, CheckpointError, MissingExtra, ValueError, FileNotFoundError, FileExistsError) as exc:
        err_console.print(f"[red]ferkit: error:[/] {plain(exc)}", highlight=False, soft_wrap=True)
        return 2
    except OSError as exc:  # a file the OS refused: name it and say why, in one line
        where = f"{exc.filename}: " if exc.filename else ""
        err_console.print(f"[red]ferkit: error:[/] {plain(where + (exc.strerror or str(exc)))}", highlight=False)
        return 2
    except KeyboardInterrupt:
        err_console.print("ferkit: interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
