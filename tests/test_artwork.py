"""Checking real artwork made with Pillow (see tests/data/make-fixtures.sh)."""

from __future__ import annotations

import pytest
from conftest import IMAGES

from podops.probe.artwork import probe_image
from podops.probe.media import ProbeError


@pytest.mark.parametrize("name, ok, words", [
    ("ok.png", True, ""), ("ok.jpg", True, ""), ("small.png", False, "1400–3000 px"),
    ("huge.png", False, "1400–3000 px"), ("wide.png", False, "square"), ("cmyk.jpg", False, "must be RGB"),
    ("rgba.png", False, "must be RGB"), ("cover.gif", False, "JPEG or PNG"), ("not-image.png", False, "not a readable"),
])
def test_artwork_rules_from_the_image_header(name: str, ok: bool, words: str) -> None:
    if ok:
        info = probe_image(IMAGES / name)
        assert info.width == info.height == 1400
        assert info.mime in ("image/png", "image/jpeg")
    else:
        with pytest.raises(ProbeError, match=words):
            probe_image(IMAGES / name)
