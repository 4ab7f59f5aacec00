"""Optional dependencies are named clearly when missing."""

from __future__ import annotations

import pytest

from ferkit import extras


def test_missing_torch_is_a_clear_message(monkeypatch):
    monkeypatch.setattr(extras, "has_torch", lambda: False)
    with pytest.raises(extras.MissingExtra, match=r"ferkit train needs PyTorch.*pip install 'ferkit\[train\]'"):
        extras.require_torch("ferkit train")
    assert issubclass(extras.MissingExtra, ImportError)
