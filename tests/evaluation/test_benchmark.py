"""``ferkit benchmark``: every set at hand in one table; photos run end to end and a photo without a face
found is wrong; sets that are missing are named, not silently dropped."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from ferkit.cli.main import main
from ferkit.evaluation.benchmark import run_benchmark, to_markdown
from ferkit.inference.bench import sample_photo
from ferkit.labels import CLASSES, FERPLUS_CLASSES


@pytest.fixture(scope="module")
def cross(tmp_path_factory):
    """A set of two photos: Grace Hopper filed as happy (a face is found) and a blank one filed as sad."""
    root = tmp_path_factory.mktemp("cross")
    (root / "mini" / "happy").mkdir(parents=True)
    (root / "mini" / "sad").mkdir(parents=True)
    (root / "mini" / "happy" / "hopper.jpg").write_bytes(sample_photo().read_bytes())
    Image.fromarray(np.full((200, 200), 128, np.uint8)).save(root / "mini" / "sad" / "blank.png")
    return root


def test_crop_benchmarks_and_a_photo_set_in_one_table(fer_slice_zip, cross):
    res = run_benchmark("default", fer2013=fer_slice_zip, cross=cross, backend="onnx")
    rows = {r["benchmark"]: r for r in res["rows"]}
    crops = [f"{labels} {split}" for labels in ("FER2013", "FER+") for split in ("PrivateTest", "PublicTest")]
    assert list(rows) == [*crops, "mini (photos)"]
    assert rows["FER2013 PrivateTest"]["n"] == 210 and len(rows["FER2013 PrivateTest"]["recall"]) == 7
    assert rows["FER+ PrivateTest"]["n"] < 210  # faces without a majority (and contempt) are not scored
    mini = rows["mini (photos)"]
    assert (mini["n"], mini["no_face"]) == (2, 1) and mini["recall"]["sad"] == 0.0  # no face: wrong
    assert set(mini["recall"]) == {"happy", "sad"}  # scored on the classes the set has
    assert mini["accuracy"] == mini["recall"]["happy"] / 2
    assert res["skipped"] == []
    text = to_markdown(res)
    assert "| FER+ PrivateTest |" in text and "end to end" in text
    # The default's rule in one line: the mean of the photo sets' macro-recall and FER+ PublicTest's neutral.
    c = res["choice"]
    neutral = rows["FER+ PublicTest"]["recall"]["neutral"]
    assert c["fer2013_publictest"] == rows["FER2013 PublicTest"]["accuracy"]
    assert c["real_face_score"] == round((mini["macro_recall"] + neutral) / 2, 4)
    assert f"real-face score {c['real_face_score']:.4f}" in text


def test_an_eight_class_model_is_scored_on_the_classes_each_set_has(fer_slice_zip):
    res = run_benchmark("ferplus", fer2013=fer_slice_zip, backend="onnx", precision="int8")
    rows = {r["benchmark"]: r for r in res["rows"]}
    assert set(rows["FER2013 PrivateTest"]["recall"]) == set(CLASSES)  # FER2013 has no contempt
    assert set(rows["FER+ PrivateTest"]["recall"]) == set(FERPLUS_CLASSES)
    assert res["precision"] == "int8" and "(int8)" in to_markdown(res)


def test_missing_sets_are_named_and_the_cli_writes_both_files(tmp_path, capsys):
    res = run_benchmark("default", fer2013=tmp_path / "absent.zip", cross=None)
    assert res["rows"] == [] and any("absent.zip" in s for s in res["skipped"]) and len(res["skipped"]) == 2
    assert res["choice"] is None and "For choosing" not in to_markdown(res)
    out = tmp_path / "bm"
    assert main(["benchmark", "--data", str(tmp_path / "absent.zip"), "--out", str(out), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((out / "benchmark.json").read_text())
    assert "skipped: cross-dataset photos" in (out / "benchmark.md").read_text()
