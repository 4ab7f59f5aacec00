"""The one decoder: every format and mode of a real photo, bytes, arrays, PIL; bad input named and coded."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from ferkit.data.decode import ImageError, Video, load_image, to_gray

from ..conftest import PHOTO_FILES, write_video


@pytest.mark.parametrize("name", PHOTO_FILES)
def test_every_format_and_mode_decodes_upright(photo_dir, hopper, name):
    img = load_image(photo_dir / name)
    assert img.dtype == np.uint8 and img.shape == hopper.shape  # EXIF rotation undone


def test_bytes_arrays_and_pil_images(photo_dir, hopper):
    data = (photo_dir / "rgb.jpg").read_bytes()
    assert np.array_equal(load_image(data), load_image(photo_dir / "rgb.jpg"))
    assert load_image(hopper[..., 0]).shape == hopper.shape[:2]  # grey arrays stay grey
    rgba = np.dstack([hopper, np.full(hopper.shape[:2], 255, np.uint8)])
    assert np.array_equal(load_image(rgba), hopper)
    assert np.array_equal(load_image(Image.fromarray(hopper)), hopper)
    assert to_gray(hopper).shape == hopper.shape[:2]


@pytest.mark.parametrize(
    "name,message,code",
    [
        ("not_an_image.jpg", "not an image", "not_an_image"),
        ("empty.png", "empty file", "empty_image"),
        ("truncated.jpg", "truncated", "bad_image"),
        ("bomb.png", "too large to decode safely", "too_many_pixels"),
        ("missing.jpg", "no such file", "no_file"),
    ],
)
def test_bad_files_raise_clear_errors(bad_dir, name, message, code):
    with pytest.raises(ImageError, match=message) as exc:
        load_image(bad_dir / name)
    assert str(bad_dir / name) in str(exc.value) and exc.value.code == code


def test_bad_bytes_and_arrays(hopper):
    with pytest.raises(ImageError, match="upload.png: empty upload"):
        load_image(b"", name="upload.png")
    with pytest.raises(ImageError, match="exceeds the limit of 10") as exc:
        load_image(b"x" * 11, max_bytes=10)
    assert exc.value.code == "too_large"
    with pytest.raises(ImageError, match="expected a uint8 image array, got float32"):
        load_image(hopper.astype(np.float32))
    with pytest.raises(ImageError, match="expected an"):
        load_image(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ImageError, match="too large to decode safely"):
        load_image(hopper, max_pixels=1000)
    with pytest.raises(TypeError, match="cannot read an image from int"):
        load_image(3)


def test_video_frames(hopper, tmp_path, bad_dir):
    path = write_video(tmp_path / "v.mp4", hopper[:480, :500], n=12, fps=24)
    with Video(path) as v:
        assert v.fps == 24 and v.frame_count == 12 and v.size == (500, 480)
        frames = list(v.frames(step=3))
    assert [i for i, _ in frames] == [0, 3, 6, 9] and frames[0][1].shape == (480, 500, 3)
    with pytest.raises(ImageError, match="cannot open video"):
        Video(bad_dir / "broken.mp4")


def _pillow_rgb(path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def test_plain_jpegs_decode_by_opencv_to_pillows_pixels(photo_dir, bad_dir, hopper, tmp_path):
    from pathlib import Path

    from ferkit.data.decode import _decode_plain_jpeg

    Image.fromarray(hopper).convert("L").save(tmp_path / "gray.jpg")
    Image.fromarray(hopper).save(tmp_path / "progressive.jpg", progressive=True, quality=80)
    bench = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "faces-bench" / "images"
    plain = [photo_dir / "rgb.jpg", photo_dir / "nested" / "small.jpg", tmp_path / "gray.jpg"]
    plain += [tmp_path / "progressive.jpg", *sorted(bench.rglob("*.jpg"))[:20]]
    for path in plain:
        with Image.open(path) as im, open(path, "rb") as fh:
            assert _decode_plain_jpeg(im, fh) is not None, path  # the OpenCV path is the one taken
        assert np.array_equal(load_image(path), _pillow_rgb(path)), path
    for path in (photo_dir / "exif_rotated.jpg", bad_dir / "truncated.jpg"):  # left to Pillow
        with Image.open(path) as im, open(path, "rb") as fh:
            assert _decode_plain_jpeg(im, fh) is None, path
