"""LSUN LMDB (or any copy of its images) → image store, once, so training never decodes a JPEG.

The official WGAN code reads LSUN through torchvision's `LSUN` class: a key cache pickled into the working
directory (up to an hour to build) and a JPEG decode per image per step. Here the LMDB is opened read-only with
`lmdb` (no cache), keys are streamed in order, values are sniffed by their magic bytes (scenes are JPEG, objects
WebP) and decoded in worker processes with the official transform (torchvision `Resize(size)` then
`CenterCrop(size)` on PIL images, re-implemented on PIL and tested pixel-equal). Work is committed in chunks
under `<out>/.partial/`, so a killed run continues where it stopped and ends with the same sha256.

The official download server has been failing its users, so a copy of the images also works: a folder searched
recursively, a .tar or a .zip of JPEG, PNG or WebP files, read in sorted path order through the same decode. The
same images in the same order give the same store bytes whatever held them.
"""

import functools
import hashlib
import io
import tarfile
import zipfile
import json
import math
import multiprocessing
import shutil
import sys
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import lmdb
import numpy as np
import PIL
from PIL import Image
from tqdm import tqdm

import repro
from repro import atomic, lock
from repro.data.store import claim, read_manifest, write_store
from repro.data.vision import resize_center_crop
from repro.errors import DataError

CHUNK = 512  # entries per committed chunk: the unit of resume and of work sent to a worker
FAST_DECODE_SAMPLE = 256  # entries decoded both ways to measure the opt-in fast decode's pixel difference
TRANSFORM = "PIL decode → RGB → Resize(size) (shorter side, bilinear, torchvision semantics) → CenterCrop(size)"


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")  # the files an image copy is read from
LMDB_FORMATS = ("jpeg", "webp")  # LSUN's values: scenes JPEG, objects WebP
COPY_FORMATS = ("jpeg", "png", "webp")  # what a copy of the images may hold


class BadEntry(Exception):
    """An entry that is not a decodable image; the reason goes into the manifest."""


def sniff(data: bytes) -> str | None:
    """Image kind from magic bytes, never from names."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    return None


def decode(data: bytes, size: int, fast: bool = False, formats: tuple[str, ...] = LMDB_FORMATS) -> np.ndarray:
    """Image bytes of one of `formats` → uint8 3×size×size. `fast` lets libjpeg decode at 1/2, 1/4 or 1/8 scale
    first (PIL draft)."""
    kind = sniff(data)
    if kind not in formats:
        names = {"jpeg": "JPEG", "png": "PNG", "webp": "WebP"}
        allowed = ", ".join(names[f] for f in formats[:-1]) + f" or {names[formats[-1]]}"
        raise BadEntry(f"not a {allowed} image (first bytes {data[:8].hex()})")
    try:
        image = Image.open(io.BytesIO(data))
        if fast and kind == "jpeg":
            image.draft("RGB", (size, size))
        image = image.convert("RGB")
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
        raise BadEntry(f"undecodable {kind}: {e}") from None
    return np.asarray(resize_center_crop(image, size)).transpose(2, 0, 1)


@functools.cache
def _open(path: str) -> lmdb.Environment:
    return lmdb.open(path, readonly=True, lock=False, readahead=False, meminit=False, max_readers=512)


def open_lmdb(path: Path) -> lmdb.Environment:
    """Read-only, one handle per process (py-lmdb refuses a second open of the same path in a process). A file that
    is no LMDB, or one cut short (reading past its end would kill the process with SIGBUS), is a DataError."""
    data = Path(path) / "data.mdb"
    if not data.exists():
        raise DataError(f"{path}: no data.mdb here; --lmdb must be the LSUN folder that holds data.mdb, "
                        f"e.g. .../bedroom_train_lmdb")
    try:
        env = _open(str(Path(path).resolve()))
        needed = (env.info()["last_pgno"] + 1) * env.stat()["psize"]
    except lmdb.Error as e:
        raise DataError(f"{data}: not a readable LMDB ({e}); download and unpack it again "
                        f"(python -m repro download lsun …)") from None
    if data.stat().st_size < needed:
        raise DataError(f"{data}: truncated ({data.stat().st_size:,} bytes, its pages need {needed:,}); download and "
                        f"unpack it again (python -m repro download lsun …)")
    return env


def close_lmdb(path: Path) -> None:
    """Closes this process's handle, so that another reader (torchvision's `LSUN`) may open the folder."""
    open_lmdb(path).close()
    _open.cache_clear()


@dataclass(frozen=True)
class Images:
    """Where the images come from: an LMDB folder (entries in key order) or a copy of the image files, a folder
    (searched recursively), a .tar or a .zip (paths in sorted order). Plain data, so that spawned workers each open
    their own handle."""

    path: str
    kind: str  # "lmdb" | "folder" | "tar" | "zip"

    @classmethod
    def at(cls, path: Path, lmdb_folder: bool) -> "Images":
        path = Path(path).resolve()
        if lmdb_folder:
            open_lmdb(path)
            return cls(str(path), "lmdb")
        if path.is_dir():
            return cls(str(path), "folder")
        if path.is_file() and zipfile.is_zipfile(path):
            return cls(str(path), "zip")
        if path.is_file() and tarfile.is_tarfile(path):
            return cls(str(path), "tar")
        raise DataError(f"{path}: not a folder, .tar or .zip of images; --images takes a copy of LSUN's images "
                        f"(JPEG, PNG or WebP files)")

    @property
    def formats(self) -> tuple[str, ...]:
        return LMDB_FORMATS if self.kind == "lmdb" else COPY_FORMATS

    def count(self) -> int:
        return open_lmdb(Path(self.path)).stat()["entries"] if self.kind == "lmdb" else len(_names(self))

    def key_chunks(self, total: int) -> Iterator[list]:
        """The first `total` entries' keys (LMDB keys, or file paths), CHUNK at a time."""
        if self.kind != "lmdb":
            names = _names(self)[:total]
            yield from (names[i:i + CHUNK] for i in range(0, len(names), CHUNK))
            return
        with open_lmdb(Path(self.path)).begin() as txn:
            keys = []
            for key in txn.cursor().iternext(keys=True, values=False):
                keys.append(bytes(key))
                if len(keys) == CHUNK or len(keys) == total:
                    yield keys
                    total -= len(keys)
                    keys = []
                if total == 0:
                    return
            if keys:
                yield keys

    def read(self, keys: list) -> Iterator[tuple[str, bytes]]:
        """(the key as text, the entry's bytes) for each key."""
        if self.kind == "lmdb":
            with open_lmdb(Path(self.path)).begin(buffers=False) as txn:
                for key in keys:
                    yield key.decode("ascii", "backslashreplace"), txn.get(key)
        elif self.kind == "folder":
            for name in keys:
                yield name, (Path(self.path) / name).read_bytes()
        elif self.kind == "zip":
            archive = _zip(self.path)
            for name in keys:
                yield name, archive.read(name)
        else:
            archive, members = _tar(self.path)
            for name in keys:
                yield name, archive.extractfile(members[name]).read()


@functools.cache
def _names(images: Images) -> list[str]:
    """The image files of a copy, as POSIX paths relative to it, sorted: the order they are stored in."""
    if images.kind == "folder":
        root = Path(images.path)
        names = [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
    elif images.kind == "zip":
        names = [i.filename for i in _zip(images.path).infolist() if not i.is_dir()]
    else:
        names = list(_tar(images.path)[1])
    names = sorted(n for n in names if n.lower().endswith(IMAGE_SUFFIXES))
    if not names:
        raise DataError(f"{images.path}: holds no .jpg, .jpeg, .png or .webp files")
    return names


@functools.cache
def _zip(path: str) -> zipfile.ZipFile:
    return zipfile.ZipFile(path)


@functools.cache
def _tar(path: str) -> tuple[tarfile.TarFile, dict[str, tarfile.TarInfo]]:
    """The archive and its regular files by name (a plain .tar reads members in place; a .tar.gz works, slowly)."""
    archive = tarfile.open(path)
    return archive, {m.name: m for m in archive.getmembers() if m.isfile()}


def _decode_chunk(images: Images, keys: list, size: int, fast: bool):
    """Reads and decodes one chunk; workers are spawned, so each opens its own handle."""
    decoded, skipped = [], []
    for key, data in images.read(keys):
        try:
            decoded.append(decode(data, size, fast, images.formats))
        except BadEntry as e:
            skipped.append({"key": key, "reason": str(e)})
    array = np.stack(decoded) if decoded else np.zeros((0, 3, size, size), np.uint8)
    return array, skipped


def _fast_decode_difference(images: Images, size: int, n: int) -> dict:
    """Max and mean |fast − reference| over the first n decodable entries: the price of the opt-in flag."""
    diffs = []
    for _, value in images.read(next(images.key_chunks(n), [])):
        try:
            diffs.append(np.abs(decode(value, size, True, images.formats).astype(np.int16)
                                - decode(value, size, False, images.formats).astype(np.int16)))
        except BadEntry:
            continue
    stacked = np.stack(diffs) if diffs else np.zeros((1,), np.int16)
    return {"compared": len(diffs), "max_abs_diff": int(stacked.max()), "mean_abs_diff": float(stacked.mean())}


def prepare_lsun(source: Path, size: int, out: Path, limit: int | None = None, workers: int = 1,
                 max_bad: float = 0.01, fast_decode: bool = False, quiet: bool = False,
                 overwrite: bool = False, copy: bool = False) -> dict:
    """Builds the image store `out/` from an LSUN LMDB folder, or with `copy` from a folder, .tar or .zip of its
    images; returns its manifest. Rerun to resume; another store in `out` is replaced only with `overwrite`."""
    images, out = Images.at(source, lmdb_folder=not copy), Path(out)
    entries = images.count()
    if entries == 0:
        raise DataError(f"{images.path}: the LMDB holds no entries; --lmdb must be a downloaded LSUN folder "
                        f"(python -m repro download lsun …)")
    total = min(entries, limit) if limit else entries
    params = {"source": images.path, "size": size, "limit": limit, "fast_decode": fast_decode, "chunk": CHUNK}
    if copy:
        params["source_type"] = images.kind  # an LMDB's stores keep the identity they had before copies were read
    with lock.exclusive(out, "prepares a store there"):
        if not claim(out, {"": params}, overwrite):
            done = read_manifest(out)
            print(f"{out}: already prepared ({done['count']} images, sha256 {done['sha256'][:12]}…); --overwrite "
                  f"rebuilds it")
            return done
        return _build(images, out, params, entries, total, workers, max_bad, quiet)


def _build(images: Images, out: Path, params: dict, entries: int, total: int, workers: int, max_bad: float,
           quiet: bool) -> dict:
    """`prepare_lsun`'s work, under its lock: decode the chunks not yet committed, then write the store."""
    size, fast_decode = params["size"], params["fast_decode"]
    partial = out / ".partial"
    if (partial / "params.json").exists() and json.loads((partial / "params.json").read_text()) != params:
        print(f"{partial}: left by a run with other parameters; starting over")
        shutil.rmtree(partial)
    atomic.write_json(partial / "params.json", params)
    fast_report = _fast_decode_difference(images, size, FAST_DECODE_SAMPLE) if fast_decode else None

    n_chunks = math.ceil(total / CHUNK)
    chunk_len = lambda i: min(CHUNK, total - i * CHUNK)  # noqa: E731
    done_chunks = {i for i in range(n_chunks) if (partial / f"chunk_{i:07d}.json").exists()}
    bad = sum(len(json.loads((partial / f"chunk_{i:07d}.json").read_text())) for i in done_chunks)
    todo = ((i, keys) for i, keys in enumerate(images.key_chunks(total)) if i not in done_chunks)
    remaining = total - sum(chunk_len(i) for i in done_chunks)
    progress = tqdm(total=total, initial=total - remaining, unit="img", unit_scale=True,
                    desc=f"prepare {Path(images.path).name}", disable=quiet or not sys.stderr.isatty())
    tick = time.perf_counter()
    with _pool(workers) as pool:
        for i, (decoded, skipped) in _ordered_results(pool, todo, images, size, fast_decode, workers):
            with atomic.atomic_path(partial / f"chunk_{i:07d}.npy") as tmp:
                np.save(tmp, decoded)
            atomic.write_json(partial / f"chunk_{i:07d}.json", skipped)  # marks the chunk as done
            bad += len(skipped)
            if bad > max_bad * total:
                first = skipped[0] if skipped else {"key": "?", "reason": "?"}
                raise DataError(f"{images.path}: {bad} undecodable entries, over the limit of {max_bad:.2%} of {total} "
                                f"(--max-bad); e.g. key {first['key']}: {first['reason']}")
            progress.update(chunk_len(i))
    progress.close()
    seconds = time.perf_counter() - tick

    skipped = [s for i in range(n_chunks) for s in json.loads((partial / f"chunk_{i:07d}.json").read_text())]
    count = total - len(skipped)
    if count == 0:
        raise DataError(f"{images.path}: none of its {total} entries is a decodable image (e.g. key "
                        f"{skipped[0]['key']}: {skipped[0]['reason']}); an image store needs at least one")
    manifest = write_store(
        out, (np.load(partial / f"chunk_{i:07d}.npy") for i in range(n_chunks)), count,
        (3, size, size),
        {**params, "dataset": "lsun", "source_type": images.kind, "entries": entries, "transform": TRANSFORM,
         "fast_decode_difference": fast_report, "skipped": skipped, "max_bad": max_bad, "workers": workers,
         "images_per_s": round(remaining / seconds, 1) if remaining and seconds else None,
         "versions": {"repro": repro.__version__, "pillow": PIL.__version__, "numpy": np.__version__,
                      "lmdb": lmdb.__version__},
         "created": datetime.now(timezone.utc).isoformat(timespec="seconds")})
    shutil.rmtree(partial)
    print(f"{out}: {count} images of {size}x{size}, {len(skipped)} skipped, sha256 {manifest['sha256'][:12]}…")
    return manifest


def write_lmdb(path: Path, items) -> Path:
    """An LMDB in LSUN's layout (key = 40-hex ASCII name, value = image bytes), for benchmarks and tests."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    env = lmdb.open(str(path), map_size=1 << 36, subdir=True)
    with env.begin(write=True) as txn:
        for key, value in items:
            txn.put(key, value)
    env.close()
    return path


def synthetic_entries(n: int, seed: int = 0, quality: int = 75):
    """Smooth random JPEGs (quality 75 like LSUN's) with shorter side 256, landscape and portrait."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        long_side = int(rng.integers(256, 400))
        size = (long_side, 256) if i % 3 else (256, long_side)
        low = Image.fromarray(rng.integers(0, 256, (6, 6, 3), dtype=np.uint8)).resize(size, Image.BICUBIC)
        buffer = io.BytesIO()
        low.save(buffer, "JPEG", quality=quality)
        yield hashlib.sha1(f"{seed}-{i}".encode()).hexdigest().encode(), buffer.getvalue()


class _Done:
    def __init__(self, value):
        self.value = value

    def get(self):
        return self.value


class _InProcess:
    """The pool interface, run in this process (workers=1: no fork, easy to debug)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def apply_async(self, fn, args):
        return _Done(fn(*args))


def _pool(workers: int):
    return _InProcess() if workers <= 1 else multiprocessing.get_context("spawn").Pool(workers)


def _ordered_results(pool, todo, images: Images, size, fast, workers):
    """Chunks decoded in parallel, yielded in order, with at most 2×workers in flight (bounded memory)."""
    pending = deque()
    for i, keys in todo:
        pending.append((i, pool.apply_async(_decode_chunk, (images, keys, size, fast))))
        if len(pending) >= 2 * max(workers, 1):
            j, result = pending.popleft()
            yield j, result.get()
    while pending:
        j, result = pending.popleft()
        yield j, result.get()
