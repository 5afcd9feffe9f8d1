"""CIFAR-10 / MNIST through torchvision's classes into one store per split, offline errors, bundled digits."""

import gzip
import json

import numpy as np

from repro.data.store import load_store
from repro.data.vision import BUNDLED, read_idx_images
from tests.conftest import ROOT, repro_cli


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


def _imagenet32_batch(path, images, labels):
    """The downsampled-ImageNet npz layout: rows of 3072 bytes (R plane, G plane, B plane), 1-based labels."""
    np.savez(path, data=images.transpose(0, 3, 1, 2).reshape(len(images), -1), labels=list(labels + 1),
             mean=np.zeros(3072))


def test_imagenet32_batches_into_train_and_validation_stores(tmp_path):
    from PIL import Image

    photos = np.stack([np.asarray(Image.open(p).convert("RGB").resize((32, 32)))
                       for p in sorted((ROOT / "tests/data/lsun_bedroom_sample").glob("*.png"))])  # real images
    root = tmp_path / "imagenet32"
    root.mkdir()
    missing = repro_cli("prepare", "imagenet32", "--root", root, "--out", tmp_path / "store")
    assert missing.returncode == 2 and "train_data_batch_1.npz" in missing.stderr and "image-net.org" in missing.stderr
    for k in range(1, 11):  # batch k holds photos rolled by k, labelled k - 1
        _imagenet32_batch(root / f"train_data_batch_{k}.npz", np.roll(photos, k, axis=0), np.full(len(photos), k - 1))
    _imagenet32_batch(root / "val_data.npz", photos[:2], np.array([999, 0]))
    result = repro_cli("prepare", "imagenet32", "--root", root, "--out", tmp_path / "store")
    assert result.returncode == 0, result.stderr
    train, validation = load_store(tmp_path / "store/train"), load_store(tmp_path / "store/validation")
    assert train.shape == (10 * len(photos), 3, 32, 32) and validation.shape == (2, 3, 32, 32)
    assert np.array_equal(train[len(photos)].transpose(1, 2, 0), np.roll(photos, 2, axis=0)[0])  # batch 2, first
    assert np.array_equal(np.load(tmp_path / "store/validation/labels.npy"), [999, 0])  # stored 0-based
    assert np.load(tmp_path / "store/train/labels.npy")[-1] == 9
    manifest = json.loads((tmp_path / "store/train/manifest.json").read_text())
    assert (manifest["dataset"], manifest["split"], manifest["transform"]) == ("imagenet32", "train", "none")
    np.savez(root / "val_data.npz", data=np.zeros((2, 64 * 64 * 3), np.uint8), labels=[1, 2])
    wrong = repro_cli("prepare", "imagenet32", "--root", root, "--out", tmp_path / "other")
    assert wrong.returncode == 2 and "val_data.npz" in wrong.stderr and "64×64 one is not supported" in wrong.stderr
