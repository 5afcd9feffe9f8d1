"""CIFAR-10 and MNIST through torchvision's dataset classes, 32×32 ImageNet from its npz batches, and the MNIST
test digits bundled in the repo, each turned into image stores (one per split) with the split written in the
manifest."""

import functools
import gzip
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from PIL import Image

import repro
from repro import lock
from repro.data.store import BUNDLED_SOURCE, claim, write_store
from repro.errors import DataError

BUNDLED = Path(__file__).parent / "bundled"
CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_FILES = [f"cifar-10-batches-py/data_batch_{i}" for i in range(1, 6)] + ["cifar-10-batches-py/test_batch"]
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = [f"MNIST/raw/{n}" for n in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                          "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")]
IMAGENET32_URL = "https://image-net.org/download-images.php (Downsampled ImageNet 32x32, npz; login required)"
IMAGENET32_FILES = {"train": [f"train_data_batch_{i}.npz" for i in range(1, 11)], "validation": ["val_data.npz"]}
MNIST_TRAIN = 50_000  # WGAN-GP's mnist.pkl.gz: first 50k training digits train, last 10k validation (spec §5.2)


def read_idx_images(path: Path) -> np.ndarray:
    """An IDX3 file (MNIST format) as uint8 N×H×W."""
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read MNIST images ({e})") from e
    magic, n, h, w = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 0x803:
        raise DataError(f"{path}: not an IDX3 image file (magic {magic:#x}, expected 0x803)")
    return np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, h, w)


def resize_center_crop(image: Image.Image, size: int) -> Image.Image:
    """torchvision Resize(size) + CenterCrop(size) on a PIL image: shorter side to `size` (bilinear), centre crop."""
    w, h = image.size
    nw, nh = (size, int(size * h / w)) if w <= h else (int(size * w / h), size)  # torchvision truncates
    image = image.resize((nw, nh), Image.BILINEAR)
    left, top = round((nw - size) / 2.0), round((nh - size) / 2.0)
    return image.crop((left, top, left + size, top + size))


def resize_all(images: np.ndarray, size: int) -> np.ndarray:
    """uint8 N×H×W(×C) → N×C×size×size with the official transform (a no-op at the native size)."""
    if images.ndim == 3:
        images = images[..., None]
    if images.shape[1] != size or images.shape[2] != size:
        squeeze = images.shape[3] == 1
        images = np.stack([np.asarray(resize_center_crop(Image.fromarray(x[..., 0] if squeeze else x), size))
                           for x in images])
        images = images[..., None] if squeeze else images
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2))


@functools.lru_cache(maxsize=4)
def mnist_bundled(size: int) -> np.ndarray:
    """The 10,000 bundled MNIST test digits as uint8 N×1×size×size (the default profile's stand-in for LSUN);
    decoded and resized once per process and size; callers share the array and only read it."""
    return resize_all(read_idx_images(BUNDLED / "mnist" / "t10k-images-idx3-ubyte.gz"), size)


def mnist_bundled_labels() -> np.ndarray:
    """The classes (0-9) of the bundled MNIST test digits, in the order of `mnist_bundled`."""
    raw = gzip.decompress((BUNDLED / "mnist" / "t10k-labels-idx1-ubyte.gz").read_bytes())
    return np.frombuffer(raw[8:], dtype=np.uint8).astype(np.int64)


def _require(root: Path, files: list[str], url: str, name: str) -> None:
    missing = [f for f in files if not (root / f).exists()]
    if missing:
        raise DataError(f"{root}: {name} files missing ({', '.join(missing)}); run with --download where online, "
                        f"or fetch them from {url} into {root}")


def _torchvision(cls, root: Path, download: bool, url: str, **kwargs):
    try:
        return cls(str(root), download=download, **kwargs)
    except (OSError, RuntimeError) as e:  # URLError is an OSError; a failed checksum a RuntimeError
        raise DataError(f"{root}: {cls.__name__} could not be loaded or downloaded from {url} ({e})") from None


def _already_prepared(args, dataset: str, source: str, splits) -> bool:
    """True (and said) when `--out` holds every split's store from this source at this size; another store there
    is an error unless `--overwrite`."""
    if claim(Path(args.out), {split: {"dataset": dataset, "split": split, "source": source, "size": args.size}
                              for split in splits}, args.overwrite):
        return False
    print(f"{args.out}: already prepared ({', '.join(splits)} from {source}); --overwrite rebuilds it")
    return True


def _prepare_splits(args, dataset: str, source: str, splits: tuple[str, ...], read) -> None:
    """Under `--out`'s lock, unless already prepared: `read()`'s {split: (images, labels)}, one store per split."""
    out, size = Path(args.out), args.size
    with lock.exclusive(out, "prepares a store there"):
        if _already_prepared(args, dataset, source, splits):
            return
        for split, (images, labels) in read().items():
            stored = resize_all(images, size)
            manifest = write_store(out / split, [stored], len(stored), stored.shape[1:], {
                "dataset": dataset, "split": split, "source": source, "size": size,
                "transform": "none" if stored.shape[2] == images.shape[1] else "Resize(size) + CenterCrop(size) (PIL)",
                "versions": {"repro": repro.__version__, "numpy": np.__version__},
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}, labels)
            print(f"{out / split}: {manifest['count']} {dataset} {split} images, sha256 {manifest['sha256'][:12]}…")


def read_image_folder(split_dir: Path, classes: tuple[str, ...],
                      shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """`split_dir/<class>/*` images (PNG, JPEG or WebP; sorted by name within a class, classes in `classes`' order)
    as uint8 N×H×W×3 RGB and their class indices; every image must be H×W = `shape`."""
    if not split_dir.is_dir():
        raise DataError(f"{split_dir}: not found; an image folder holds train/<class>/ and test/<class>/ folders of "
                        f"PNG/JPEG/WebP files, one per class: {', '.join(classes)}")
    unknown = sorted(p.name for p in split_dir.iterdir() if p.is_dir() and p.name not in classes)
    if unknown:
        raise DataError(f"{split_dir}: unknown class folder(s) {', '.join(unknown)}; the classes are "
                        f"{', '.join(classes)}")
    images, labels = [], []
    for label, name in enumerate(classes):
        files = sorted(p for p in (split_dir / name).glob("*") if p.suffix.lower() in IMAGE_SUFFIXES) \
            if (split_dir / name).is_dir() else []
        if not files:
            raise DataError(f"{split_dir / name}: no PNG/JPEG/WebP images of class {label} ({name})")
        for path in files:
            try:
                with Image.open(path) as image:
                    pixels = np.asarray(image.convert("RGB"))
            except OSError as e:
                raise DataError(f"{path}: not a readable image ({e})") from None
            if pixels.shape[:2] != shape:
                raise DataError(f"{path}: {pixels.shape[1]}×{pixels.shape[0]} pixels; CIFAR-10 images are "
                                f"{shape[1]}×{shape[0]}")
            images.append(pixels)
            labels.append(label)
    return np.stack(images), np.asarray(labels, dtype=np.int64)


def prepare_cifar10(args) -> None:
    """From torchvision's python batches under `--root` (downloaded with `--download`), or from an image-folder
    copy under `--images` (train/<class>/*.png|jpg and test/<class>/…, as the copies on GitHub and Kaggle are laid
    out): the same stores, with the source recorded in the manifest."""
    if args.images:
        folder = Path(args.images)
        _prepare_splits(args, "cifar10", f"CIFAR-10 image folder at {folder.resolve()}", ("train", "test"), lambda: {
            split: read_image_folder(folder / split, CIFAR10_CLASSES, (32, 32)) for split in ("train", "test")})
        return
    from torchvision.datasets import CIFAR10

    root = Path(args.root)
    if not args.download:
        _require(root, CIFAR10_FILES, CIFAR10_URL, "CIFAR-10")

    def read():
        splits = {}
        for split, train in (("train", True), ("test", False)):
            ds = _torchvision(CIFAR10, root, args.download, CIFAR10_URL, train=train)
            splits[split] = (ds.data, np.asarray(ds.targets))
        return splits

    _prepare_splits(args, "cifar10", f"torchvision CIFAR10 at {root.resolve()}", ("train", "test"), read)


def prepare_mnist(args) -> None:
    from torchvision.datasets import MNIST

    root = Path(args.root)
    if not args.download:
        _require(root, MNIST_FILES, MNIST_URL, "MNIST")

    def read():
        train = _torchvision(MNIST, root, args.download, MNIST_URL, train=True)
        test = _torchvision(MNIST, root, args.download, MNIST_URL, train=False)
        images, labels = train.data.numpy(), train.targets.numpy()
        return {"train": (images[:MNIST_TRAIN], labels[:MNIST_TRAIN]),
                "validation": (images[MNIST_TRAIN:], labels[MNIST_TRAIN:]),
                "test": (test.data.numpy(), test.targets.numpy())}

    _prepare_splits(args, "mnist", f"torchvision MNIST at {root.resolve()}", ("train", "validation", "test"), read)


def _imagenet32_batches(root: Path, files: list[str], size: int):
    """Each npz batch's images as uint8 N×3×size×size: rows of 3072 bytes, the R, G and B planes of a 32×32 image
    (Chrabaszcz et al. 2017's layout), decoded one batch at a time."""
    for name in files:
        with np.load(root / name) as batch:
            data = batch["data"]
            if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
                raise DataError(f"{root / name}: 'data' is {data.dtype} {data.shape}, expected uint8 N×3072 (the "
                                f"32×32 npz release; the 64×64 one is not supported)")
            images = data.reshape(-1, 3, 32, 32)
        yield images if size == 32 else resize_all(images.transpose(0, 2, 3, 1), size)


def prepare_imagenet32(args) -> None:
    """The downsampled-ImageNet 32×32 release (train_data_batch_1..10.npz, val_data.npz) as train and validation
    stores, streamed a batch file at a time (peak memory: one file, ~130k images, ~400 MB)."""
    root, out = Path(args.root), Path(args.out)
    _require(root, [f for files in IMAGENET32_FILES.values() for f in files], IMAGENET32_URL, "32×32 ImageNet")
    source = f"downsampled ImageNet 32x32 npz at {root.resolve()}"
    with lock.exclusive(out, "prepares a store there"):
        if _already_prepared(args, "imagenet32", source, IMAGENET32_FILES):
            return
        for split, files in IMAGENET32_FILES.items():
            labels = np.concatenate([np.load(root / name)["labels"] for name in files]).astype(np.int64) - 1  # 1-based
            manifest = write_store(out / split, _imagenet32_batches(root, files, args.size), len(labels),
                                   (3, args.size, args.size), {
                "dataset": "imagenet32", "split": split, "source": source, "size": args.size,
                "transform": "none" if args.size == 32 else "Resize(size) + CenterCrop(size) (PIL)",
                "versions": {"repro": repro.__version__, "numpy": np.__version__},
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}, labels)
            print(f"{out / split}: {manifest['count']} imagenet32 {split} images, sha256 {manifest['sha256'][:12]}…")


def prepare_mnist_bundled(args) -> None:
    out = Path(args.out)
    manifest = write_mnist_bundled(out, args.size, args.overwrite)
    if manifest is None:
        print(f"{out}: already prepared (bundled MNIST test digits at {args.size}×{args.size}); --overwrite "
              f"rebuilds it")
    else:
        print(f"{out}: {manifest['count']} bundled MNIST test digits, sha256 {manifest['sha256'][:12]}…")


def write_mnist_bundled(out: Path, size: int, overwrite: bool = False) -> dict | None:
    """The store of the bundled digits at `size` under `out`'s lock; None when it is already there."""
    identity = {"dataset": "mnist", "split": "test", "source": BUNDLED_SOURCE, "size": size}
    with lock.exclusive(out, "prepares a store there"):
        if not claim(out, {"": identity}, overwrite):
            return None
        digits = mnist_bundled(size)
        return write_store(out, [digits], len(digits), digits.shape[1:], {
            **identity, "transform": "Resize(size) + CenterCrop(size) (PIL)",
            "versions": {"repro": repro.__version__, "numpy": np.__version__},
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds")}, mnist_bundled_labels())


def build_bundled_on_first_use(entry, image_size: int) -> None:
    """A profile data entry whose store `prepare mnist-bundled` builds (the embedded default's): built now when it
    is not there yet, exactly as the DAG's prepare job builds it, so one run trains without the DAG."""
    spec = entry.get("prepare") if isinstance(entry, dict) else None
    if not spec or spec["dataset"] != "mnist-bundled" or (Path(entry["store"]) / "manifest.json").exists():
        return
    size = spec.get("size", image_size)
    if write_mnist_bundled(Path(entry["store"]), size) is not None:
        print(f"{entry['store']}: built on first use from the bundled MNIST test digits at {size}×{size}, as "
              f"`python -m repro prepare mnist-bundled --size {size} --out {entry['store']}` builds it")


PREPARERS = {"cifar10": prepare_cifar10, "mnist": prepare_mnist, "mnist-bundled": prepare_mnist_bundled,
             "imagenet32": prepare_imagenet32}
