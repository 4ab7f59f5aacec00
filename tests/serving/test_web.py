"""The web page in a real headless Chromium: upload a real photo, see the box and the bars."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ferkit.inference.bench import sample_photo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM:
        pytest.skip("no Chromium installed (Debian: apt-get install chromium); browser test skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed; browser test skipped")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=(
                "--no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking "
                "--disable-component-update --disable-sync "
                "--use-fake-device-for-media-stream --use-fake-ui-for-media-stream"  # a synthetic camera
            ).split(),
        )
        yield b
        b.close()


def offline_page(browser, outside: list[str]):
    """A page whose requests to any host but the loopback server are blocked and recorded in ``outside``."""
    pg = browser.new_page(viewport={"width": 1200, "height": 900})

    def route(r):
        if r.request.url.startswith("http://127.0.0.1:"):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    pg.route("**/*", route)
    return pg


@pytest.fixture(scope="module")
def page(browser, live_server):
    pg = offline_page(browser, [])
    pg.goto(live_server + "/")
    yield pg
    pg.close()


def test_upload_draws_box_and_bars(page, tmp_path):
    page.set_input_files("#file", str(sample_photo()))
    page.wait_for_function("document.body.dataset.faces === '1'", timeout=30_000)
    faces = page.locator("#results .face")
    assert faces.count() == 1
    label = faces.first.get_attribute("data-label")
    assert faces.first.get_attribute("data-keypoints") == "5"  # the overlay draws eyes, nose, mouth corners
    assert label in {"angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"}
    widths = page.eval_on_selector_all("#results .bar", "bars => bars.map(b => parseFloat(b.style.width))")
    assert len(widths) == 7 and abs(sum(widths) - 100) < 1.0
    assert (page.eval_on_selector("#canvas", "c => [c.width, c.height]")) == [512, 600]
    # The box is drawn: the pixel in the middle of its top edge has the label's colour.
    x, y, w, h = map(int, faces.first.get_attribute("data-box").split(","))
    rgb = page.evaluate(f"""() => Array.from(document.getElementById('canvas').getContext('2d')
                            .getImageData({x + w // 2}, {y}, 1, 1).data.slice(0, 3))""")
    expected = page.evaluate(f"COLORS['{label}']")
    assert "#" + "".join(f"{v:02x}" for v in rgb) == expected
    status = page.evaluate("""async () => (await fetch('/v1/predict', {method: 'POST', body: 'x'})).status""")
    assert status == 415  # a bad upload from the page's origin gets a 4xx, not a 500
    shot = Path(os.environ.get("FERKIT_SCREENSHOT_DIR", tmp_path)) / "web-upload.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    assert "face(s) in" in page.locator("#status").inner_text()


def test_bad_file_shows_a_clear_error(page, tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("not an image at all")
    page.set_input_files("#file", str(bad))
    page.wait_for_function("document.body.dataset.faces === 'error'", timeout=30_000)
    assert "not an image" in page.locator("#status").inner_text()
    assert page.locator("#status").get_attribute("class") == "error"


def test_webcam_streams_frames_to_the_service(page):
    """getUserMedia with Chromium's synthetic camera: frames go to /v1/predict and come back drawn."""
    page.click("#webcam")
    page.wait_for_function("document.getElementById('status').textContent.startsWith('Live:')", timeout=30_000)
    assert page.locator("#webcam").inner_text() == "Stop webcam"
    assert page.eval_on_selector("#canvas", "c => [c.width, c.height]") == [640, 480]
    page.click("#webcam")
    page.wait_for_function("document.getElementById('status').textContent === 'Webcam stopped.'")


def test_api_docs_work_offline_and_upload_a_file(browser, live_server):
    """Swagger UI and ReDoc come from the service itself: with every outside host blocked both render, and
    "Try it out" on /v1/predict offers a file upload."""
    outside: list[str] = []
    pg = offline_page(browser, outside)
    pg.goto(live_server + "/docs")
    pg.wait_for_selector("#operations-default-predict_v1_predict_post", timeout=30_000)
    pg.click("#operations-default-predict_v1_predict_post .opblock-summary")
    pg.click("text=Try it out")
    pg.wait_for_selector("#operations-default-predict_v1_predict_post input[type=file]", timeout=10_000)
    pg.goto(live_server + "/redoc")
    pg.get_by_text("/v1/predict/batch").first.wait_for(state="attached", timeout=30_000)
    assert outside == []
    pg.close()


@pytest.fixture(scope="module")
def keyed_server():
    from ..conftest import serving

    with serving("--api-key", "s3cret") as (_, url):
        yield url


def test_a_server_with_api_keys_serves_the_page_which_asks_for_the_key(browser, keyed_server):
    pg = offline_page(browser, [])
    response = pg.goto(keyed_server + "/")
    assert response.status == 200 and "text/html" in response.headers["content-type"]
    pg.wait_for_selector("#keybar:not([hidden])", timeout=10_000)
    assert "needs an API key" in pg.locator("#status").inner_text()
    pg.fill("#apikey", "wrong")
    pg.click("#usekey")
    pg.wait_for_function("document.getElementById('keymsg').className === 'error'", timeout=10_000)
    assert "refused" in pg.locator("#keymsg").inner_text()
    pg.fill("#apikey", "s3cret")
    pg.click("#usekey")
    pg.wait_for_selector("#keybar[hidden]", state="attached", timeout=10_000)
    pg.set_input_files("#file", str(sample_photo()))
    pg.wait_for_function("document.body.dataset.faces === '1'", timeout=30_000)
    pg.close()


def test_group_photo_labels_stay_inside_and_apart(page):
    """The page's overlay places labels as annotated pictures do: inside the canvas, none over another."""
    group = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "faces-bench" / "images"
    photo = group / "wider_val" / "20_Family_Group_Family_Group_20_33.jpg"
    if not photo.is_file():
        pytest.skip("faces-bench not found in ../shared/datasets; skipped")
    page.set_input_files("#file", str(photo))
    page.wait_for_function("Number(document.body.dataset.faces) > 15", timeout=30_000)
    rects = page.eval_on_selector_all("#results .face", "fs => fs.map(f => f.dataset.labelBox.split(',').map(Number))")
    width, height = page.eval_on_selector("#canvas", "c => [c.width, c.height]")
    assert all(x >= 0 and y >= 0 and x + w <= width + 1 and y + h <= height for x, y, w, h in rects)
    from ferkit.inference.annotate import overlap  # the rule annotated pictures follow

    assert sum(overlap(a, b) > 0 for i, a in enumerate(rects) for b in rects[i + 1 :]) <= 3  # of 250 pairs
    shot = Path(os.environ.get("FERKIT_SCREENSHOT_DIR", "/tmp")) / "web-group.png"
    page.locator("#canvas").screenshot(path=str(shot))
