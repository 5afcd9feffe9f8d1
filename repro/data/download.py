"""Fetch an LSUN scene category as an LMDB folder, resuming broken downloads.

LSUN's official zips are large (bedroom_train is over 40 GB), and a transfer that long often breaks. The download
therefore goes to a `.part` file that a rerun continues with an HTTP Range request instead of starting over. A
finished zip is checked (the CRC of every member, a full read) before it is unpacked, because a truncated or corrupt
zip would otherwise surface much later as an unreadable LMDB in the middle of training. Unpacking goes to a temporary
folder inside `out/` that is renamed into place, so an interrupted extraction never leaves a half-written LMDB folder
that looks complete.

The zip is kept after extraction: whether another 40 GB copy is worth the disk is the user's call (delete it to
reclaim the space, keep it to re-extract without downloading again).
"""

import http.client
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
import zlib
from pathlib import Path

from tqdm import tqdm

from repro.errors import ConfigError, DataError, did_you_mean

LSUN_URL = "http://dl.yf.io/lsun/scenes"  # the host LSUN's own download.py uses
CATEGORIES = ("bedroom", "bridge", "church_outdoor", "classroom", "conference_room", "dining_room", "kitchen",
              "living_room", "restaurant", "tower")
SPLITS = ("train", "val")
CHUNK = 1 << 20
TIMEOUT_S = 60  # a stalled connection becomes a resumable error instead of a hang


def download_lsun(category: str, out: Path, split: str = "train", base_url: str = LSUN_URL,
                  quiet: bool = False) -> Path:
    """`out/<category>_<split>_lmdb/` (data.mdb, lock.mdb), downloaded, verified and unpacked unless already there.

    Rerunning after any failure is safe: a partial download resumes, a finished LMDB folder is returned without
    touching the network, and `out/<category>_<split>_lmdb.zip` is kept.
    """
    if category not in CATEGORIES:
        raise ConfigError(f"unknown LSUN category {category!r}{did_you_mean(category, CATEGORIES)}; "
                          f"choose one of: {', '.join(CATEGORIES)}")
    if split not in SPLITS:
        raise ConfigError(f"unknown LSUN split {split!r}; choose one of: {', '.join(SPLITS)}")
    out = Path(out)
    name = f"{category}_{split}_lmdb"
    folder = out / name
    if (folder / "data.mdb").is_file():
        return folder
    if folder.exists():
        raise DataError(f"{folder} exists but holds no data.mdb; delete it and rerun to download it again")
    out.mkdir(parents=True, exist_ok=True)
    zip_path = out / f"{name}.zip"
    if not zip_path.exists():  # a zip left by an earlier run is verified again, not downloaded again
        part = out / f"{name}.zip.part"
        _fetch(f"{base_url.rstrip('/')}/{name}.zip", part, quiet)
        os.replace(part, zip_path)
    _verify(zip_path)
    _extract(zip_path, name, out)
    return folder


def _fetch(url: str, part: Path, quiet: bool) -> None:
    """Streams `url` into `part`, continuing from the bytes already there when the server honours Range."""
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as e:
        e.close()
        if e.code == 416 and have:
            return  # nothing left to send: the part already holds the whole file
        raise DataError(f"{url}: HTTP {e.code} {e.reason}") from e
    except OSError as e:  # URLError, or a timeout while connecting
        raise DataError(f"{url}: cannot download ({getattr(e, 'reason', e)})") from e
    error = None
    with response:
        if response.status == 206:
            start, total = _content_range(url, response.headers.get("Content-Range", ""))
            if start != have:
                raise DataError(f"{url}: asked to resume at byte {have:,} but the server sent from byte {start:,}; "
                                f"delete {part} and rerun")
            mode = "ab"
        else:  # 200: the server ignored Range and sends the whole file
            length = response.headers.get("Content-Length")
            have, total, mode = 0, int(length) if length else None, "wb"
        with open(part, mode) as f, tqdm(total=total, initial=have, unit="B", unit_scale=True, unit_divisor=1024,
                                         desc=part.name.removesuffix(".part"),
                                         disable=quiet or not sys.stderr.isatty()) as bar:
            try:
                while chunk := response.read(CHUNK):
                    f.write(chunk)
                    have += len(chunk)
                    bar.update(len(chunk))
            except (OSError, http.client.HTTPException) as e:  # reset, timeout, IncompleteRead
                error = e
    if error is not None or (total is not None and have != total):
        of = f"{total:,}" if total is not None else "an unknown number of"
        raise DataError(f"{url}: the transfer stopped after {have:,} of {of} bytes ({error or 'connection closed'}); "
                        f"rerun the same command to resume")


def _content_range(url: str, value: str) -> tuple[int, int | None]:
    """(first byte, total size or None) from a Content-Range header such as `bytes 100-999/1000`."""
    try:
        span, size = value.removeprefix("bytes ").split("/")
        return int(span.split("-")[0]), None if size == "*" else int(size)
    except ValueError as e:
        raise DataError(f"{url}: unreadable Content-Range {value!r} in a 206 reply") from e


def _verify(zip_path: Path) -> None:
    """Reads every member and checks its CRC, so a truncated download fails here rather than mid-training."""
    try:
        with zipfile.ZipFile(zip_path) as z:
            bad = z.testzip()
    except (zipfile.BadZipFile, EOFError, zlib.error) as e:
        bad = e
    if bad is not None:
        reason = f"bad CRC in {bad}" if isinstance(bad, str) else bad
        raise DataError(f"{zip_path}: the zip is truncated or corrupt ({reason}); delete it and download it again")


def _extract(zip_path: Path, name: str, out: Path) -> None:
    """Unpacks into a temporary folder inside `out` and renames `name` into place: never a half-extracted LMDB."""
    tmp = Path(tempfile.mkdtemp(dir=out, prefix=f".{name}."))
    try:
        with zipfile.ZipFile(zip_path) as z:
            z.extractall(tmp)
        if not (tmp / name / "data.mdb").is_file():
            raise DataError(f"{zip_path}: holds no {name}/data.mdb, so it is not an LSUN LMDB zip")
        os.replace(tmp / name, out / name)
    except OSError as e:  # most often a full disk
        raise DataError(f"{zip_path}: cannot extract into {out} ({e})") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
