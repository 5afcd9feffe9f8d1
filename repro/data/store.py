"""The image store: uint8 N×C×H×W `images.npy` + `manifest.json`, written once by `python -m repro prepare`.

A store is complete when its manifest exists: `write_store` writes the images atomically, then the manifest
(with the images' sha256) last, so a killed `prepare` never leaves a store that looks finished.
"""

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from repro import atomic
from repro.errors import DataError


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def write_store(out: Path, chunks: Iterable[np.ndarray], count: int, item_shape: tuple, manifest: dict,
                labels: np.ndarray | None = None) -> dict:
    """Streams uint8 chunks into `out/images.npy`, optional class `labels.npy`, then `out/manifest.json` last.

    Plain file writes after the .npy header, not a memory map: a mapped file's touched pages count as the process's
    resident memory, which would then grow with the dataset (36 GB for LSUN bedrooms at 64×64)."""
    out = Path(out)
    if labels is not None:
        with atomic.atomic_path(out / "labels.npy") as tmp:
            np.save(tmp, labels.astype(np.int64))
    with atomic.atomic_path(out / "images.npy") as tmp, open(tmp, "wb") as f:
        np.lib.format.write_array_header_1_0(f, {"descr": "|u1", "fortran_order": False, "shape": (count, *item_shape)})
        filled = 0
        for chunk in chunks:
            f.write(np.ascontiguousarray(chunk, dtype=np.uint8).tobytes())
            filled += len(chunk)
        if filled != count:
            raise DataError(f"{out}: {filled} images written, {count} expected")
    manifest = {**manifest, "count": count, "shape": [count, *item_shape], "dtype": "uint8", "layout": "NCHW",
                "sha256": sha256_file(out / "images.npy"), "labels": labels is not None}
    atomic.write_json(out / "manifest.json", manifest)
    return manifest


def read_manifest(directory: Path) -> dict | None:
    path = Path(directory) / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else None


def load_store(directory: Path) -> np.ndarray:
    """Memory-maps `<directory>/images.npy`; the store is written by `python -m repro prepare`."""
    path = Path(directory) / "images.npy"
    if not path.exists() or read_manifest(directory) is None:
        raise DataError(f"{path}: image store not found or incomplete (no manifest.json); build it with "
                        f"`python -m repro prepare …` or point the profile's `data` entry at an existing store")
    images = np.load(path, mmap_mode="r")
    if images.dtype != np.uint8 or images.ndim != 4:
        raise DataError(f"{path}: expected uint8 N×C×H×W, found {images.dtype} with shape {images.shape}")
    return images


def load_store_labels(directory: Path) -> np.ndarray:
    """`<directory>/labels.npy`, the class of every image, written by `prepare` for labelled datasets."""
    path = Path(directory) / "labels.npy"
    if not path.exists():
        raise DataError(f"{path}: this store has no class labels, which a conditional run needs; prepare it from a "
                        f"labelled dataset (cifar10, mnist)")
    return np.load(path)
