"""Fine-tuning the shipped model on a small real folder dataset with its own label set."""

from __future__ import annotations

import json
import shutil

import pytest

pytest.importorskip("torch", reason="PyTorch not installed (ferkit[train]); training tests skipped")

from ferkit.cli import main  # noqa: E402


def test_finetune_new_classes_beats_scratch(fer_slice_dir, tmp_path):
    # A user's own labels: real FER2013 faces regrouped as "positive" / "negative" (a new head is needed).
    groups = {"happy": "positive", "surprise": "positive", "angry": "negative", "sad": "negative"}
    root = tmp_path / "mydata"
    for p in fer_slice_dir.rglob("*.jpg"):
        split = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}[p.name.split("_")[0]]
        if p.parent.name in groups:
            dest = root / split / groups[p.parent.name] / p.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, dest)
    out = tmp_path / "ft"
    assert main(f"finetune --from default --data {root} --out {out} --epochs 3 --batch-size 32 --seed 0".split()) == 0
    rep = json.loads((out / "finetune.json").read_text())
    assert rep["finetuned"]["classes"] == ["negative", "positive"] and rep["finetuned"]["split"] == "test"
    # 120 training images: the pretrained features carry over, training from scratch cannot catch up.
    assert rep["finetuned"]["accuracy"] > 0.75
    assert rep["gain_accuracy"] > 0.1, rep


def test_finetune_frozen_backbone_keeps_head_for_known_classes(fer_slice_zip, tmp_path):
    import torch

    from ferkit.models.checkpoint import load_checkpoint
    from ferkit.training.finetune import finetune, finetune_config

    head_only = dict(classes="happy,sad", epochs=1, freeze_backbone=True, batch_size=32)
    cfg = finetune_config("default", str(fer_slice_zip), str(tmp_path / "f"), **head_only)
    rep = finetune(cfg, compare_scratch=False, progress=False)
    tuned, base = load_checkpoint(rep["finetuned"]["checkpoint"]), load_checkpoint("default")
    # Frozen backbone: every weight but the head's is unchanged (BN statistics may move).
    changed = [
        k
        for k, v in tuned.model.state_dict().items()
        if "running" not in k and "num_batches" not in k and not torch.equal(v, base.model.state_dict()[k])
    ]
    head = [n for n, m in tuned.model.named_modules() if isinstance(m, torch.nn.Linear)][-1]
    assert changed and all(k.startswith(head + ".") for k in changed)
    assert rep["finetuned"]["accuracy"] > 0.7  # happy vs sad, with the original head rows kept


def test_finetune_the_tiny_model_to_new_classes(tiny_ckpt, synthetic_dir, tmp_path):
    """Runs anywhere: the tiny synthetic model adapted to a user's two new classes."""
    from ferkit.training.finetune import finetune, finetune_config

    groups = {"angry": "left", "disgust": "left", "happy": "right", "neutral": "right"}
    root = tmp_path / "mine"
    for p in synthetic_dir.rglob("*.png"):
        if p.parent.name in groups:
            split = {"Training": "train", "PublicTest": "val", "PrivateTest": "test"}[p.name.split("_")[0]]
            dest = root / split / groups[p.parent.name] / p.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(p, dest)
    cfg = finetune_config(str(tiny_ckpt), str(root), str(tmp_path / "ft"), epochs=2, batch_size=20)
    rep = finetune(cfg, progress=False)
    assert rep["finetuned"]["classes"] == ["left", "right"] and rep["finetuned"]["split"] == "test"
    assert rep["finetuned"]["accuracy"] > 0.8 and "gain_accuracy" in rep
