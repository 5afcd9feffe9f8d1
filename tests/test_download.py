"""Downloads against a real local HTTP server, serving a zip of a real small LMDB (LSUN) or a small tar.gz with the
One Billion Word benchmark's layout: resume, verify, unpack."""

import hashlib
import io
import socket
import struct
import tarfile
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lmdb
import numpy as np
import pytest
from PIL import Image

from repro.data.download import (BILLION_WORD, BILLION_WORD_HELDOUT, BILLION_WORD_TRAIN, CATEGORIES,
                                  download_billion_word, download_lsun)
from repro.errors import ConfigError, DataError
from tests.conftest import repro_cli

NAME = "bedroom_train_lmdb"


def read_lmdb(folder) -> dict[bytes, bytes]:
    env = lmdb.open(str(folder), readonly=True, lock=False)
    try:
        with env.begin() as txn:
            return dict(txn.cursor())
    finally:
        env.close()


@pytest.fixture(scope="module")
def lsun(tmp_path_factory):
    """(zip bytes, entries): an LSUN-style zip holding `bedroom_train_lmdb/` with 20 JPEGs keyed by 40-hex ids."""
    root = tmp_path_factory.mktemp("lsun")
    rng = np.random.default_rng(0)
    entries = {}
    for i in range(20):
        buf = io.BytesIO()
        Image.fromarray(rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)).save(buf, format="JPEG", quality=75)
        entries[hashlib.sha1(str(i).encode()).hexdigest().encode("ascii")] = buf.getvalue()
    env = lmdb.open(str(root / NAME), map_size=1 << 24)
    with env.begin(write=True) as txn:
        for key, value in entries.items():
            txn.put(key, value)
    env.close()
    zip_path = root / f"{NAME}.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(root / NAME, NAME)  # the folder at the zip root, as in LSUN's zips
        for f in sorted((root / NAME).iterdir()):
            z.write(f, f"{NAME}/{f.name}")
    return zip_path.read_bytes(), entries


class Handler(BaseHTTPRequestHandler):
    """Serves `server.payload` at `server.path`, honouring `Range: bytes=N-` unless `server.ignore_range`;
    `server.cut_after` = K sends the full Content-Length but only K bytes on the next request, then closes the
    connection."""

    def do_GET(self):
        srv, body = self.server, self.server.payload
        srv.ranges.append(self.headers.get("Range"))
        if self.path != srv.path:
            self.send_error(404)
            return
        start = 0
        if self.headers.get("Range") and not srv.ignore_range:
            start = int(self.headers["Range"].removeprefix("bytes=").rstrip("-"))
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        sent = body[start:]
        if srv.cut_after is not None:
            sent, srv.cut_after = sent[:srv.cut_after], None
        self.wfile.write(sent)
        self.close_connection = True

    def log_message(self, *args):
        pass


@pytest.fixture
def server(lsun, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")  # a proxy in the environment must not intercept the local server
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    httpd.payload, httpd.path, httpd.cut_after, httpd.ignore_range = lsun[0], f"/{NAME}.zip", None, False
    httpd.ranges = []
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_download_unpacks_a_readable_lmdb(server, lsun, tmp_path):
    folder = download_lsun("bedroom", tmp_path, base_url=server.url, quiet=True)
    assert folder == tmp_path / NAME and (folder / "lock.mdb").is_file()
    assert read_lmdb(folder) == lsun[1]
    assert server.ranges == [None]
    assert (tmp_path / f"{NAME}.zip").read_bytes() == lsun[0]  # kept for the user to delete
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME, f"{NAME}.zip"]  # no .part, no temp folder


def test_a_cut_transfer_resumes_with_a_range_request(server, lsun, tmp_path):
    cut = len(lsun[0]) // 2
    server.cut_after = cut
    with pytest.raises(DataError, match="resume") as e:
        download_lsun("bedroom", tmp_path, base_url=server.url, quiet=True)
    assert f"{cut:,} of {len(lsun[0]):,} bytes" in str(e.value) and server.url in str(e.value)
    assert (tmp_path / f"{NAME}.zip.part").stat().st_size == cut
    assert not (tmp_path / NAME).exists()

    folder = download_lsun("bedroom", tmp_path, base_url=server.url, quiet=True)
    assert server.ranges == [None, f"bytes={cut}-"]
    assert read_lmdb(folder) == lsun[1]
    assert not (tmp_path / f"{NAME}.zip.part").exists()


def _flip_byte_in_data_mdb(payload: bytes) -> bytes:
    """The zip with one byte in the middle of data.mdb's compressed data flipped."""
    info = zipfile.ZipFile(io.BytesIO(payload)).getinfo(f"{NAME}/data.mdb")
    name_len, extra_len = struct.unpack("<HH", payload[info.header_offset + 26:info.header_offset + 30])
    at = info.header_offset + 30 + name_len + extra_len + info.compress_size // 2
    return payload[:at] + bytes([payload[at] ^ 0xFF]) + payload[at + 1:]


@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_a_damaged_zip_is_reported_and_not_extracted(server, lsun, tmp_path, damage):
    # The server itself serves the damaged file with a matching Content-Length, so the transfer looks complete.
    server.payload = lsun[0][:len(lsun[0]) // 2] if damage == "truncated" else _flip_byte_in_data_mdb(lsun[0])
    with pytest.raises(DataError, match="truncated or corrupt") as e:
        download_lsun("bedroom", tmp_path, base_url=server.url, quiet=True)
    assert f"{NAME}.zip" in str(e.value) and "delete it" in str(e.value)
    assert [p.name for p in tmp_path.iterdir()] == [f"{NAME}.zip"]  # nothing extracted, no temp folder left


def test_a_server_ignoring_range_restarts_from_zero(server, lsun, tmp_path):
    (tmp_path / f"{NAME}.zip.part").write_bytes(b"stale bytes from another file" * 40)
    server.ignore_range = True
    folder = download_lsun("bedroom", tmp_path, base_url=server.url, quiet=True)
    assert server.ranges == [f"bytes={29 * 40}-"]  # asked to resume, got a 200 with the whole file
    assert (tmp_path / f"{NAME}.zip").read_bytes() == lsun[0]
    assert read_lmdb(folder) == lsun[1]


def test_a_complete_part_answered_416_is_used_as_is(server, lsun, tmp_path):
    (tmp_path / f"{NAME}.zip.part").write_bytes(lsun[0])
    folder = download_lsun("bedroom", tmp_path, base_url=server.url, quiet=True)
    assert server.ranges == [f"bytes={len(lsun[0])}-"]
    assert read_lmdb(folder) == lsun[1]


def test_an_existing_lmdb_folder_is_returned_without_a_request(server, tmp_path):
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "data.mdb").write_bytes(b"")
    assert download_lsun("bedroom", tmp_path, base_url=server.url, quiet=True) == tmp_path / NAME
    assert server.ranges == []


def test_an_unreachable_server_names_the_url(tmp_path, monkeypatch):
    monkeypatch.setenv("no_proxy", "127.0.0.1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    with pytest.raises(DataError, match=f"http://127.0.0.1:{port}/{NAME}.zip: cannot download"):
        download_lsun("bedroom", tmp_path, base_url=f"http://127.0.0.1:{port}", quiet=True)


def test_an_unknown_category_lists_the_allowed_ones(tmp_path):
    with pytest.raises(ConfigError, match="'bedrom'") as e:
        download_lsun("bedrom", tmp_path, quiet=True)
    assert all(c in str(e.value) for c in CATEGORIES) and "did you mean 'bedroom'" in str(e.value)
    assert list(tmp_path.iterdir()) == []


ARCHIVE = f"{BILLION_WORD}.tar.gz"
TRAIN = f"{BILLION_WORD}/{BILLION_WORD_TRAIN}"
HELDOUT = f"{BILLION_WORD}/{BILLION_WORD_HELDOUT}"


def tar_gz(files: dict[str, bytes]) -> bytes:
    """A .tar.gz of `files` (member name -> bytes), each name written as given (`..` and `/` included)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture(scope="module")
def billion_word():
    """(tar.gz bytes, the files to unpack): the official layout, two tiny training shards, a heldout shard and a
    README that is not unpacked."""
    rng = np.random.default_rng(0)
    words = np.array("the a of to and in market said on year".split())

    def lines(n):
        return "".join(" ".join(rng.choice(words, 12)) + " .\n" for _ in range(n)).encode()

    files = {f"{TRAIN}/news.en-00001-of-00100": lines(300), f"{TRAIN}/news.en-00002-of-00100": lines(300),
             f"{HELDOUT}/news.en.heldout-00000-of-00050": lines(50)}
    return tar_gz({**files, f"{BILLION_WORD}/README": b"not unpacked\n"}), files


@pytest.fixture
def bw_server(server, billion_word):
    server.payload, server.path = billion_word[0], f"/{ARCHIVE}"
    server.url = f"{server.url}/{ARCHIVE}"
    return server


def extracted(out) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in (out / BILLION_WORD).rglob("*") if p.is_file()}


def test_billion_word_unpacks_the_training_and_heldout_shards(bw_server, billion_word, tmp_path):
    folder = download_billion_word(tmp_path, bw_server.url, quiet=True)
    assert folder == tmp_path / TRAIN
    assert extracted(tmp_path) == billion_word[1]
    assert (tmp_path / ARCHIVE).read_bytes() == billion_word[0]  # kept for the user to delete
    assert sorted(p.name for p in tmp_path.iterdir()) == [BILLION_WORD, ARCHIVE]  # no .part, no temp folder
    assert download_billion_word(tmp_path, bw_server.url, quiet=True) == folder and bw_server.ranges == [None]


def test_billion_word_a_cut_transfer_resumes_with_a_range_request(bw_server, billion_word, tmp_path):
    cut = len(billion_word[0]) // 2
    bw_server.cut_after = cut
    with pytest.raises(DataError, match="rerun the same command to resume") as e:
        download_billion_word(tmp_path, bw_server.url, quiet=True)
    assert f"{cut:,} of {len(billion_word[0]):,} bytes" in str(e.value) and bw_server.url in str(e.value)
    assert (tmp_path / f"{ARCHIVE}.part").stat().st_size == cut
    assert not (tmp_path / BILLION_WORD).exists()

    download_billion_word(tmp_path, bw_server.url, quiet=True)
    assert bw_server.ranges == [None, f"bytes={cut}-"]
    assert (tmp_path / ARCHIVE).read_bytes() == billion_word[0]
    assert extracted(tmp_path) == billion_word[1]


@pytest.mark.parametrize("damage", ["flipped", "truncated", "trailer cut"])
def test_billion_word_a_damaged_archive_is_refused_and_not_extracted(bw_server, billion_word, tmp_path, damage):
    # Served whole with a matching Content-Length, so the transfer looks complete. Without its 8-byte trailer (the
    # CRC-32 and length) the tar itself still reads to its end marker: only reading the gzip stream to its end fails.
    payload = billion_word[0]
    at = len(payload) // 2
    bw_server.payload = {"flipped": payload[:at] + bytes([payload[at] ^ 0xFF]) + payload[at + 1:],
                         "truncated": payload[:at], "trailer cut": payload[:-8]}[damage]
    with pytest.raises(DataError, match="truncated or corrupt") as e:
        download_billion_word(tmp_path, bw_server.url, quiet=True)
    assert str(tmp_path / ARCHIVE) in str(e.value) and "delete it" in str(e.value)
    assert [p.name for p in tmp_path.iterdir()] == [ARCHIVE]  # nothing extracted, no temp folder left


@pytest.mark.parametrize("evil", ["../evil", f"{TRAIN}/../../../evil", "absolute"])
def test_billion_word_a_member_outside_the_folder_is_refused(bw_server, billion_word, tmp_path, evil):
    evil = str(tmp_path / "evil") if evil == "absolute" else evil
    bw_server.payload = tar_gz({**billion_word[1], evil: b"escaped"})
    out = tmp_path / "out"
    with pytest.raises(DataError, match="unsafe member") as e:
        download_billion_word(out, bw_server.url, quiet=True)
    assert str(out / ARCHIVE) in str(e.value) and "evil" in str(e.value)
    assert [p.name for p in out.iterdir()] == [ARCHIVE] and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_billion_word_another_archive_is_refused(bw_server, tmp_path):
    bw_server.payload = tar_gz({f"{BILLION_WORD}/README": b"no shards\n", f"{TRAIN}/notes.txt": b"x\n"})
    with pytest.raises(DataError, match="not the One Billion Word benchmark archive"):
        download_billion_word(tmp_path, bw_server.url, quiet=True)
    assert [p.name for p in tmp_path.iterdir()] == [ARCHIVE]


def test_billion_word_a_folder_without_shards_is_not_taken_for_a_download(bw_server, tmp_path):
    (tmp_path / TRAIN).mkdir(parents=True)
    with pytest.raises(DataError, match=f"{tmp_path / BILLION_WORD} exists but holds no .*; delete it and rerun"):
        download_billion_word(tmp_path, bw_server.url, quiet=True)
    assert bw_server.ranges == []


def test_billion_word_sha256_is_checked_when_given(bw_server, billion_word, tmp_path):
    digest = hashlib.sha256(billion_word[0]).hexdigest()
    with pytest.raises(DataError, match=f"sha256 {digest} is not the expected {'0' * 64}"):
        download_billion_word(tmp_path, bw_server.url, sha256="0" * 64, quiet=True)
    assert [p.name for p in tmp_path.iterdir()] == [ARCHIVE]
    assert download_billion_word(tmp_path, bw_server.url, sha256=digest.upper(), quiet=True) == tmp_path / TRAIN
    assert bw_server.ranges == [None]  # the kept archive is checked again, not downloaded again


def test_billion_word_cli_refuses_a_truncated_archive_in_one_line(bw_server, billion_word, tmp_path):
    bw_server.payload = billion_word[0][:-8]
    result = repro_cli("download", "billion-word", "--url", bw_server.url, "--out", tmp_path, "--quiet")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {tmp_path / ARCHIVE}: the archive is truncated or corrupt")
    assert result.stderr.count("\n") == 1 and [p.name for p in tmp_path.iterdir()] == [ARCHIVE]


def test_billion_word_cli_prints_one_line_when_quiet(bw_server, billion_word, tmp_path):
    result = repro_cli("download", "billion-word", "--url", bw_server.url, "--out", tmp_path, "--quiet", check=True)
    assert result.stdout == f"{tmp_path / TRAIN}: ready; next: python -m repro prepare billion-word --root " \
                            f"{tmp_path / BILLION_WORD} --out DIR\n" and result.stderr == ""
    assert extracted(tmp_path) == billion_word[1]
