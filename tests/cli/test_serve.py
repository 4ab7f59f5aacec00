"""``ferkit serve``: the flags reach the app (the server itself is exercised in tests/serving)."""

from __future__ import annotations

from ferkit.cli import serve as serve_cli
from ferkit.cli.main import build_parser


def test_serve_flags_become_limits(monkeypatch):
    seen = {}
    monkeypatch.setattr("ferkit.serving.app.serve", lambda weights, **kw: seen.update(weights=weights, **kw))
    args = build_parser().parse_args(
        ["serve", "--port", "9", "--max-upload-mb", "1", "--concurrency", "3", "--timeout", "5", "--backend", "torch"]
    )
    assert serve_cli.cmd_serve(args) == 0
    limits = seen["limits"]
    assert seen["port"] == 9 and seen["backend"] == "torch" and seen["host"] == "127.0.0.1"
    assert (limits.max_upload_bytes, limits.max_concurrency, limits.timeout_s) == (1024 * 1024, 3, 5.0)
