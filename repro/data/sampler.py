"""Batches for training: a logical dataset resolved through the profile to a concrete source, then sampled."""

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from repro.data.store import load_store, load_store_labels
from repro.data.toy import TOY_DATASETS
from repro.data.vision import mnist_bundled, mnist_bundled_labels
from repro.errors import DataError

SUBSET_SEED = 0  # every run and seed with a training subset gets the same images (WGAN-GP Fig 5b: 1000 digits)


def open_sampler(source: str, image_size: int, batch_size: int, seed: int, device: torch.device,
                 replacement: bool = False, labeled: bool = False, subset: int | None = None, hold_out: int = 0,
                 pixel_scale: float = 127.5, text: bool = False):
    """`source` is a toy name, a bundled set (`mnist-bundled`) or the directory of an image store (`text`: of a
    text store, whose sequences are served one-hot); `labeled` also serves each image's class (conditional runs);
    `subset` trains on that many of the images, `hold_out` on all but that many (`split`); pixels x become
    x/pixel_scale − 1 (`signed`)."""
    if source in TOY_DATASETS:
        if labeled:
            raise DataError(f"{source}: toy data has no class labels; a conditional run needs a labelled image store")
        return TOY_DATASETS[source](batch_size, seed, device)
    if text:
        from repro.data.text import open_text_store

        store = open_text_store(source)
        # int16: the same indices (< 2048) in a dtype every PyTorch op takes, without a copy of the memory map
        items, labels, vocab = store.tokens.view(np.int16), None, store.vocab
        encode = functools.partial(one_hot, vocab=len(vocab))
    else:
        items, vocab = load_images(source, image_size), None
        encode = functools.partial(signed, pixel_scale=pixel_scale)
        labels = load_labels(source) if labeled else None
    if subset or hold_out:
        keep = split(len(items), source, subset, hold_out)[0]
        items, labels = items[keep], None if labels is None else labels[keep]
    return ImageSampler(items, batch_size, seed, device, replacement, labels=labels, encode=encode, vocab=vocab,
                        source=source)


def split(count: int, source: str, subset: int | None = None, hold_out: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A seeded random training subset of `count` image indices (sorted) - `subset` of them, else all but
    `hold_out` - and the rest, held out."""
    subset = subset or count - hold_out
    if not 0 < subset < count:
        raise DataError(f"{source}: a training subset of {subset} images needs a source with more than that; it "
                        f"holds {count}")
    order = np.random.default_rng(SUBSET_SEED).permutation(count)
    return np.sort(order[:subset]), np.sort(order[subset:])


def validation_images(cfg) -> np.ndarray:
    """The held-out uint8 images a run's validation critic loss is measured on: the profile's validation source,
    else the images its training subset (or the profile's `hold_out`) leaves out."""
    if cfg.validation_source:
        return np.array(load_images(cfg.validation_source, cfg.image_size))  # a copy: the engine owns it
    if not (cfg.train_subset or cfg.hold_out):
        raise DataError(f"run {cfg.run} measures a validation critic loss but {cfg.data_source} has no validation "
                        f"images: give the profile's data.{cfg.dataset} a `validation` source or a `hold_out` count")
    images = load_images(cfg.data_source, cfg.image_size)
    return np.asarray(images[split(len(images), cfg.data_source, cfg.train_subset, cfg.hold_out)[1]])


def signed(images: torch.Tensor, pixel_scale: float = 127.5) -> torch.Tensor:
    """uint8 images as float32 x/pixel_scale − 1: 2·(x/255 − 0.5) in [−1, 1], the range every net is trained on, or
    with 128 the 2·(x/256 − 0.5) of gan_cifar_resnet.py."""
    # contiguous_format: a 1-channel batch is also "channels-last", and .float() would keep that layout, which
    # PyTorch propagates through the convolutions (its CPU backward of the 101-layer ResNet critic then crashed)
    return images.to(torch.float32, memory_format=torch.contiguous_format).div_(pixel_scale).sub_(1.0)


def one_hot(tokens: torch.Tensor, vocab: int) -> torch.Tensor:
    """Symbol indices [B, L] as the language critic's real input: float one-hot [B, V, L] (gan_language.py)."""
    return torch.nn.functional.one_hot(tokens.long(), vocab).transpose(1, 2).float()


def load_images(source: str, image_size: int) -> np.ndarray:
    """The uint8 N×C×H×W images of a bundled set or an image store (memory-mapped), checked against the size."""
    if source == "mnist-bundled":
        return mnist_bundled(image_size)
    images = load_store(Path(source))
    if images.shape[2:] != (image_size, image_size):
        raise DataError(f"{source}: store holds {images.shape[2]}×{images.shape[3]} images but the profile "
                        f"asks for image_size {image_size}; prepare a store at that size")
    return images


def load_labels(source: str) -> np.ndarray:
    """The int64 class of every image of a bundled set or an image store."""
    return mnist_bundled_labels() if source == "mnist-bundled" else load_store_labels(Path(source))


class ImageSampler:
    """Batches of `batch_size` images in [−1, 1] on `device`, from a seeded index plan.

    The plan is a fresh permutation per epoch (`replacement=False`, the official DataLoader's shuffle; the
    official loader ends each epoch with a short batch, here every batch is full and a permutation's remainder
    is skipped) or blocks of indices drawn with replacement. Its state - the generator state before the
    current plan and the position in it - is all a checkpoint needs.

    Where the images live: on CUDA, the whole store is copied to the GPU when it fits in half the free memory,
    and plans are sliced there, so a critic step does no per-batch host work; otherwise batches are gathered
    from the (memory-mapped) store into pinned memory one step ahead by a background thread. `placement`
    forces "resident", "prefetch" or "host" (the CPU default) - the batches are the same in every mode. With
    `labels`, `next_labeled` serves each batch's classes beside it. `encode` turns a stored uint8 batch into what
    the nets take (`signed` images; `one_hot` for a text store's symbol indices, whose symbols `vocab` lists).
    `source` names them in errors.
    """

    REPLACEMENT_BLOCK = 1024  # batches drawn per plan when sampling with replacement

    def __init__(self, images: np.ndarray, batch_size: int, seed: int, device: torch.device,
                 replacement: bool = False, placement: str | None = None, labels: np.ndarray | None = None,
                 encode: Callable[[torch.Tensor], torch.Tensor] = signed, vocab: list[str] | None = None,
                 source: str = "the images"):
        if len(images) < batch_size:
            raise DataError(f"{source}: {len(images)} training images are fewer than one batch of {batch_size}; train "
                            f"on a larger store or with a smaller batch")
        if labels is not None and len(labels) != len(images):
            raise DataError(f"{source}: {len(labels)} labels for {len(images)} images: the store's labels.npy does "
                            f"not match; rebuild it with `python -m repro prepare … --overwrite`")
        self.images, self.encode, self.vocab = images, encode, vocab
        self.shape = tuple(encode(torch.from_numpy(np.array(images[:1]))).shape[1:])  # one item (copied) as seen
        self.labels = None if labels is None else torch.from_numpy(np.asarray(labels, dtype=np.int64))
        self.batch_size, self.device, self.replacement = batch_size, device, replacement
        self.placement = placement or self._choose_placement(images, device)
        self.resident = torch.from_numpy(np.asarray(images)).to(device) if self.placement == "resident" else None
        self.gather = ThreadPoolExecutor(1) if self.placement == "prefetch" else None
        self.pending = None  # (future batch, plan state after it) in prefetch mode
        self.rng = torch.Generator().manual_seed(seed)
        self._new_plan()
        self.consumed = self._plan_state()

    @staticmethod
    def _choose_placement(images, device) -> str:
        if device.type != "cuda":
            return "host"
        free, _ = torch.cuda.mem_get_info(device)
        return "resident" if images.nbytes < free // 2 else "prefetch"

    def _new_plan(self):
        self.plan_rng_state = self.rng.get_state()
        n = len(self.images)
        if self.replacement:
            plan = torch.randint(n, (self.REPLACEMENT_BLOCK * self.batch_size,), generator=self.rng)
        else:
            plan = torch.randperm(n, generator=self.rng)
        self.plan = plan.to(self.device) if self.resident is not None else plan
        self.position = 0

    def _plan_state(self) -> dict:
        return {"epoch_state": self.plan_rng_state, "position": self.position}

    def _take(self) -> torch.Tensor:
        if self.position + self.batch_size > len(self.plan):
            self._new_plan()
        index = self.plan[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        return index

    def _gather(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch = torch.from_numpy(self.images[index.numpy()])
        return (batch.pin_memory() if self.device.type == "cuda" else batch), index

    def next(self) -> torch.Tensor:
        return self.next_labeled()[0]

    def next_labeled(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The next batch in [−1, 1] and its classes (None without labels)."""
        if self.resident is not None:
            index = self._take()
            batch = self.resident[index]
            self.consumed = self._plan_state()
        elif self.gather is not None:
            if self.pending is None:
                self.pending = (self.gather.submit(self._gather, self._take()), self._plan_state())
            future, self.consumed = self.pending
            self.pending = (self.gather.submit(self._gather, self._take()), self._plan_state())
            batch, index = future.result()
            batch = batch.to(self.device, non_blocking=True)
        else:
            batch, index = self._gather(self._take())
            batch = batch.to(self.device)
            self.consumed = self._plan_state()
        labels = None if self.labels is None else self.labels[index.cpu()].to(self.device)
        return self.encode(batch), labels

    def state_dict(self) -> dict:
        return dict(self.consumed)

    def load_state_dict(self, state: dict) -> None:
        self.rng.set_state(state["epoch_state"])
        self._new_plan()
        self.position = int(state["position"])
        self.consumed, self.pending = self._plan_state(), None
