"""Toy distributions exactly as gan_toy.py codes them, the bundled digits, and resumable samplers."""

import math

import numpy as np
import pytest
import torch

from repro.data.sampler import open_sampler
from repro.data.store import write_store
from repro.data.toy import EightGaussians, SwissRoll, TwentyFiveGaussians
from repro.data.vision import mnist_bundled
from repro.errors import DataError

CPU = torch.device("cpu")


def test_eight_gaussians_sit_on_the_scaled_circle():
    points = EightGaussians(4096, 0).next()
    radius = points.norm(dim=1)
    assert torch.allclose(radius.mean(), torch.tensor(2 / 1.414), atol=0.01)
    angles = torch.round(torch.atan2(points[:, 1], points[:, 0]) / (math.pi / 4)) % 8
    assert torch.bincount(angles.long(), minlength=8).min() > 4096 / 8 * 0.8  # all 8 modes, about equally


def test_twenty_five_gaussians_are_a_fixed_set_cycled_in_order():
    sampler = TwentyFiveGaussians(256, 0)
    first = [sampler.next() for _ in range(100_000 // 256)]
    assert torch.equal(sampler.next(), first[0])  # remainder dropped, the pass starts over, no reshuffle
    centres = torch.round(torch.cat(first) * 2.828 / 2)
    assert centres.unique(dim=0).shape[0] == 25 and centres.abs().max() == 2


def test_swiss_roll_matches_the_sklearn_formula():
    points = SwissRoll(5000, 0).next() * 7.5
    t = points.norm(dim=1)  # radius ≈ t ∈ [1.5π, 4.5π] up to noise 0.25
    assert t.min() > 1.5 * math.pi - 1.5 and t.max() < 4.5 * math.pi + 1.5


@pytest.mark.parametrize("source", ["8gaussians", "25gaussians", "swissroll", "mnist-bundled"])
def test_sampler_state_resumes_the_same_stream(source):
    a = open_sampler(source, 16, 64, 5, CPU)
    for _ in range(3):
        a.next()
    state = a.state_dict()
    expected = [a.next() for _ in range(200)]  # crosses an MNIST epoch boundary (10,000 / 64)
    b = open_sampler(source, 16, 64, 5, CPU)
    b.load_state_dict(state)
    assert all(torch.equal(x, b.next()) for x in expected)


def test_bundled_mnist_digits_resized_like_torchvision():
    digits = mnist_bundled(32)
    assert digits.shape == (10_000, 1, 32, 32) and digits.dtype == np.uint8
    assert abs(mnist_bundled(28).mean() - 33.79) < 0.01  # the SOURCE note's mean pixel
    from PIL import Image
    from torchvision import transforms

    raw = mnist_bundled(28)[123, 0]
    reference = transforms.Compose([transforms.Resize(32), transforms.CenterCrop(32)])(Image.fromarray(raw))
    assert np.array_equal(digits[123, 0], np.asarray(reference))


def test_image_batches_are_in_minus_one_one():
    batch = open_sampler("mnist-bundled", 16, 64, 0, CPU).next()
    assert batch.shape == (64, 1, 16, 16) and batch.min() == -1 and batch.max() == 1


def test_missing_store_names_the_path_and_the_fix(tmp_path):
    with pytest.raises(DataError, match=r"images.npy: image store not found or incomplete \(no manifest.json\); "
                                        r"build it with `python -m repro prepare"):
        open_sampler(str(tmp_path), 64, 64, 0, CPU)
    np.save(tmp_path / "images.npy", np.zeros((100, 3, 32, 32), np.uint8))
    with pytest.raises(DataError, match="incomplete"):  # images without a manifest: a prepare that was killed
        open_sampler(str(tmp_path), 32, 64, 0, CPU)
    write_store(tmp_path, [np.zeros((100, 3, 32, 32), np.uint8)], 100, (3, 32, 32), {"dataset": "zeros"})
    with pytest.raises(DataError, match="32×32 images but the profile asks for image_size 64"):
        open_sampler(str(tmp_path), 64, 64, 0, CPU)
