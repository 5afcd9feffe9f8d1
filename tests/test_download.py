"""LSUN download against a real local HTTP server serving a zip of a real small LMDB: resume, verify, unpack."""

import hashlib
import io
import socket
import struct
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import lmdb
import numpy as np
import pytest
from PIL import Image

from repro.data.download import CATEGORIES, download_lsun
from repro.errors import ConfigError, DataError

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
    """Serves `server.payload`, honouring `Range: bytes=N-` unless `server.ignore_range`; `server.cut_after` = K
    sends the full Content-Length but only K bytes on the next request, then closes the connection."""

    def do_GET(self):
        srv, body = self.server, self.server.payload
        srv.ranges.append(self.headers.get("Range"))
        if self.path != f"/{NAME}.zip":
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
    httpd.payload, httpd.cut_after, httpd.ignore_range, httpd.ranges = lsun[0], None, False, []
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
