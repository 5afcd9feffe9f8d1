"""Data for training: a logical dataset name resolved through the profile to a concrete source and a sampler."""

from pathlib import Path

import torch

from repro.data.store import ImageSampler, load_store
from repro.data.toy import TOY_DATASETS
from repro.data.vision import mnist_bundled
from repro.errors import DataError

BUILTIN_IMAGE_SOURCES = ("mnist-bundled",)


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

