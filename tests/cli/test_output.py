"""CLI output helpers."""

from __future__ import annotations

import json

from ferkit.cli.output import print_json, progress


def test_print_json_and_quiet_progress(capsys):
    print_json({"a": [1, 2]})
    assert json.loads(capsys.readouterr().out) == {"a": [1, 2]}
    with progress("x", 5) as bar:  # not a terminal: disabled, but usable
        bar.advance(bar.add_task("x", total=5))
