"""The image store: uint8 N×C×H×W `images.npy` + `manifest.json`, written once by `python -m repro prepare`.

A store is complete when its manifest exists: `write_store` removes the old manifest first, writes the images (and
labels) atomically, then the manifest (with their sha256) last, so a killed `prepare` never leaves a store that
looks finished. Opening a store checks its files against those hashes; `.verified.json` records the (size, mtime)
each hash was checked at, so a 40 GB store is read through once, not on every run.
"""

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from repro import atomic
from repro.errors import DataError

VERIFIED = ".verified.json"
STORE_FILES = ("manifest.json", VERIFIED, "images.npy", "labels.npy")
HASHED = {"images.npy": "sha256", "labels.npy": "labels_sha256"}  # file → its manifest key (older ones: no labels)
SPLIT_DATASETS = ("cifar10", "mnist", "imagenet32")  # `prepare` writes one store per split under its --out
BUNDLED_SOURCE = "repro/data/bundled/mnist (see SOURCE.md)"
_verified_here: set[tuple] = set()  # (path, size, mtime_ns, sha256) checked by this process (a read-only store)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def write_store(out: Path, chunks: Iterable[np.ndarray], count: int, item_shape: tuple, manifest: dict,
                labels: np.ndarray | None = None) -> dict:
    """Streams uint8 chunks into `out/images.npy`, optional class `labels.npy`, then `out/manifest.json` last;
    whatever an older store left there (its manifest, labels, verification record) is removed first.

    Plain file writes after the .npy header, not a memory map: a mapped file's touched pages count as the process's
    resident memory, which would then grow with the dataset (36 GB for LSUN bedrooms at 64×64)."""
    out = Path(out)
    for name in ("manifest.json", VERIFIED, "labels.npy"):
        (out / name).unlink(missing_ok=True)
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
    if labels is not None:
        manifest["labels_sha256"] = sha256_file(out / "labels.npy")
    atomic.write_json(out / "manifest.json", manifest)
    return manifest


def read_manifest(directory: Path) -> dict | None:
    path = Path(directory) / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError as e:
        raise DataError(f"{path}: not valid JSON ({e}); rebuild the store with `python -m repro prepare … --out "
                        f"{path.parent} --overwrite`") from None


def rebuild_command(directory: Path, manifest: dict) -> str:
    """The `prepare` command line that rebuilds the store at `directory`, as far as its manifest tells."""
    dataset, size = manifest.get("dataset"), manifest.get("size")
    if dataset == "lsun":
        limit = f" --limit {manifest['limit']}" if manifest.get("limit") else ""
        what = f"lsun --lmdb {manifest.get('source')} --size {size}{limit} --out {directory}"
    elif manifest.get("source") == BUNDLED_SOURCE:
        what = f"mnist-bundled --size {size} --out {directory}"
    elif dataset in SPLIT_DATASETS and manifest.get("split"):
        what = f"{dataset} … --size {size} --out {Path(directory).parent}"  # … the --root or --images it came from
    else:
        what = f"… --out {directory}"
    return f"`python -m repro prepare {what} --overwrite`"


def verify_store(directory: Path, manifest: dict, hashed: dict[str, str] = HASHED,
                 rebuild: str | None = None) -> None:
    """Checks the store's files (`hashed`: file → its manifest key) against the sha256 in its manifest, hashing a
    file only when its (size, mtime) is not in `.verified.json` yet; a store that cannot record it (read-only) is
    hashed again by the next process. `rebuild`: the command an error names (default: the image store's)."""
    directory = Path(directory)
    rebuild = rebuild or rebuild_command(directory, manifest)
    try:
        record = json.loads((directory / VERIFIED).read_text())
    except (OSError, ValueError):
        record = {}
    checked = dict(record)
    for name, key in hashed.items():
        if manifest.get(key) is None:
            continue
        path = directory / name
        if not path.exists():
            raise DataError(f"{path}: missing from the store; rebuild it with {rebuild}")
        stat = path.stat()
        seen = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": manifest[key]}
        here = (str(path.resolve()), *seen.values())
        if record.get(name) == seen or here in _verified_here:
            continue
        if sha256_file(path) != manifest[key]:
            raise DataError(f"{path}: content does not match its sha256 in manifest.json ({stat.st_size:,} bytes: "
                            f"corrupt or truncated); rebuild the store with {rebuild}")
        _verified_here.add(here)
        checked[name] = seen
    if checked != record:
        try:
            atomic.write_json(directory / VERIFIED, checked)
        except OSError:
            pass


def load_store(directory: Path) -> np.ndarray:
    """Memory-maps `<directory>/images.npy` once its content matches the manifest; the store is written by
    `python -m repro prepare`."""
    path = Path(directory) / "images.npy"
    manifest = read_manifest(directory) if path.exists() else None
    if manifest is None:
        raise DataError(f"{path}: image store not found or incomplete (no manifest.json); build it with "
                        f"`python -m repro prepare …` or point the profile's `data` entry at an existing store")
    verify_store(directory, manifest)
    images = np.load(path, mmap_mode="r")
    if images.dtype != np.uint8 or images.ndim != 4:
        raise DataError(f"{path}: expected uint8 N×C×H×W, found {images.dtype} with shape {images.shape}")
    if len(images) == 0:
        raise DataError(f"{directory}: the store holds no images (prepared from an empty source); rebuild it from "
                        f"one with images: {rebuild_command(directory, manifest)}")
    return images


def load_store_labels(directory: Path) -> np.ndarray:
    """`<directory>/labels.npy`, the class of every image, written by `prepare` for labelled datasets (a labels.npy
    its manifest does not list is another store's, left by an older `prepare`)."""
    path = Path(directory) / "labels.npy"
    if not path.exists() or not (read_manifest(directory) or {}).get("labels"):
        raise DataError(f"{path}: this store has no class labels, which a conditional run needs; prepare it from a "
                        f"labelled dataset (cifar10, mnist)")
    return np.load(path)


def claim(out: Path, stores: dict[str, dict], overwrite: bool) -> bool:
    """Whether a `prepare` into `out` has work to do. `stores`: each store it writes (a split folder's name, or ""
    for `out` itself) → the manifest entries that say what it holds. False when every one is complete with them
    (already prepared) and not `overwrite`. Another store there (other entries, or a split folder this prepare does
    not write) is a DataError unless `overwrite`, and then such split folders are removed: nothing stale stays."""
    out = Path(out)
    missing, others = False, []
    for name, identity in stores.items():
        try:
            manifest = read_manifest(out / name)
        except DataError:
            manifest = {}  # unreadable: another store, as far as this prepare can tell
        if manifest is None:
            missing = True
            continue
        differences = [f"its {k} is {manifest.get(k)!r}, this prepare's {v!r}" for k, v in identity.items()
                       if manifest.get(k) != v]
        if differences:
            others.append((out / name, differences[0]))
    strays = [] if "" in stores or not out.is_dir() else \
        [d for d in sorted(out.iterdir()) if d.is_dir() and d.name not in stores and (d / "manifest.json").exists()]
    others += [(d, "a split this prepare does not write") for d in strays]
    if others and not overwrite:
        raise DataError(f"{others[0][0]}: holds another store ({others[0][1]}); rerun with --overwrite to replace it, "
                        f"or choose another --out")
    for directory in strays:
        for name in STORE_FILES:
            (directory / name).unlink(missing_ok=True)
        if not any(directory.iterdir()):
            directory.rmdir()
    return overwrite or missing
