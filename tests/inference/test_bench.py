"""``ferkit bench`` runs every measure end to end (its numbers go to docs/benchmarks.md, not assertions)."""

from __future__ import annotations

from ferkit.inference.bench import frame_640x480, run_benchmarks, sample_photo


def test_quick_bench_on_onnx(hopper):
    res = run_benchmarks(backends=["onnx"], quick=True)
    r = res["backends"]["onnx"]
    assert r["faces_in_photo"] == 1 and r["video_frames_with_faces"] == 20
    assert all(r[k] > 0 for k in ("faces_per_s_batch1", "faces_per_s_batch256", "photo_ms", "video_fps"))
    assert frame_640x480(hopper).shape == (480, 640, 3) and sample_photo().name == "grace_hopper.jpg"
