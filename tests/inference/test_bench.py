"""``ferkit bench`` runs every measure end to end (its numbers go to docs/benchmarks.md, not assertions)."""

from __future__ import annotations

from ferkit.inference.bench import frame_640x480, run_benchmarks, sample_photo


def test_quick_bench_measures_what_it_says(hopper, monkeypatch):
    """Each figure times the work it names: the photo measure runs the whole photo path on the real photo
    (one face found), the video measure tracks a face through every frame, and the crop measures push
    1 and 256 faces through the network. Timings themselves belong in docs/benchmarks.md."""
    import math

    from ferkit.inference.pipeline import Recognizer

    calls = {"faces": [], "photos": 0}
    real_faces, real_predict = Recognizer.predict_faces, Recognizer.predict

    def count_faces(self, faces, *more):
        calls["faces"].append(len(faces))
        return real_faces(self, faces, *more)

    def count_photos(self, image, **kw):
        calls["photos"] += 1
        return real_predict(self, image, **kw)

    monkeypatch.setattr(Recognizer, "predict_faces", count_faces)
    monkeypatch.setattr(Recognizer, "predict", count_photos)
    res = run_benchmarks(backends=["onnx"], quick=True)
    r = res["backends"]["onnx"]
    assert res["model"] == "default" and list(res["backends"]) == ["onnx"] and "CPUs" in res["machine"]
    assert set(r) == {
        *"faces_per_s_batch1 faces_per_s_batch256 photo_ms faces_in_photo video_fps".split(),
        "video_frames_with_faces",
    }
    assert r["faces_in_photo"] == 1 and r["video_frames_with_faces"] == 20  # every frame of the clip
    assert all(
        math.isfinite(r[k]) and r[k] > 0
        for k in ("faces_per_s_batch1", "faces_per_s_batch256", "photo_ms", "video_fps")
    )
    assert {1, 256} <= set(calls["faces"]) and calls["photos"] >= 2  # the crops and the photo were run
    assert frame_640x480(hopper).shape == (480, 640, 3) and sample_photo().name == "grace_hopper.jpg"
