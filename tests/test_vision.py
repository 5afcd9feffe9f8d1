"""CIFAR-10 / MNIST through torchvision's classes into one store per split, offline errors, bundled digits."""

import gzip
import json

import numpy as np

from repro.data.store import load_store
from repro.data.vision import BUNDLED, read_idx_images
from tests.conftest import repro_cli


def test_offline_cifar10_without_files_names_them_and_the_url(tmp_path):
    result = repro_cli("prepare", "cifar10", "--root", tmp_path, "--out", tmp_path / "store")
    assert result.returncode == 2
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1
    assert "cifar-10-batches-py/data_batch_1" in err and "cifar-10-batches-py/test_batch" in err
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in err and "--download" in err


def _idx(path, array, magic):
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_through_torchvision_splits_50k_10k_and_test(tmp_path):
    digits = read_idx_images(BUNDLED / "mnist" / "t10k-images-idx3-ubyte.gz")
    labels = np.frombuffer(gzip.decompress((BUNDLED / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())[8:],
                           np.uint8)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    train = np.concatenate([np.roll(digits, k, axis=2) for k in range(6)])  # 60,000 distinct training stand-ins
    _idx(raw / "train-images-idx3-ubyte", train, 0x803)
    _idx(raw / "train-labels-idx1-ubyte", np.tile(labels, 6), 0x801)
    _idx(raw / "t10k-images-idx3-ubyte", digits, 0x803)
    _idx(raw / "t10k-labels-idx1-ubyte", labels, 0x801)
    result = repro_cli("prepare", "mnist", "--root", tmp_path, "--out", tmp_path / "mnist")
    assert result.returncode == 0, result.stderr
    stores = {s: load_store(tmp_path / "mnist" / s) for s in ("train", "validation", "test")}
    assert {s: len(x) for s, x in stores.items()} == {"train": 50_000, "validation": 10_000, "test": 10_000}
    assert np.array_equal(stores["validation"][0, 0], train[50_000])  # the last 10k training digits
    assert np.array_equal(stores["test"][:, 0], digits)
    manifest = json.loads((tmp_path / "mnist" / "validation" / "manifest.json").read_text())
    assert manifest["split"] == "validation" and manifest["labels"] and manifest["size"] == 28
    assert np.array_equal(np.load(tmp_path / "mnist" / "test" / "labels.npy"), labels)


def test_bundled_mnist_store(tmp_path):
    assert repro_cli("prepare", "mnist-bundled", "--size", 32, "--out", tmp_path).returncode == 0
    images = load_store(tmp_path)
    assert images.shape == (10_000, 1, 32, 32)
    assert json.loads((tmp_path / "manifest.json").read_text())["split"] == "test"
