"""Batch prediction on Ray actors gives what a local run gives."""

from __future__ import annotations

import json

import pytest

from ferkit.cli import main

from ..conftest import nested_copy


@pytest.fixture()
def crops(synthetic_dir, tmp_path):
    return nested_copy(sorted(synthetic_dir.glob("test/*/*.png"))[:40], tmp_path / "crops")


def test_ray_local_gives_the_same_results(crops, tmp_path):
    pytest.importorskip("ray", reason="Ray not installed; --ray test skipped")
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert main(["predict", str(crops), "--no-detect", "--jsonl", str(local)]) == 0
    assert main(["predict", str(crops), "--no-detect", "--jsonl", str(remote), "--ray", "local"]) == 0
    a = [json.loads(line) for line in local.read_text().splitlines()]
    b = [json.loads(line) for line in remote.read_text().splitlines()]
    assert [r["path"] for r in a] == [r["path"] for r in b]
    assert [r["faces"][0]["label"] for r in a] == [r["faces"][0]["label"] for r in b]
