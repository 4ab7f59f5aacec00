"""CLI output helpers."""

from __future__ import annotations

import json

from ferkit.cli.output import print_json, progress


def test_print_json_and_quiet_progress(capsys):
    print_json({"a": [1, 2]})
    assert json.loads(capsys.readouterr().out) == {"a": [1, 2]}
    with progress("x", 5) as bar:  # not a terminal: disabled, but usable
        bar.advance(bar.add_task("x", total=5))
    assert bar.disable and capsys.readouterr().err == ""  # nothing drawn into a pipe or a log


def test_progress_draws_on_a_terminal_for_more_than_one_item(monkeypatch):
    import io

    from rich.console import Console

    from ferkit.cli import output

    screen = io.StringIO()
    monkeypatch.setattr(output, "err_console", Console(file=screen, force_terminal=True, width=80))
    with output.progress("predict", 3) as bar:
        task = bar.add_task("predict", total=3)
        bar.advance(task, 2)
        bar.refresh()
        drawn = screen.getvalue()
    assert not bar.disable and "predict" in drawn and "2/3" in drawn
    with output.progress("predict", 1) as one:  # one item: no bar for it
        assert one.disable
