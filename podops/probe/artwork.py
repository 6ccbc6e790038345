"""Check artwork by decoding it (the only module that imports Pillow)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from podops.probe.media import ProbeError

MIN_ART, MAX_ART = 1400, 3000
DRAFT_SIZE = (375, 375)  # JPEG artwork is decoded at 1/8 scale: cheap, yet every byte is decoded


@dataclass(frozen=True)
class ImageInfo:
    """What a feed needs to know about artwork."""

    size: int
    width: int
    height: int
    mime: str

    def as_dict(self) -> dict[str, Any]:
        """Plain data for the probe cache."""
        return asdict(self)


def probe_image(path: Path) -> ImageInfo:
    """Check artwork by decoding it: JPEG or PNG, RGB, square, 1400–3000 px (Apple), not damaged.

    The header is read first, so a giant or non-square image is refused before any decoding;
    then the whole image is decoded (JPEG at 1/8 scale with ``draft``), which finds truncated
    files and headers over garbage that a header check lets through.
    """
    limit = Image.MAX_IMAGE_PIXELS or 0
    try:
        with Image.open(path) as image:
            fmt, mode, (width, height) = image.format, image.mode, image.size
            _check_art(fmt, mode, width, height)
            if fmt == "JPEG":
                image.draft("RGB", DRAFT_SIZE)
            image.load()
    except ProbeError:
        raise
    except Image.DecompressionBombError:
        raise ProbeError(f"image is larger than {limit * 2} pixels: refused (a decompression bomb?)") from None
    except (UnidentifiedImageError, SyntaxError):
        raise ProbeError("not a readable image (neither JPEG nor PNG, or damaged)") from None
    except (OSError, ValueError, EOFError, MemoryError) as exc:  # Pillow on damaged data
        reason = str(exc).strip() or exc.__class__.__name__
        raise ProbeError(f"damaged image ({reason})") from None
    mime = "image/jpeg" if fmt == "JPEG" else "image/png"
    return ImageInfo(path.stat().st_size, width, height, mime)


def _check_art(fmt: str | None, mode: str, width: int, height: int) -> None:
    """Apple's artwork rules, from the header alone."""
    if fmt not in ("JPEG", "PNG"):
        raise ProbeError(f"artwork must be JPEG or PNG, this is {fmt}")
    if mode not in ("RGB", "P" if fmt == "PNG" else "RGB"):
        raise ProbeError(f"artwork must be RGB, this is {mode}" + (
            " (CMYK is for print; save as RGB)" if mode == "CMYK" else ""))
    if width != height:
        raise ProbeError(f"artwork must be square, this is {width}×{height}")
    if not MIN_ART <= width <= MAX_ART:
        raise ProbeError(f"artwork must be {MIN_ART}–{MAX_ART} px, this is {width}×{height}")
