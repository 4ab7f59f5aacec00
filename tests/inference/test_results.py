"""Results as data: dicts for JSON, one row per face for CSV and DataFrames."""

from __future__ import annotations

import numpy as np

from ferkit.inference.results import FrameFace, ImageResult, VideoResult, face_columns, face_rows, make_face, to_pandas

CLASSES = ("happy", "sad")


def _face(track_id=None):
    probs = np.array([0.7, 0.3])
    return make_face(
        (1, 2, 30, 40), probs, CLASSES, 0.9, track_id=track_id, uncertain_below=0.8, keypoints=[(10, 12), (20, 12)]
    )


def test_face_and_image_result():
    f = _face()
    assert f.label == "happy" and f.confidence == np.float32(0.7) and f.uncertain
    d = f.to_dict()
    assert d["box"] == [1, 2, 30, 40] and d["keypoints"] == [[10.0, 12.0], [20.0, 12.0]] and d["uncertain"]
    r = ImageResult(path="a.jpg", width=64, height=48, faces=[f, f])
    assert len(r) == 2 and r[0] is f and list(r) == [f, f]
    assert r.to_dict()["faces"][1]["label"] == "happy" and r.to_dict()["kind"] == "image"


def test_rows_and_dataframes():
    img = ImageResult(path="a.jpg", faces=[_face()])
    empty = ImageResult(path="b.jpg", status="no_face", error="b.jpg: no face found")
    video = VideoResult(path="v.mp4", frames=[FrameFace(0, 0.0, _face(1)), FrameFace(2, 0.08, _face(1))])
    rows = face_rows(img)
    assert rows[0]["p_happy"] == np.float32(0.7) and rows[0]["keypoints"] == "10.0,12.0 20.0,12.0"
    assert set(rows[0]) <= set(face_columns(CLASSES))
    df = to_pandas([img, empty, video])
    assert len(df) == 4 and list(df["status"]) == ["ok", "no_face", "ok", "ok"]
    assert list(video.to_pandas()["frame"]) == [0, 2] and set(video.to_pandas()["track_id"]) == {1}
    assert img.to_pandas().loc[0, "label"] == "happy"
