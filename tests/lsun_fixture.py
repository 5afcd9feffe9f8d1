"""LMDBs in LSUN's format for the tests: key = 40-hex ASCII name, value = JPEG (quality 75) bytes."""

import io
from pathlib import Path

from PIL import Image

SAMPLE_DIR = Path(__file__).parent / "data" / "lsun_bedroom_sample"


def encode(image: Image.Image, fmt: str = "JPEG", quality: int = 75) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=quality)
    return buffer.getvalue()


def real_entries() -> list[tuple[bytes, bytes]]:
    """The six real LSUN bedroom images, re-encoded as JPEG q75 under their LSUN keys."""
    return [(p.stem.encode(), encode(Image.open(p).convert("RGB"))) for p in sorted(SAMPLE_DIR.glob("*.png"))]


def corrupt_entries() -> list[tuple[bytes, bytes]]:
    """What a damaged download holds: a truncated JPEG, bytes that are no image, and a PNG (not LSUN's format)."""
    whole = real_entries()[0][1]
    png = encode(Image.open(next(SAMPLE_DIR.glob("*.png"))).convert("RGB"), "PNG")
    return [(b"f" * 40, whole[: len(whole) // 3]), (b"e" * 40, b"this is not an image at all"), (b"d" * 40, png)]
