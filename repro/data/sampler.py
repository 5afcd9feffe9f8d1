"""Batches for training: a logical dataset resolved through the profile to a concrete source, then sampled."""

from pathlib import Path

import numpy as np
import torch

from repro.data.store import load_store
from repro.data.toy import TOY_DATASETS
from repro.data.vision import mnist_bundled
from repro.errors import DataError


def open_sampler(source: str, image_size: int, batch_size: int, seed: int, device: torch.device):
    """`source` is a toy name, a bundled set (`mnist-bundled`) or the directory of an image store."""
    if source in TOY_DATASETS:
        return TOY_DATASETS[source](batch_size, seed, device)
    if source == "mnist-bundled":
        images = mnist_bundled(image_size)
    else:
        images = load_store(Path(source))
        if images.shape[2:] != (image_size, image_size):
            raise DataError(f"{source}: store holds {images.shape[2]}×{images.shape[3]} images but the profile "
                            f"asks for image_size {image_size}; prepare a store at that size")
    return ImageSampler(images, batch_size, seed, device)


class ImageSampler:
    """Batches of `batch_size` images in [−1, 1] from a fresh random permutation per epoch.

    The official loader (shuffle=True, no drop_last) ends each epoch with a short batch; here every batch is
    full and the remainder of a permutation is skipped, so every critic step sees exactly m images.
    The state is the generator state before the current permutation plus the position in it.
    """

    def __init__(self, images: np.ndarray, batch_size: int, seed: int, device: torch.device):
        if len(images) < batch_size:
            raise DataError(f"{len(images)} images are fewer than one batch of {batch_size}")
        self.images = images  # may be a memory map: only the rows of each batch are read
        self.shape = tuple(images.shape[1:])
        self.batch_size, self.device = batch_size, device
        self.rng = torch.Generator().manual_seed(seed)
        self._new_epoch()

    def _new_epoch(self):
        self.epoch_state = self.rng.get_state()
        self.perm = torch.randperm(len(self.images), generator=self.rng)
        self.position = 0

    def next(self) -> torch.Tensor:
        if self.position + self.batch_size > len(self.perm):
            self._new_epoch()
        index = self.perm[self.position:self.position + self.batch_size]
        self.position += self.batch_size
        batch = torch.from_numpy(self.images[index.numpy()]).to(self.device, non_blocking=True)
        return batch.float().div_(127.5).sub_(1.0)

    def state_dict(self) -> dict:
        return {"epoch_state": self.epoch_state, "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        self.rng.set_state(state["epoch_state"])
        self._new_epoch()
        self.position = int(state["position"])
