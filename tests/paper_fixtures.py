"""Raw datasets in the formats users feed `python -m repro prepare`, built from the repo's small real samples:
LSUN train and validation LMDBs, MNIST in torchvision's raw layout, a CIFAR-10 image folder and 32×32 ImageNet npz
batches, Billion Word's training files. `paper_data(workdir)` lays all five out where configs/paper.yaml looks for
them (data/…)."""

import gzip
import hashlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from repro.data.lsun import write_lmdb
from repro.data.vision import BUNDLED, CIFAR10_CLASSES, read_idx_images
from tests.lsun_fixture import SAMPLE_DIR, encode

CIFAR_SAMPLE = Path(__file__).parent / "data" / "cifar10_sample.npz"
CIFAR_TEST_PER_CLASS = 2  # of the sample's 10 per class; the other 8 train


def bedrooms() -> list[Image.Image]:
    """The six real LSUN bedrooms (256×256)."""
    return [Image.open(p).convert("RGB") for p in sorted(SAMPLE_DIR.glob("*.png"))]


def bedroom_variants(image: Image.Image) -> list[Image.Image]:
    """Eight distinct photos from one: itself, mirrored, and landscape and portrait crops (LSUN's shorter side is
    256, its longer one varies), each also mirrored."""
    crops = [image.crop((0, 0, 256, 192)), image.crop((0, 64, 256, 256)), image.crop((0, 0, 192, 256))]
    return [image, ImageOps.mirror(image), *crops, *map(ImageOps.mirror, crops)]


def _key(name: str) -> bytes:
    return hashlib.sha1(name.encode()).hexdigest().encode()


def lsun_lmdbs(folder: Path) -> tuple[Path, Path]:
    """`folder`/bedroom_train_lmdb (48 JPEG q75 photos: 8 from each bedroom) and `folder`/bedroom_val_lmdb (the six
    bedrooms), keyed and encoded as LSUN's."""
    photos = bedrooms()
    train = [(_key(f"train-{i}-{k}"), encode(v)) for i, photo in enumerate(photos)
             for k, v in enumerate(bedroom_variants(photo))]
    return (write_lmdb(folder / "bedroom_train_lmdb", train),
            write_lmdb(folder / "bedroom_val_lmdb", [(_key(f"val-{i}"), encode(p)) for i, p in enumerate(photos)]))


def write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    """An uncompressed IDX file (MNIST's format: big-endian magic and sizes, then the bytes)."""
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def mnist_raw(root: Path, validation: int = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """`root`/MNIST/raw as torchvision reads it: 50,000 + `validation` training digits (the bundled 10,000 test
    digits and copies shifted by 1-5 pixels; WGAN-GP's split makes the digits past 50,000 its validation set) and
    the 10,000 as the test set. Returns the training digits and the test ones."""
    digits = read_idx_images(BUNDLED / "mnist" / "t10k-images-idx3-ubyte.gz")
    labels = np.frombuffer(gzip.decompress((BUNDLED / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())[8:],
                           np.uint8)
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    count = 50_000 + validation  # up to 60,000 distinct training stand-ins
    train = np.concatenate([np.roll(digits, k, axis=2) for k in range(6)])[:count]
    write_idx(raw / "train-images-idx3-ubyte", train, 0x803)
    write_idx(raw / "train-labels-idx1-ubyte", np.tile(labels, 6)[:count], 0x801)
    write_idx(raw / "t10k-images-idx3-ubyte", digits, 0x803)
    write_idx(raw / "t10k-labels-idx1-ubyte", labels, 0x801)
    return train, digits


def cifar10_images(folder: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """An image-folder copy of CIFAR-10 (train/<class>/NNNN.png, test/<class>/NNNN.png) from the 100 real images of
    tests/data/cifar10_sample.npz: 8 of each class train, 2 test. Returns each split's pixels (N×32×32×3) and
    labels in the order `prepare cifar10 --images` reads them."""
    sample = np.load(CIFAR_SAMPLE)
    splits = {"train": ([], []), "test": ([], [])}
    for label, name in enumerate(CIFAR10_CLASSES):
        for k, pixels in enumerate(sample["x"][sample["y"] == label]):
            split = "test" if k < CIFAR_TEST_PER_CLASS else "train"
            (folder / split / name).mkdir(parents=True, exist_ok=True)
            Image.fromarray(pixels).save(folder / split / name / f"{k:04d}.png")
            splits[split][0].append(pixels)
            splits[split][1].append(label)
    return {split: (np.stack(x), np.array(y)) for split, (x, y) in splits.items()}


def write_imagenet32_batch(path: Path, images: np.ndarray, labels: np.ndarray) -> None:
    """The downsampled-ImageNet npz layout: rows of 3072 bytes (R plane, G plane, B plane), 1-based labels."""
    np.savez(path, data=images.transpose(0, 3, 1, 2).reshape(len(images), -1), labels=list(labels + 1),
             mean=np.zeros(3072))


def imagenet32_npz(root: Path) -> None:
    """train_data_batch_1…10.npz (the 48 bedroom photos at 32×32, rolled by k in batch k, labelled k − 1) and
    val_data.npz (the six bedrooms) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    photos = np.stack([np.asarray(v.resize((32, 32), Image.BILINEAR)) for p in bedrooms() for v in bedroom_variants(p)])
    for k in range(1, 11):
        write_imagenet32_batch(root / f"train_data_batch_{k}.npz", np.roll(photos, k, axis=0),
                               np.full(len(photos), k - 1))
    six = photos[::8]
    write_imagenet32_batch(root / "val_data.npz", six, np.arange(len(six)))


def billion_word(root: Path, lines_per_file: int = 11) -> None:
    """The benchmark's layout, its 99 training files with `lines_per_file` English sentences each (Python's own
    help texts), one per line as the news.en files hold theirs: 1,089 lines in all."""
    from repro.data.text import BILLION_WORD_FILES, builtin_sentences

    sentences = iter(builtin_sentences())
    for name in BILLION_WORD_FILES:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(f"{next(sentences)}\n" for _ in range(lines_per_file)))


def paper_data(workdir: Path) -> None:
    """Every raw input of configs/paper.yaml under `workdir`/data, the CIFAR-10 images at data/cifar10-images; MNIST
    with a 1,000-digit validation split, which WGAN-GP Fig 5b's runs measure at every smoke iteration."""
    data = workdir / "data"
    lsun_lmdbs(data / "lsun")
    mnist_raw(data / "mnist", validation=1_000)
    cifar10_images(data / "cifar10-images")
    imagenet32_npz(data / "imagenet32")
    billion_word(data / "billion-word/1-billion-word-language-modeling-benchmark-r13output")
