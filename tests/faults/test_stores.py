"""Image stores are what their manifest says: one `prepare` per --out, content checked against the manifest's sha256
(once per file version), another store never mixed in or left behind, empty and corrupt inputs refused in one line."""

import fcntl
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
import yaml

from repro.cli import main
from repro.data.lsun import write_lmdb
from repro.data.sampler import load_images, open_sampler
from repro.data.store import load_store, load_store_labels, write_store
from repro.errors import DataError
from tests.conftest import ROOT, TINY, repro_cli
from tests.paper_fixtures import cifar10_images, imagenet32_npz, mnist_raw


@pytest.fixture
def cli(capsys):
    """`python -m repro …` run in this process (a child's start-up costs seconds): its status, stdout and stderr."""
    def run(*args):
        status = main(list(map(str, args)))
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(args, status, out, err)

    return run


def one_line_error(result) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    return err


def profile_on(store, tmp_path):
    """The tiny profile with the LSUN runs' data entry pointed at `store`."""
    raw = yaml.safe_load(TINY.read_text())
    raw["data"]["lsun-bedroom"] = str(store)
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def train(cli, profile, out):
    return cli("train", "gan-dcgan", "--config", profile, "--iters", 2, "--out", out, "--quiet")


def inputs(dataset, tmp_path, lsun_small):
    """The source arguments of `prepare <dataset>`, with their raw files written under tmp_path."""
    if dataset == "lsun":
        return ["--lmdb", lsun_small, "--max-bad", 0.5]
    if dataset == "cifar10":
        cifar10_images(tmp_path / "cifar10")
        return ["--images", tmp_path / "cifar10"]
    if dataset == "mnist":
        mnist_raw(tmp_path / "mnist")
        return ["--root", tmp_path / "mnist"]
    if dataset == "imagenet32":
        imagenet32_npz(tmp_path / "imagenet32")
        return ["--root", tmp_path / "imagenet32"]
    return []


@pytest.mark.parametrize("dataset", ["lsun", "cifar10", "mnist", "imagenet32", "mnist-bundled"])
def test_a_second_prepare_into_a_held_out_exits_2_naming_it_and_the_holder(dataset, tmp_path, lsun_small, cli):
    out = tmp_path / "store"
    out.mkdir()
    with open(out / ".lock", "w") as held:  # this process is the first writer
        fcntl.flock(held, fcntl.LOCK_EX)
        held.write(f"{os.getpid()}\n")
        held.flush()
        err = one_line_error(cli("prepare", dataset, *inputs(dataset, tmp_path, lsun_small), "--out", out,
                                       "--quiet"))
    assert f"{out}: another process (PID {os.getpid()}) prepares a store there" in err
    assert not list(out.rglob("*.npy")) and not list(out.rglob("manifest.json"))


@pytest.mark.parametrize("damage", ["overwritten", "truncated"])
def test_a_damaged_store_is_refused_by_train_and_evaluate_and_the_fix_it_names_works(damage, tmp_path, cli):
    store, run = tmp_path / "store", tmp_path / "run"
    assert cli("prepare", "mnist-bundled", "--size", 16, "--out", store, "--quiet").returncode == 0
    profile = profile_on(store, tmp_path)
    assert train(cli, profile, run).returncode == 0
    images = store / "images.npy"
    if damage == "overwritten":  # 100 kB in the middle, the size unchanged
        with open(images, "r+b") as f:
            f.seek(1_000_000)
            f.write(np.random.default_rng(0).integers(0, 256, 100_000, dtype=np.uint8).tobytes())
    else:
        os.truncate(images, images.stat().st_size // 2)
    err = one_line_error(train(cli, profile, tmp_path / "again"))
    assert f"{images}: content does not match its sha256 in manifest.json" in err
    fix = re.search(r"`python -m repro (prepare mnist-bundled --size 16 --out \S+ --overwrite)`", err)
    assert fix, err
    evaluated = cli("evaluate", run, "--config", profile, "--out", tmp_path / "metrics.csv", "--cache",
                          tmp_path / "cache", "--device", "cpu", "--quiet")
    assert f"{images}: content does not match" in one_line_error(evaluated)
    assert cli(*fix[1].split()).returncode == 0
    assert train(cli, profile, tmp_path / "rebuilt").returncode == 0


def test_a_store_is_hashed_once_per_size_and_mtime_the_record_kept_beside_it(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, (200, 1, 16, 16), dtype=np.uint8)
    write_store(tmp_path, [images], 200, (1, 16, 16), {"dataset": "random"})
    assert np.array_equal(load_images(str(tmp_path), 16), images)
    stat = (tmp_path / "images.npy").stat()
    record = json.loads((tmp_path / ".verified.json").read_text())
    assert record["images.npy"]["size"] == stat.st_size and record["images.npy"]["mtime_ns"] == stat.st_mtime_ns
    with open(tmp_path / "images.npy", "r+b") as f:  # changed behind the record's back: same size, same mtime
        f.seek(-10, os.SEEK_END)
        f.write(bytes(10))
    os.utime(tmp_path / "images.npy", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    load = f"from repro.data.store import load_store; load_store({str(tmp_path)!r})"  # as the next run opens it
    fresh_process = subprocess.run([sys.executable, "-c", load], cwd=ROOT, capture_output=True, text=True)
    assert fresh_process.returncode == 0, fresh_process.stderr  # not hashed again: the record vouches for it
    os.utime(tmp_path / "images.npy", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    fresh_process = subprocess.run([sys.executable, "-c", load], cwd=ROOT, capture_output=True, text=True)
    assert "content does not match its sha256" in fresh_process.stderr  # a new mtime: hashed, and caught


def test_labels_are_checked_when_the_manifest_hashes_them_older_manifests_still_load(tmp_path):
    images = np.zeros((100, 1, 16, 16), np.uint8)
    manifest = write_store(tmp_path, [images], 100, (1, 16, 16), {"dataset": "zeros"}, labels=np.arange(100) % 10)
    assert "labels_sha256" in manifest
    np.save(tmp_path / "labels.npy", np.zeros(100, np.int64))  # every class 0: no longer the prepared labels
    with pytest.raises(DataError, match=r"labels.npy: content does not match its sha256 in manifest.json"):
        open_sampler(str(tmp_path), 16, 64, 0, "cpu", labeled=True)
    del manifest["labels_sha256"]  # as written before the labels were hashed
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert len(load_store(tmp_path)) == 100 and not load_store_labels(tmp_path).any()


def test_prepare_refuses_another_store_and_overwrite_leaves_nothing_of_it(tmp_path, lsun_small, cli):
    out = tmp_path / "store"
    lsun = ["prepare", "lsun", "--lmdb", lsun_small, "--size", 32, "--max-bad", 0.5, "--out", out, "--quiet"]
    assert cli("prepare", "mnist-bundled", "--size", 32, "--out", out).returncode == 0
    assert load_images(str(out), 32).shape == (10_000, 1, 32, 32) and (out / ".verified.json").exists()
    err = one_line_error(cli(*lsun))
    assert f"{out}: holds another store" in err and "--overwrite" in err
    assert len(np.load(out / "labels.npy")) == 10_000  # refused: the digits' store untouched
    assert cli(*lsun, "--overwrite").returncode == 0
    assert sorted(p.name for p in out.iterdir() if p.name != ".lock") == ["images.npy", "manifest.json"]
    assert load_store(out).shape == (9, 3, 32, 32)
    again = cli(*lsun)
    assert again.returncode == 0 and "already prepared" in again.stdout
    assert "holds another store" in one_line_error(cli("prepare", "mnist-bundled", "--size", 32, "--out", out))


def test_split_stores_rerun_as_already_prepared_and_overwrite_removes_a_stale_split(tmp_path, cli):
    imagenet32_npz(tmp_path / "imagenet32")
    cifar10_images(tmp_path / "cifar10")
    out = tmp_path / "stores"
    cifar = ["prepare", "cifar10", "--images", tmp_path / "cifar10", "--out", out, "--quiet"]
    assert cli("prepare", "imagenet32", "--root", tmp_path / "imagenet32", "--out", out).returncode == 0
    assert (out / "validation" / "manifest.json").exists()
    assert "holds another store" in one_line_error(cli(*cifar))
    assert cli(*cifar, "--overwrite").returncode == 0
    assert sorted(p.name for p in out.iterdir() if p.name != ".lock") == ["test", "train"]  # no imagenet32 split
    assert json.loads((out / "train" / "manifest.json").read_text())["dataset"] == "cifar10"
    again = cli(*cifar)
    assert again.returncode == 0 and "already prepared" in again.stdout


def test_an_empty_lmdb_is_an_error_not_an_empty_store(tmp_path, cli):
    empty = write_lmdb(tmp_path / "bedroom_train_lmdb", [])
    err = one_line_error(cli("prepare", "lsun", "--lmdb", empty, "--out", tmp_path / "store"))
    assert f"{empty}: the LMDB holds no entries" in err
    assert not (tmp_path / "store" / "manifest.json").exists()


def test_training_on_an_empty_store_names_it_and_the_fix(tmp_path, cli):
    store = tmp_path / "store"
    write_store(store, [], 0, (1, 16, 16), {"dataset": "lsun", "source": "/data/empty_lmdb", "size": 16})  # as before
    err = one_line_error(train(cli, profile_on(store, tmp_path), tmp_path / "run"))
    assert f"{store}: the store holds no images" in err
    assert f"python -m repro prepare lsun --lmdb /data/empty_lmdb --size 16 --out {store} --overwrite" in err


@pytest.mark.parametrize("damage", ["random bytes", "truncated"])
def test_a_corrupt_data_mdb_is_one_line_naming_it(damage, tmp_path, lsun_small):
    folder = tmp_path / "bedroom_train_lmdb"
    folder.mkdir()
    data = (lsun_small / "data.mdb").read_bytes()
    (folder / "data.mdb").write_bytes(os.urandom(len(data)) if damage == "random bytes" else data[:len(data) // 2])
    # a child process: reading a truncated LMDB's pages kills the reader with SIGBUS
    err = one_line_error(repro_cli("prepare", "lsun", "--lmdb", folder, "--out", tmp_path / "store"))
    assert f"{folder / 'data.mdb'}: " in err and "download and unpack it again" in err
