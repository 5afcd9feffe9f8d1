"""LSUN LMDB → image store: pixels equal to the official transform, bad entries, resume, CLI errors."""

import contextlib
import io
import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from torchvision import transforms

from repro.data.lsun import CHUNK, open_lmdb, prepare_lsun
from repro.data.store import load_store, sha256_file
from tests.conftest import ROOT, repro_cli


def reference(value: bytes, size: int) -> np.ndarray:
    """Independent path: PIL decode → torchvision Resize(size) → CenterCrop(size), as the official WGAN code."""
    image = transforms.CenterCrop(size)(transforms.Resize(size)(Image.open(io.BytesIO(value)).convert("RGB")))
    return np.asarray(image).transpose(2, 0, 1)


def lmdb_items(path):
    with open_lmdb(path).begin() as txn:
        return [(bytes(k), bytes(v)) for k, v in txn.cursor()]


@pytest.mark.parametrize("size", [32, 64, 128])
def test_pixels_equal_torchvision_resize_and_center_crop(lsun_small, tmp_path, size):
    manifest = prepare_lsun(lsun_small, size, tmp_path, quiet=True, max_bad=0.5)
    images = load_store(tmp_path)
    skipped = {s["key"] for s in manifest["skipped"]}
    good = [(k, v) for k, v in lmdb_items(lsun_small) if k.decode() not in skipped]
    assert images.shape == (len(good), 3, size, size) == tuple(manifest["shape"])
    for row, (_, value) in zip(images, good):
        assert np.array_equal(row, reference(value, size))  # exactly, portrait and landscape alike
    assert manifest["sha256"] == sha256_file(tmp_path / "images.npy")


def test_corrupt_entries_are_skipped_and_listed(lsun_small, tmp_path):
    manifest = prepare_lsun(lsun_small, 64, tmp_path, quiet=True, max_bad=0.5)
    reasons = {s["key"]: s["reason"] for s in manifest["skipped"]}
    assert set(reasons) == {"d" * 40, "e" * 40, "f" * 40}
    assert "undecodable jpeg" in reasons["f" * 40] and "truncated" in reasons["f" * 40]
    assert reasons["e" * 40].startswith("not a JPEG or WebP")
    assert reasons["d" * 40].startswith("not a JPEG or WebP image (first bytes 89504e47")  # a PNG is not LSUN's format
    assert manifest["count"] == 12 - 3 and manifest["entries"] == 12 and manifest["source_type"] == "lmdb"
    assert manifest["versions"]["pillow"] and manifest["transform"].startswith("PIL decode")


def test_over_the_bad_entry_limit_exits_2_with_one_line(lsun_small, tmp_path):
    result = repro_cli("prepare", "lsun", "--lmdb", lsun_small, "--size", 32, "--out", tmp_path, "--quiet")
    assert result.returncode == 2
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and "undecodable entries, over the limit of 1.00%" in err
    assert "--max-bad" in err and str(lsun_small) in err
    assert not (tmp_path / "manifest.json").exists()


def test_limit_and_rerun(lsun_small, tmp_path):
    first = prepare_lsun(lsun_small, 32, tmp_path, limit=4, quiet=True)
    assert first["count"] == 4
    result = repro_cli("prepare", "lsun", "--lmdb", lsun_small, "--size", 32, "--out", tmp_path, "--limit", 4)
    assert result.returncode == 0 and "already prepared" in result.stdout


def test_fast_decode_is_opt_in_and_its_difference_is_recorded(lsun_small, tmp_path):
    exact = prepare_lsun(lsun_small, 64, tmp_path / "exact", quiet=True, max_bad=0.5)
    fast = prepare_lsun(lsun_small, 64, tmp_path / "fast", quiet=True, max_bad=0.5, fast_decode=True)
    assert exact["fast_decode_difference"] is None
    report = fast["fast_decode_difference"]
    assert report["compared"] == 9
    diff = np.abs(load_store(tmp_path / "fast").astype(int) - load_store(tmp_path / "exact").astype(int))
    assert diff.max() == report["max_abs_diff"] > 0  # draft decoding at 1/4 scale is not pixel-exact
    assert 0 < report["mean_abs_diff"] < 10


def test_not_an_lsun_folder_is_named(tmp_path):
    result = repro_cli("prepare", "lsun", "--lmdb", tmp_path, "--size", 64, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert f"{tmp_path}: no data.mdb here" in result.stderr


# `python -m repro …` that stops itself (SIGSTOP) right after committing its second chunk: a known point to kill it at
STOP_AFTER_TWO_CHUNKS = """
import os, signal, sys
from repro import atomic
from repro.cli import main

write_json, committed = atomic.write_json, []


def write_json_then_stop(path, obj):
    write_json(path, obj)
    if path.name.startswith("chunk_"):
        committed.append(path)
        if len(committed) == 2:
            os.kill(os.getpid(), signal.SIGSTOP)


atomic.write_json = write_json_then_stop
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.slow(seconds=12)
def test_kill_9_during_preprocessing_then_rerun_gives_the_same_sha256(lsun_large, tmp_path):
    uninterrupted = prepare_lsun(lsun_large, 64, tmp_path / "whole", quiet=True)
    assert uninterrupted["count"] == 3000 and 3000 > 3 * CHUNK
    out = tmp_path / "killed"
    args = ["prepare", "lsun", "--lmdb", str(lsun_large), "--size", "64", "--out", str(out), "--workers", "2",
            "--quiet"]
    proc = subprocess.Popen([sys.executable, "-c", STOP_AFTER_TWO_CHUNKS, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)  # its own group: it and its workers
    try:
        _, status = os.waitpid(proc.pid, os.WUNTRACED)  # returns once it has stopped itself (or exited)
        assert os.WIFSTOPPED(status), proc.stderr.read()
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # every child, whatever failed above
        proc.wait()
    assert not (out / "manifest.json").exists()
    assert sorted(p.name for p in (out / ".partial").glob("chunk_*.json")) == ["chunk_0000000.json",
                                                                                "chunk_0000001.json"]
    assert repro_cli(*args).returncode == 0
    resumed = json.loads((out / "manifest.json").read_text())
    assert resumed["sha256"] == uninterrupted["sha256"] == sha256_file(out / "images.npy")
    assert not (out / ".partial").exists()


def _peak_rss_mb(lmdb_path, out, limit: int) -> float:
    """Peak resident memory of a fresh process that prepares `limit` images (one worker: all in that process)."""
    code = ("from repro.data.lsun import prepare_lsun; "  # VmHWM: unlike ru_maxrss, not inherited from the parent
            f"prepare_lsun({str(lmdb_path)!r}, 64, {str(out)!r}, limit={limit}, quiet=True); "
            "print(next(line for line in open('/proc/self/status') if line.startswith('VmHWM')).split()[1])")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(result.stdout.split()[-1]) / 1024


@pytest.mark.slow(seconds=5)
def test_peak_memory_does_not_grow_with_the_dataset(lsun_large, tmp_path):
    """The bound: a few chunks of decoded images (2 × workers in flight, 512 images of 3×64×64 = 6.3 MB each) on
    top of the interpreter, whatever the count. Writing the store through a memory map made it grow with the
    images written (the mapped pages count as resident): measured 92 → 128 MB from 1024 to 3000 images; now
    91 → 94 MB."""
    small, large = (_peak_rss_mb(lsun_large, tmp_path / str(n), n) for n in (2 * CHUNK, 3000))
    assert large - small < CHUNK * 3 * 64 * 64 / 2**20  # less than one more chunk for 3.9x the images
    assert large < 2048


def _six_bedrooms(folder):
    """The six real bedrooms as the files of a copy: JPEG bytes as in the LMDB, named by their LSUN keys, in nested
    folders (as the copies on other hosts are laid out) - sorted paths give the key order."""
    from tests.lsun_fixture import real_entries

    items = real_entries()
    for i, (key, value) in enumerate(items):
        path = folder / ("a" if i < 3 else "b/c") / f"{key.decode()}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value)
    (folder / "README.txt").write_text("not an image: left out by its suffix")
    return items


@pytest.mark.parametrize("kind", ["folder", "tar", "zip"])
def test_a_copy_of_the_images_gives_the_lmdbs_store_byte_for_byte(tmp_path, kind):
    import tarfile
    import zipfile

    from repro.data.lsun import write_lmdb

    folder = tmp_path / "copy"
    items = _six_bedrooms(folder)
    # files sorted by path: a/<3 smallest keys> then b/c/<the rest>, the LMDB's key order too
    assert sorted(f"{'a' if i < 3 else 'b/c'}/{k.decode()}" for i, (k, _) in enumerate(items)) == \
        [f"{'a' if i < 3 else 'b/c'}/{k.decode()}" for i, (k, _) in enumerate(items)]
    source = {"folder": folder, "tar": tmp_path / "copy.tar", "zip": tmp_path / "copy.zip"}[kind]
    if kind == "tar":
        with tarfile.open(source, "w") as tar:
            tar.add(folder, arcname="bedrooms")
    elif kind == "zip":
        with zipfile.ZipFile(source, "w") as archive:
            for path in sorted(folder.rglob("*")):
                archive.write(path, path.relative_to(folder).as_posix())
    lmdb = write_lmdb(tmp_path / "bedroom_train_lmdb", items)
    from_lmdb = prepare_lsun(lmdb, 64, tmp_path / "from-lmdb", quiet=True)
    result = repro_cli("prepare", "lsun", "--images", source, "--size", 64, "--out", tmp_path / "from-copy",
                       "--quiet")
    assert result.returncode == 0, result.stderr
    from_copy = json.loads((tmp_path / "from-copy/manifest.json").read_text())
    assert (from_copy["source_type"], from_lmdb["source_type"]) == (kind, "lmdb") and from_copy["count"] == 6
    assert from_copy["sha256"] == from_lmdb["sha256"]
    assert (tmp_path / "from-copy/images.npy").read_bytes() == (tmp_path / "from-lmdb/images.npy").read_bytes()
    for row, (_, value) in zip(load_store(tmp_path / "from-copy"), items):
        assert np.array_equal(row, reference(value, 64))


def test_a_copy_may_hold_png_and_webp_and_names_what_it_cannot_read(tmp_path):
    from tests.lsun_fixture import SAMPLE_DIR

    pngs = sorted(SAMPLE_DIR.glob("*.png"))
    (tmp_path / "copy").mkdir()
    for path in pngs[:2]:
        (tmp_path / "copy" / path.name).write_bytes(path.read_bytes())
    Image.open(pngs[2]).convert("RGB").save(tmp_path / "copy/z.webp", "WEBP")
    (tmp_path / "copy/broken.jpg").write_bytes(b"no image here")
    manifest = prepare_lsun(tmp_path / "copy", 32, tmp_path / "store", quiet=True, max_bad=0.5, copy=True)
    assert manifest["count"] == 3 and manifest["skipped"] == [
        {"key": "broken.jpg", "reason": "not a JPEG, PNG or WebP image (first bytes 6e6f20696d616765)"}]
    for row, path in zip(load_store(tmp_path / "store"), [*pngs[:2], tmp_path / "copy/z.webp"]):
        assert np.array_equal(row, reference(path.read_bytes(), 32))
    empty = repro_cli("prepare", "lsun", "--images", tmp_path / "store", "--size", 32, "--out", tmp_path / "o")
    assert empty.returncode == 2 and empty.stderr.count("\n") == 1 and "holds no .jpg, .jpeg, .png or .webp" in \
        empty.stderr
