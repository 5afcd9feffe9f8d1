"""The image store (uint8 N×C×H×W `images.npy` + `manifest.json`) and the seeded batch sampler over images."""

from pathlib import Path

import numpy as np
import torch

from repro.errors import DataError


def load_store(directory: Path) -> np.ndarray:
    """Memory-maps `<directory>/images.npy`; the store is written by `python -m repro prepare`."""
    path = Path(directory) / "images.npy"
    if not path.exists():
        raise DataError(f"{path}: image store not found; build it with `python -m repro prepare …` "
                        f"or point the profile's `data` entry at an existing store")
    images = np.load(path, mmap_mode="r")
    if images.dtype != np.uint8 or images.ndim != 4:
        raise DataError(f"{path}: expected uint8 N×C×H×W, found {images.dtype} with shape {images.shape}")
    return images


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
