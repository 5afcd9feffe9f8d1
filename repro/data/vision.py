"""Image datasets read without torchvision's download machinery: the MNIST test digits bundled in the repo."""

import gzip
from pathlib import Path

import numpy as np
from PIL import Image

from repro.errors import DataError

BUNDLED = Path(__file__).parent / "bundled"


def read_idx_images(path: Path) -> np.ndarray:
    """An IDX3 file (MNIST format) as uint8 N×H×W."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read MNIST images ({e})") from e
    magic, n, h, w = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 0x803:
        raise DataError(f"{path}: not an IDX3 image file (magic {magic:#x}, expected 0x803)")
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, h, w)


def resize_center_crop(image: Image.Image, size: int) -> Image.Image:
    """torchvision Resize(size) + CenterCrop(size) on a PIL image: shorter side to `size` (bilinear), centre crop."""
    w, h = image.size
    scale = size / min(w, h)
    nw, nh = (size, round(h * scale)) if w <= h else (round(w * scale), size)
    image = image.resize((nw, nh), Image.BILINEAR)
    left, top = round((nw - size) / 2.0), round((nh - size) / 2.0)
    return image.crop((left, top, left + size, top + size))


def mnist_bundled(size: int) -> np.ndarray:
    """The 10,000 bundled MNIST test digits as uint8 N×1×size×size (the default profile's stand-in for LSUN)."""
    digits = read_idx_images(BUNDLED / "mnist" / "t10k-images-idx3-ubyte.gz")
    if size == digits.shape[1]:
        return digits[:, None].copy()
    return np.stack([np.asarray(resize_center_crop(Image.fromarray(d), size)) for d in digits])[:, None]
