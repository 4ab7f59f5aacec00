"""``ferkit data report`` as a user runs it."""

from __future__ import annotations

import json

from ferkit.cli import main


def test_data_report_json_and_grid(fer_slice_zip, tmp_path, capsys):
    assert main(["data", "report", str(fer_slice_zip), "--json", "--grid", str(tmp_path / "g.png")]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["total"] == 630 and rep["counts"]["val"]["disgust"] == 30
    assert rep["imbalance_ratio"] == 1.0 and "groups_across_splits" in rep["duplicates"]
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


def test_data_report_table_on_synthetic_data(synthetic_dir, capsys):
    assert main(["data", "report", str(synthetic_dir)]) == 0
    out = capsys.readouterr().out
    assert "350 images" in out and "imbalance (largest/smallest train class): 1.0x" in out
    assert "within a split: train " in out and "{" not in out  # prose, not a Python dict


def test_data_pack_writes_a_pack_that_reads_back(fer_slice_zip, tmp_path, capsys):
    out = tmp_path / "fer.npz.xz"
    assert main(["data", "pack", str(fer_slice_zip), "--out", str(out)]) == 0
    # The slice's train split holds 3 images that FER2013 also has elsewhere: dropped by default.
    assert "train 207, val 210 images" in " ".join(capsys.readouterr().out.split())
    assert main(["data", "report", str(out), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["total"] == 417 and set(rep["counts"]) == {"train", "val"}


def test_data_report_with_ferplus(fer_slice_zip, tmp_path, capsys):
    assert main(["data", "report", str(fer_slice_zip), "--ferplus", "--grid", str(tmp_path / "g.png"), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert set(rep["ferplus"]["splits"]) == {"train", "val", "test"} and (tmp_path / "g-ferplus.png").is_file()
    assert main(["data", "report", str(fer_slice_zip), "--ferplus"]) == 0
    out = capsys.readouterr().out
    assert "FER+ test: " in out and "faces kept by majority vote" in out and "agrees with FER2013's label" in out
