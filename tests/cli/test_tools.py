"""``ferkit models``, ``export`` and ``bench`` from the command line."""

from __future__ import annotations

import json

import pytest

from ferkit.cli import main


def test_models_lists_architectures_and_shipped(capsys):
    assert main(["models", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "resnet18" in out["architectures"] and "default" in out["shipped"]
    assert out["shipped"]["default"]["metrics"]["test_acc"] > 0.62
    assert out["shipped"]["default-3class"]["classes"] == ["happy", "neutral", "sad"]


def test_models_table(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "Shipped models" in out and "default" in out


def test_export_writes_a_checked_onnx(tiny_ckpt, tmp_path, capsys):
    pytest.importorskip("torch")
    from ferkit.models.meta import read_meta

    out = tmp_path / "t.onnx"
    assert main(["export", "--weights", str(tiny_ckpt), "--out", str(out)]) == 0
    assert "logit difference" in capsys.readouterr().out and read_meta(out)["model"] == "cnn"


def test_bench_json(capsys):
    assert main(["bench", "--quick", "--json", "--backend", "onnx"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["backends"]["onnx"]["faces_in_photo"] == 1


def test_export_an_ensemble_member_by_member_then_predict_with_it(tiny_ckpt, tmp_path, capsys):
    pytest.importorskip("torch")
    out = tmp_path / "ens.onnx"
    assert main(["export", "--weights", f"{tiny_ckpt},default", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "ens-0.onnx").is_file() and (tmp_path / "ens-1.onnx").is_file()
    weights = printed.split("--weights ")[-1].split()[0]
    from ferkit.models.model import load_model

    assert load_model(weights).name.endswith("+default")
