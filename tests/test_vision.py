"""CIFAR-10 / MNIST through torchvision's classes into one store per split, offline errors, bundled digits."""

import gzip
import json

import numpy as np
from PIL import Image

from repro.data.store import load_store
from repro.data.vision import BUNDLED, CIFAR10_CLASSES
from tests.conftest import ROOT, repro_cli
from tests.paper_fixtures import cifar10_images, mnist_raw, write_imagenet32_batch


def test_offline_cifar10_without_files_names_them_and_the_url(tmp_path):
    result = repro_cli("prepare", "cifar10", "--root", tmp_path, "--out", tmp_path / "store")
    assert result.returncode == 2
    err = result.stderr.strip()
    assert len(err.splitlines()) == 1
    assert "cifar-10-batches-py/data_batch_1" in err and "cifar-10-batches-py/test_batch" in err
    assert "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz" in err and "--download" in err


def test_cifar10_from_an_image_folder_gives_the_train_and_test_stores_with_their_classes(tmp_path):
    """The second input of `prepare cifar10` (torchvision checks the archive's md5, so only real files pass it): a
    folder of train/<class>/ and test/<class>/ images, as CIFAR-10's copies on GitHub and Kaggle are laid out."""
    expected = cifar10_images(tmp_path / "cifar10")
    result = repro_cli("prepare", "cifar10", "--images", tmp_path / "cifar10", "--out", tmp_path / "store")
    assert result.returncode == 0, result.stderr
    for split, (pixels, labels) in expected.items():
        store = load_store(tmp_path / "store" / split)
        assert store.shape == (len(pixels), 3, 32, 32) and np.array_equal(store, pixels.transpose(0, 3, 1, 2))
        assert np.array_equal(np.load(tmp_path / "store" / split / "labels.npy"), labels)
        manifest = json.loads((tmp_path / "store" / split / "manifest.json").read_text())
        assert (manifest["dataset"], manifest["split"], manifest["count"]) == ("cifar10", split, len(pixels))
        assert manifest["source"].startswith("CIFAR-10 image folder at")
    assert sorted(set(expected["train"][1])) == list(range(10)) and len(expected["test"][0]) == 20


def test_a_cifar10_image_folder_with_a_wrong_layout_is_one_line_naming_the_path(tmp_path):
    cifar10_images(tmp_path / "cifar10")
    (tmp_path / "cifar10" / "train" / "kitten").mkdir()
    result = repro_cli("prepare", "cifar10", "--images", tmp_path / "cifar10", "--out", tmp_path / "store")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "cifar10/train: unknown class folder(s) kitten" in result.stderr and ", ".join(CIFAR10_CLASSES) in \
        result.stderr
    (tmp_path / "cifar10" / "train" / "kitten").rmdir()
    Image.new("RGB", (64, 64)).save(tmp_path / "cifar10" / "test" / "cat" / "big.png")
    result = repro_cli("prepare", "cifar10", "--images", tmp_path / "cifar10", "--out", tmp_path / "store")
    assert result.returncode == 2 and "big.png: 64×64 pixels; CIFAR-10 images are 32×32" in result.stderr
    result = repro_cli("prepare", "cifar10", "--images", tmp_path / "nowhere", "--out", tmp_path / "store")
    assert result.returncode == 2 and "nowhere/train: not found" in result.stderr
    assert not list((tmp_path / "store").rglob("*.npy"))  # nothing written: only the lock taken before reading


def test_mnist_through_torchvision_splits_50k_10k_and_test(tmp_path):
    train, digits = mnist_raw(tmp_path)
    labels = np.frombuffer(gzip.decompress((BUNDLED / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())[8:],
                           np.uint8)
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


def test_imagenet32_batches_into_train_and_validation_stores(tmp_path):
    from PIL import Image

    photos = np.stack([np.asarray(Image.open(p).convert("RGB").resize((32, 32)))
                       for p in sorted((ROOT / "tests/data/lsun_bedroom_sample").glob("*.png"))])  # real images
    root = tmp_path / "imagenet32"
    root.mkdir()
    missing = repro_cli("prepare", "imagenet32", "--root", root, "--out", tmp_path / "store")
    assert missing.returncode == 2 and "train_data_batch_1.npz" in missing.stderr and "image-net.org" in missing.stderr
    for k in range(1, 11):  # batch k holds photos rolled by k, labelled k - 1
        write_imagenet32_batch(root / f"train_data_batch_{k}.npz", np.roll(photos, k, axis=0),
                               np.full(len(photos), k - 1))
    write_imagenet32_batch(root / "val_data.npz", photos[:2], np.array([999, 0]))
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
