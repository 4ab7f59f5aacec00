"""Videos and streams: tracked ids, smoothed probabilities, sampling, annotation, a DataFrame."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ferkit.inference.bench import frame_640x480
from ferkit.inference.pipeline import Recognizer
from ferkit.inference.video import Tracker, iou

from ..conftest import write_video


@pytest.fixture(scope="module")
def rec() -> Recognizer:
    return Recognizer.from_pretrained()


def test_video_tracks_and_smooths(rec, hopper, tmp_path):
    video = write_video(tmp_path / "clip.mp4", frame_640x480(hopper))
    res = rec.predict_video(video, annotate_to=tmp_path / "ann.mp4", smoothing=0.6)
    assert res.summary["frames_sampled"] == 40 and res.summary["frames_with_faces"] >= 36
    df = res.to_pandas()
    assert set(df["track_id"]) == {1}  # one face, one stable id
    times = list(df["time_s"])
    assert times == sorted(times) and times[-1] == pytest.approx(39 / 20)
    # The best encoder this OpenCV build has: H.264, else VP8 in WebM (browsers play both; PyPI's OpenCV
    # wheels have no H.264 encoder), never silently MPEG-4 Part 2 while a browser-playable one exists.
    assert res.annotated_codec in ("H.264", "VP8 (WebM)") and res.to_dict()["annotated_codec"] == res.annotated_codec
    assert res.annotated == str(tmp_path / ("ann.mp4" if res.annotated_codec == "H.264" else "ann.webm"))
    cap = cv2.VideoCapture(res.annotated)
    frames = 0
    while cap.read()[0]:
        frames += 1
    assert frames == 40
    assert "faces" in res.to_dict() and "rows" not in res.to_dict()  # the same key as an image's
    half = rec.predict_video(video, sample_fps=10)
    assert half.summary["frames_sampled"] == 20 and half.frames[1].frame - half.frames[0].frame == 2


def test_stream_api_for_cameras(rec, hopper):
    frames = [frame_640x480(hopper)] * 6
    out = list(rec.track(iter(frames)))
    assert len(out) == 6 and all(len(faces) == 1 and faces[0].track_id == 1 for _, faces in out)


def test_tracker_smoothing_stops_flicker():
    t = Tracker(smoothing=0.6)
    a, b = np.array([[0.6, 0.4]]), np.array([[0.45, 0.55]])
    raw = [a if i % 3 else b for i in range(1, 31)]  # a true expression, misread every third frame
    labels = [int(t.update([(10, 10, 50, 50)], p)[0][1].argmax()) for p in raw]
    assert {int(p.argmax()) for p in raw} == {0, 1} and set(labels) == {0}
    ids = [t.update([(12, 10, 50, 50), (200, 200, 40, 40)], np.vstack([a, b]))[k][0] for k in (0, 1)]
    assert ids[0] == 1 and ids[1] == 2
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == pytest.approx(1 / 3)
