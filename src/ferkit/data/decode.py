"""The one image decoder: files, bytes, numpy arrays, PIL images and video frames → uint8 arrays, and the
one resize of grey faces (:func:`fit_gray`).

Everything decodes here — dataset readers, the Python API, ``ferkit predict``, the REST service, videos —
so the safety limits hold everywhere: the pixel count is checked from the header before any pixel is
decoded, and every failure is an :class:`ImageError` naming the input and the problem, with a short
``code`` the service turns into its JSON error.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: Refuse images above this many pixels before decoding them (decompression bombs).
MAX_PIXELS = 50_000_000
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".pgm", ".ppm"}
VIDEO_SUFFIXES = {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv"}


class ImageError(ValueError):
    """An image that cannot be used; the message names the input and the problem.

    ``code`` is one of ``no_file``, ``not_a_file``, ``empty_image``, ``too_large`` (bytes), ``too_many_pixels``,
    ``not_an_image``, ``bad_image``, ``bad_array``, ``bad_video``."""

    def __init__(self, message: str, code: str = "bad_image") -> None:
        super().__init__(message)
        self.code = code


def to_rgb_array(im: Image.Image) -> np.ndarray:
    """A PIL image in any mode (L, RGB, RGBA, P, I;16, CMYK ...) → uint8 RGB ``(H, W, 3)``.

    Copies are avoided where Pillow would make them for nothing (an upright photo, an RGB image): a
    25-megapixel upload then peaks at about two copies of its pixels instead of four."""
    if im.getexif().get(0x0112, 1) != 1:  # an EXIF orientation that needs turning
        im = ImageOps.exif_transpose(im)
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float32)
        hi = 65535.0 if im.mode.startswith("I;16") or arr.max() > 255 else 255.0
        im = Image.fromarray((arr * (255.0 / hi)).clip(0, 255).astype(np.uint8))
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, rgba)
    return np.asarray(im if im.mode == "RGB" else im.convert("RGB"), dtype=np.uint8)


def load_image(
    source: Any, *, name: str | None = None, max_pixels: int = MAX_PIXELS, max_bytes: int | None = None
) -> np.ndarray:
    """Decode ``source`` — a path, encoded bytes, a uint8 array or a PIL image — to a uint8 array:
    RGB ``(H, W, 3)``, or grey ``(H, W)`` for a grey array. Raises :class:`ImageError`."""
    if isinstance(source, (str, os.PathLike)):
        return _decode_file(Path(source), max_pixels)
    label = name or "image"
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data:
            raise ImageError(f"{label}: empty upload", "empty_image")
        if max_bytes is not None and len(data) > max_bytes:
            raise ImageError(f"{label}: {len(data)} bytes exceeds the limit of {max_bytes}", "too_large")
        return _decode_stream(io.BytesIO(data), label, max_pixels)
    if isinstance(source, np.ndarray):
        return _check_array(source, label, max_pixels)
    if isinstance(source, Image.Image):
        _check_pixels(source.size, label, max_pixels)
        return to_rgb_array(source)
    raise TypeError(f"cannot read an image from {type(source).__name__}")


def check_regular_file(path: Path) -> None:
    """Raise :class:`ImageError` unless ``path`` is a regular file: missing, a folder and a FIFO or device
    each get their own words (a FIFO would block a read forever)."""
    if path.is_file():
        return
    if not path.exists():
        raise ImageError(f"{path}: no such file", "no_file")
    kind = "a folder" if path.is_dir() else "not a regular file (a FIFO, socket or device)"
    raise ImageError(f"{path}: is {kind}", "not_a_file")


def _decode_file(path: Path, max_pixels: int) -> np.ndarray:
    check_regular_file(path)
    if path.stat().st_size == 0:
        raise ImageError(f"{path}: empty file (0 bytes)", "empty_image")
    with open(path, "rb") as fh:
        return _decode_stream(fh, str(path), max_pixels)


def _check_pixels(size: tuple[int, int], label: str, max_pixels: int) -> None:
    w, h = size
    if w * h > max_pixels:
        raise ImageError(
            f"{label}: {w}x{h} image is too large to decode safely ({w * h / 1e6:.1f} MP, "
            f"limit {max_pixels / 1e6:.1f} MP)",
            "too_many_pixels",
        )


def _decode_stream(stream: io.IOBase, label: str, max_pixels: int) -> np.ndarray:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stream) as im:
                _check_pixels(im.size, label, max_pixels)
                fast = _decode_plain_jpeg(im, stream)
                if fast is not None:
                    return fast
                im.load()
                return to_rgb_array(im)
    except ImageError:
        raise
    except UnidentifiedImageError:
        raise ImageError(f"{label}: not an image (unrecognised format)", "not_an_image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(f"{label}: image too large to decode safely ({exc})", "too_many_pixels") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageError(f"{label}: unreadable or truncated image ({exc})", "bad_image") from None


def _decode_plain_jpeg(im: Image.Image, stream: io.IOBase) -> np.ndarray | None:
    """The common photo — a complete, upright RGB or grey JPEG — decoded by OpenCV, else None.

    Both libraries decode with libjpeg-turbo's defaults and give the same pixels (checked on the 309
    JPEGs of ../shared, and by a test), but OpenCV writes straight into the array while Pillow decodes
    into its own buffer and copies it out: a 640×480 photo's end-to-end prediction was 5% faster
    (docs/benchmarks.md). Anything else — EXIF-rotated, CMYK, truncated (no end-of-image marker, which
    OpenCV would decode as grey rows instead of failing) — goes through Pillow as before."""
    if im.format != "JPEG" or im.mode not in ("RGB", "L") or im.getexif().get(0x0112, 1) != 1:
        return None
    stream.seek(0)
    data = stream.read()
    if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return None
    import cv2

    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if bgr is None or bgr.shape[:2] != (im.height, im.width):
        return None
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _check_array(arr: np.ndarray, label: str, max_pixels: int) -> np.ndarray:
    if arr.dtype != np.uint8:
        raise ImageError(f"{label}: expected a uint8 image array, got {arr.dtype}", "bad_array")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if not (arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (3, 4))) or 0 in arr.shape:
        raise ImageError(f"{label}: expected an (H, W), (H, W, 3) or (H, W, 4) array, got {arr.shape}", "bad_array")
    _check_pixels((arr.shape[1], arr.shape[0]), label, max_pixels)
    return arr[..., :3] if arr.ndim == 3 else arr


def to_gray(rgb: np.ndarray) -> np.ndarray:
    """uint8 RGB (or already grey) → uint8 grey, with the same weights as Pillow's ``convert("L")``."""
    if rgb.ndim == 2:
        return rgb
    import cv2

    return cv2.cvtColor(np.ascontiguousarray(rgb[..., :3]), cv2.COLOR_RGB2GRAY)


def fit_gray(face: np.ndarray, size: int) -> np.ndarray:
    """A uint8 grey face as ``size``×``size``: area averaging when shrinking, bilinear when growing."""
    if face.shape[:2] == (size, size):
        return face
    import cv2

    interp = cv2.INTER_AREA if max(face.shape[:2]) > size else cv2.INTER_LINEAR
    return cv2.resize(np.ascontiguousarray(face), (size, size), interpolation=interp)


class Video:
    """A video file opened for reading RGB frames; ``fps`` and ``frame_count`` as the container says."""

    def __init__(self, path: str | os.PathLike) -> None:
        import cv2

        self.path = Path(path)
        check_regular_file(self.path)
        self._cap = cv2.VideoCapture(str(path))
        if not self._cap.isOpened():
            raise ImageError(f"{path}: cannot open video (unsupported format or corrupt file)", "bad_video")
        fps = self._cap.get(cv2.CAP_PROP_FPS) or 0.0
        self.fps = fps if 0 < fps < 1000 else 25.0
        self.frame_count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.size = (int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))

    def frames(self, step: int = 1) -> Iterator[tuple[int, np.ndarray]]:
        """``(index, rgb)`` for every ``step``-th frame."""
        import cv2

        index = 0
        while True:
            ok, bgr = self._cap.read()
            if not ok:
                return
            if index % step == 0:
                yield index, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            index += 1

    def close(self) -> None:
        self._cap.release()

    def __enter__(self) -> Video:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
