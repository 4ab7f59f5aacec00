"""Batch prediction on Ray actors gives what a local run gives."""

from __future__ import annotations

import json
import shutil

import pytest

from ferkit.cli import main


@pytest.fixture()
def crops(synthetic_dir, tmp_path):
    root = tmp_path / "crops"
    for i, p in enumerate(sorted(synthetic_dir.glob("test/*/*.png"))[:40]):
        dest = root / f"part{i % 3}" / p.name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(p, dest)
    return root


def test_ray_local_gives_the_same_results(crops, tmp_path):
    pytest.importorskip("ray", reason="Ray not installed; --ray test skipped")
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    assert main(["predict", str(crops), "--no-detect", "--jsonl", str(local)]) == 0
    assert main(["predict", str(crops), "--no-detect", "--jsonl", str(remote), "--ray", "local"]) == 0
    a = [json.loads(line) for line in local.read_text().splitlines()]
    b = [json.loads(line) for line in remote.read_text().splitlines()]
    assert [r["path"] for r in a] == [r["path"] for r in b]
    assert [r["faces"][0]["label"] for r in a] == [r["faces"][0]["label"] for r in b]
