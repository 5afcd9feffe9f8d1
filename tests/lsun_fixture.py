"""LMDBs in LSUN's format for the tests: key = 40-hex ASCII name, value = JPEG (quality 75) bytes."""

import hashlib
import io
from pathlib import Path

import lmdb
import numpy as np
from PIL import Image

SAMPLE_DIR = Path(__file__).parent / "data" / "lsun_bedroom_sample"


def encode(image: Image.Image, fmt: str = "JPEG", quality: int = 75) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, quality=quality)
    return buffer.getvalue()


def write_lmdb(path: Path, items: list[tuple[bytes, bytes]]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(path), map_size=1 << 32, subdir=True)
    with env.begin(write=True) as txn:
        for key, value in items:
            txn.put(key, value)
    env.close()
    return path


def real_entries() -> list[tuple[bytes, bytes]]:
    """The six real LSUN bedroom images, re-encoded as JPEG q75 under their LSUN keys."""
    return [(p.stem.encode(), encode(Image.open(p).convert("RGB"))) for p in sorted(SAMPLE_DIR.glob("*.png"))]


def synthetic_entries(n: int, seed: int = 0) -> list[tuple[bytes, bytes]]:
    """Smooth random images, shorter side 256, landscape and portrait, as LSUN's scene images are."""
    rng = np.random.default_rng(seed)
    items = []
    for i in range(n):
        long_side = int(rng.integers(256, 400))
        size = (long_side, 256) if i % 3 else (256, long_side)
        low = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8))
        items.append((hashlib.sha1(f"{seed}-{i}".encode()).hexdigest().encode(),
                      encode(low.resize(size, Image.BICUBIC))))
    return items


def corrupt_entries() -> list[tuple[bytes, bytes]]:
    """What a damaged download holds: a truncated JPEG, bytes that are no image, and a PNG (not LSUN's format)."""
    whole = real_entries()[0][1]
    png = encode(Image.open(next(SAMPLE_DIR.glob("*.png"))).convert("RGB"), "PNG")
    return [(b"f" * 40, whole[: len(whole) // 3]), (b"e" * 40, b"this is not an image at all"), (b"d" * 40, png)]
