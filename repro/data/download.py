"""Fetch an LSUN scene category as an LMDB folder, or the One Billion Word benchmark, resuming broken downloads.

LSUN's official zips are large (bedroom_train is over 40 GB), and a transfer that long often breaks. The download
therefore goes to a `.part` file that a rerun continues with an HTTP Range request instead of starting over. A
finished archive is checked (a full read: the CRC of every zip member, gzip's CRC-32 and length trailer) before it is
unpacked, because a truncated or corrupt archive would otherwise surface much later as unreadable data in the middle
of training. Unpacking goes to a temporary folder inside `out/` that is renamed into place, so an interrupted
extraction never leaves a half-written folder that looks complete.

The archive is kept after extraction: whether another copy is worth the disk is the user's call (delete it to
reclaim the space, keep it to re-extract without downloading again).
"""

import gzip
import hashlib
import http.client
import os
import posixpath
import re
import shutil
import sys
import tarfile
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
# WGAN-GP's gan_language.py reads <BILLION_WORD>/<BILLION_WORD_TRAIN>/news.en-000{01..99}-of-00100. The benchmark's
# page publishes no checksum of the archive, hence an optional `sha256` rather than a built-in one.
BILLION_WORD = "1-billion-word-language-modeling-benchmark-r13output"
BILLION_WORD_URL = f"http://www.statmt.org/lm-benchmark/{BILLION_WORD}.tar.gz"  # the benchmark's own page
BILLION_WORD_TRAIN = "training-monolingual.tokenized.shuffled"
BILLION_WORD_HELDOUT = "heldout-monolingual.tokenized.shuffled"
BILLION_WORD_SHARD = re.compile(r"news\.en-000\d\d-of-00100")
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
    _download(f"{base_url.rstrip('/')}/{name}.zip", zip_path, quiet)
    _verify_zip(zip_path, name)
    _unpack(zip_path, name, out, _unzip)
    return folder


def download_billion_word(out: Path, url: str = BILLION_WORD_URL, sha256: str | None = None,
                          quiet: bool = False) -> Path:
    """`out/<BILLION_WORD>/<BILLION_WORD_TRAIN>/` (and its heldout sibling), downloaded, verified and unpacked unless
    already there; the folder WGAN-GP's language model reads its news.en-000NN-of-00100 shards from.

    Only the training and heldout folders are unpacked (the archive holds nothing else the language model uses).
    Rerunning after any failure is safe, as for LSUN; `out/<BILLION_WORD>.tar.gz` is kept. `sha256`, when given,
    must be the archive's hex digest.
    """
    out = Path(out)
    root = out / BILLION_WORD
    folder = root / BILLION_WORD_TRAIN
    if folder.is_dir() and any(BILLION_WORD_SHARD.fullmatch(p.name) for p in folder.iterdir()):
        return folder
    if root.exists():
        raise DataError(f"{root} exists but holds no {BILLION_WORD_TRAIN}/news.en-000NN-of-00100; "
                        f"delete it and rerun to download it again")
    out.mkdir(parents=True, exist_ok=True)
    archive = out / f"{BILLION_WORD}.tar.gz"
    _download(url, archive, quiet)
    _verify_tar(archive, out, sha256)
    _unpack(archive, BILLION_WORD, out, _untar_billion_word)
    return folder


def _download(url: str, path: Path, quiet: bool) -> None:
    """`url` into `path` by way of `<path>.part`, so only a finished transfer carries the final name."""
    if path.exists():  # an archive left by an earlier run is verified again, not downloaded again
        return
    part = path.with_name(f"{path.name}.part")
    _fetch(url, part, quiet)
    os.replace(part, path)


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


def _damaged(archive: Path, reason) -> DataError:
    return DataError(f"{archive}: the archive is truncated or corrupt ({reason}); delete it and download it again")


def _verify_zip(zip_path: Path, name: str) -> None:
    """Reads every member and checks its CRC, so a truncated download fails here rather than mid-training."""
    try:
        with zipfile.ZipFile(zip_path) as z:
            bad, names = z.testzip(), z.namelist()
    except (zipfile.BadZipFile, EOFError, zlib.error) as e:
        raise _damaged(zip_path, e) from e
    if bad is not None:
        raise _damaged(zip_path, f"bad CRC in {bad}")
    if f"{name}/data.mdb" not in names:
        raise DataError(f"{zip_path}: holds no {name}/data.mdb, so it is not an LSUN LMDB zip; delete it and check "
                        f"the URL")


def _verify_tar(archive: Path, out: Path, sha256: str | None) -> None:
    """Reads the whole gzip stream (its CRC-32 and length trailer catch damage that tarfile alone may read past),
    refuses absolute members and any the data filter would refuse when extracting into `out`, and wants at least
    one training shard."""
    if sha256 is not None:
        with open(archive, "rb") as f:
            digest = hashlib.file_digest(f, "sha256").hexdigest()
        if digest != sha256.lower():
            raise DataError(f"{archive}: sha256 {digest} is not the expected {sha256}; delete it and download it "
                            f"again")
    found = False
    try:
        with gzip.open(archive) as gz:
            with tarfile.open(fileobj=gz, mode="r|") as tar:
                for member in tar:
                    if member.name.startswith("/"):  # the data filter would strip the slash: refuse it all the same
                        raise tarfile.AbsolutePathError(member)
                    tarfile.data_filter(member, str(out))
                    folder, file = _billion_word_part(member.name)
                    found = found or (member.isfile() and folder == BILLION_WORD_TRAIN
                                      and BILLION_WORD_SHARD.fullmatch(file) is not None)
            while gz.read(CHUNK):  # past the tar's end marker, to the gzip trailer
                pass
    except tarfile.FilterError as e:
        raise DataError(f"{archive}: unsafe member, so nothing is extracted ({e}); delete it and check the URL") from e
    except (tarfile.TarError, EOFError, OSError, zlib.error) as e:  # BadGzipFile is an OSError
        raise _damaged(archive, e) from e
    if not found:
        raise DataError(f"{archive}: holds no {BILLION_WORD}/{BILLION_WORD_TRAIN}/news.en-000NN-of-00100, so it is "
                        f"not the One Billion Word benchmark archive; delete it and check the URL")


def _billion_word_part(name: str) -> tuple[str, str]:
    """(folder under BILLION_WORD, path inside it) of a member, ('', '') outside BILLION_WORD; `./` is ignored."""
    root, _, rest = posixpath.normpath(name).partition("/")
    folder, _, inside = rest.partition("/")
    return (folder, inside) if root == BILLION_WORD else ("", "")


def _unzip(zip_path: Path, tmp: Path) -> None:
    with zipfile.ZipFile(zip_path) as z:
        z.extractall(tmp)


def _untar_billion_word(archive: Path, tmp: Path) -> None:
    """Only the training and heldout folders: the README and the rest are of no use to the language model."""
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(tmp, filter="data", members=(
            m for m in tar if _billion_word_part(m.name)[0] in (BILLION_WORD_TRAIN, BILLION_WORD_HELDOUT)))


def _unpack(archive: Path, name: str, out: Path, extract) -> None:
    """`extract(archive, tmp)` into a temporary folder inside `out`, then `tmp/name` renamed into place: never a
    half-extracted folder under the final name."""
    tmp = Path(tempfile.mkdtemp(dir=out, prefix=f".{name}."))
    try:
        extract(archive, tmp)
        os.replace(tmp / name, out / name)
    except OSError as e:  # most often a full disk
        raise DataError(f"{archive}: cannot extract into {out} ({e})") from e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
