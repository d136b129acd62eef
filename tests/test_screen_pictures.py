"""The work screen's product pictures: a platform's photo is often 2000-3000 px, which took 70-150 ms to decode on the
GUI thread. The image cache keeps a rendition of at most SCREEN_PX a side beside each photo, made when the photo is
stored (on the sync thread); a picture the screen cannot decode is "no image", never an error."""

from __future__ import annotations

import io
import logging

import pytest
from PIL import Image

from sync.images import SCREEN_PX, ImageCache

URL = "http://oms.local/images/p1.jpg"


def encoded(im: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def cache(tmp_path, store):
    return ImageCache(store, tmp_path / "data")


def test_a_large_photo_is_shown_from_a_rendition_made_when_it_was_stored(cache):
    stored = cache.put(URL, encoded(Image.new("RGB", (2400, 1600), (30, 90, 200)), "JPEG"), "image/jpeg")
    renditions = list((stored.parent / ".screen").glob("*.jpg"))
    assert len(renditions) == 1  # made by put, before anyone asked
    made = renditions[0].stat().st_mtime_ns
    shown = cache.screen_path_for(URL)
    assert shown == renditions[0] and shown.stat().st_mtime_ns == made  # found, not made again
    with Image.open(shown) as im:
        assert im.format == "JPEG" and im.size == (SCREEN_PX, SCREEN_PX * 2 // 3)  # its shape kept
        r, g, b = im.convert("RGB").getpixel((SCREEN_PX // 2, SCREEN_PX // 3))
        assert b > 150 and r < 80  # the photo's colour


def test_a_small_jpeg_or_png_is_shown_as_it_is(cache):
    stored = cache.put(URL, encoded(Image.new("RGB", (SCREEN_PX - 40, SCREEN_PX - 100), "red"), "JPEG"), "image/jpeg")
    assert cache.screen_path_for(URL) == stored
    png_url = URL.replace(".jpg", ".png")
    stored_png = cache.put(png_url, encoded(Image.new("RGBA", (SCREEN_PX, 300), (0, 0, 0, 0)), "PNG"), "image/png")
    assert cache.screen_path_for(png_url) == stored_png


def test_transparency_is_shown_on_white_and_other_formats_are_re_encoded(cache):
    im = Image.new("RGBA", (1500, 1500), (0, 0, 0, 0))  # a product cut out of its background
    im.paste((200, 20, 20, 255), (500, 500, 1000, 1000))
    cache.put(URL, encoded(im, "PNG"), "image/png")
    with Image.open(cache.screen_path_for(URL)) as shown:
        rgb = shown.convert("RGB")
        assert shown.format == "JPEG" and max(shown.size) == SCREEN_PX
        assert min(rgb.getpixel((5, 5))) > 240  # white, not black
        r, g, b = rgb.getpixel((SCREEN_PX // 2, SCREEN_PX // 2))
        assert r > 150 and g < 80
    webp = URL.replace(".jpg", ".webp")  # small, but not every Qt build decodes WebP
    cache.put(webp, encoded(Image.new("RGB", (300, 300), "green"), "WEBP"), "image/webp")
    with Image.open(cache.screen_path_for(webp)) as shown:
        assert shown.format == "JPEG" and shown.size == (300, 300)


def test_a_picture_that_does_not_decode_is_no_picture_and_a_warning(cache, caplog):
    cache.put(URL, b"\xff\xd8 not a jpeg at all", "image/jpeg")  # a broken download that said it was a JPEG
    with caplog.at_level(logging.WARNING, logger="sync.images"):
        assert cache.screen_path_for(URL) is None
    assert any("cannot be shown" in r.getMessage() for r in caplog.records)
    assert cache.screen_path_for("http://oms.local/images/never-sent.jpg") is None


def test_an_image_of_too_many_pixels_is_not_cached_and_never_decoded(cache, tmp_path, caplog):
    """A 12,000 x 12,000 PNG of one colour is a small file and 576 MB decoded (Pillow only warns below 179 M pixels):
    refused when stored; one stored before this check is not decoded for the screen."""
    from sync.images import MAX_PIXELS, screen_rendition

    big = encoded(Image.new("1", (12_000, 12_000)), "PNG")
    assert len(big) < 1_000_000 and 12_000 * 12_000 > MAX_PIXELS
    with pytest.raises(ValueError, match="more than 40,000,000"):
        cache.put(URL, big, "image/png")
    assert cache.path_for(URL) is None
    old = tmp_path / "cached-before.png"
    old.write_bytes(big)
    with caplog.at_level(logging.WARNING, logger="sync.images"):
        assert screen_rendition(old) is None
    assert "more than 40,000,000" in caplog.text


def test_an_image_refused_for_its_pixels_is_said_in_the_log_only(tmp_path):
    """Pillow's DecompressionBombWarning went to stderr (the journal) beside the log's refusal, unexplained. In a
    process of its own: pytest sets the warnings filters anew for every test."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "big.png").write_bytes(encoded(Image.new("1", (12_000, 12_000)), "PNG"))
    r = subprocess.run([sys.executable, "-W", "default", "-c",
                        "import sys; from pathlib import Path; from sync.images import screen_rendition, "
                        "too_many_pixels; p = Path(sys.argv[1]); print(too_many_pixels(p.read_bytes())); "
                        "print(screen_rendition(p))", str(tmp_path / "big.png")],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "more than 40,000,000" in r.stdout and r.stdout.endswith("None\n"), r
    assert "DecompressionBomb" not in r.stderr and "exceeds limit" not in r.stderr, r.stderr
