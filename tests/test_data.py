"""Toy distributions exactly as gan_toy.py codes them, the bundled digits, and resumable samplers."""

import json
import math
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch

from repro.data.sampler import ImageSampler, open_sampler
from repro.data.store import write_store
from repro.data.toy import EightGaussians, Gaussian1D, ParallelLines, SwissRoll, TwentyFiveGaussians
from repro.data.vision import mnist_bundled
from repro.errors import DataError
from tests.conftest import ROOT

CPU = torch.device("cpu")


def test_eight_gaussians_means_and_spread_per_mode():
    points = EightGaussians(16384, 0).next()
    centres = EightGaussians.CENTERS / 1.414
    mode = torch.cdist(points, centres).argmin(dim=1)
    for k in range(8):
        members = points[mode == k]
        assert len(members) > 16384 / 8 * 0.9  # every mode, about equally often
        assert torch.allclose(members.mean(0), centres[k], atol=0.01)
        assert torch.allclose(members.std(0), torch.full((2,), 0.02 / 1.414), rtol=0.1)


def test_twenty_five_gaussians_are_a_fixed_set_cycled_in_order():
    sampler = TwentyFiveGaussians(256, 0)
    first = [sampler.next() for _ in range(100_000 // 256)]
    assert torch.equal(sampler.next(), first[0])  # remainder dropped, the pass starts over, no reshuffle
    centres = torch.round(torch.cat(first) * 2.828 / 2)
    assert centres.unique(dim=0).shape[0] == 25 and centres.abs().max() == 2


def test_swiss_roll_matches_the_sklearn_formula():
    points = SwissRoll(20000, 0).next().double() * 7.5
    t = points.norm(dim=1)  # radius ≈ t ~ U[1.5π, 4.5π] up to the 0.25 noise
    assert t.min() > 1.5 * math.pi - 1.5 and t.max() < 4.5 * math.pi + 1.5
    assert abs(t.mean().item() - 3 * math.pi) < 0.05 and abs(t.std().item() - 3 * math.pi / math.sqrt(12)) < 0.05
    # x = t·cos t, z = t·sin t (+ noise): E[x] = [t sin t + cos t]/3π = 2, E[z] = [sin t − t cos t]/3π = 2/3π
    assert torch.allclose(points.mean(0), torch.tensor([2.0, 2 / (3 * math.pi)], dtype=torch.float64), atol=0.15)


def test_parallel_lines_lie_on_x_equal_theta():
    points = ParallelLines(1000, 0, theta=0.7).next()
    assert (points[:, 0] == 0.7).all() and points[:, 1].min() >= 0 and points[:, 1].max() <= 1
    assert abs(points[:, 1].mean().item() - 0.5) < 0.03


def test_one_dimensional_gaussian():
    x = Gaussian1D(20000, 0, mean=2.0, std=0.5).next()
    assert x.shape == (20000, 1) and abs(x.mean().item() - 2) < 0.01 and abs(x.std().item() - 0.5) < 0.01


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


@pytest.mark.parametrize("replacement", [False, True])
def test_every_placement_gives_the_same_batches_and_resumes(replacement):
    images = mnist_bundled(16)[:300]  # 4 batches of 64 per epoch: plans roll over quickly
    streams = {}
    for placement in ("host", "resident", "prefetch"):
        sampler = ImageSampler(images, 64, 9, CPU, replacement, placement)
        for _ in range(7):
            sampler.next()
        state = sampler.state_dict()
        streams[placement] = [sampler.next() for _ in range(10)]
        again = ImageSampler(images, 64, 9, CPU, replacement, placement)
        again.load_state_dict(state)
        assert all(torch.equal(x, again.next()) for x in streams[placement])
    assert all(torch.equal(a, b) for a, b in zip(streams["host"], streams["resident"]))
    assert all(torch.equal(a, b) for a, b in zip(streams["host"], streams["prefetch"]))


def test_epochs_visit_every_image_once_replacement_does_not():
    images = np.arange(256, dtype=np.uint8).reshape(256, 1, 1, 1)
    epoch = ImageSampler(images, 64, 0, CPU)
    seen = torch.cat([epoch.next() for _ in range(4)]).flatten()
    assert sorted(((seen + 1) * 127.5).round().long().tolist()) == list(range(256))
    drawn = torch.cat([ImageSampler(images, 64, 0, CPU, replacement=True).next() for _ in range(1)]).flatten()
    assert len(drawn.unique()) < 64  # 64 draws with replacement from 256 repeat (birthday bound)


def test_one_channel_batches_come_in_the_standard_layout():
    """A uint8 N×1×H×W batch is ambiguous (contiguous and channels-last); the float batch must be plain NCHW."""
    batch = open_sampler("mnist-bundled", 16, 8, 0, CPU).next()
    assert batch.stride() == (16 * 16, 16 * 16, 16, 1)


def test_a_run_builds_its_bundled_store_on_first_use_exactly_as_prepare_does(tmp_path):
    """The README's `train` on the embedded default, in a checkout where no DAG ran: the store its profile names
    is built (one line says so) with the same manifest and pixels as `prepare mnist-bundled`; later runs reuse it."""
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def repro(*args):
        return subprocess.run([sys.executable, "-m", "repro", *map(str, args)], cwd=tmp_path, capture_output=True,
                              text=True, env=env)

    first = repro("train", "gan-mlp", "--config", "configs/default.yaml", "--iters", "2", "--quiet")
    assert first.returncode == 0, first.stderr
    store = "results/default/data/mnist-32"
    assert [line for line in first.stdout.splitlines() if "first use" in line] == [
        f"{store}: built on first use from the bundled MNIST test digits at 32×32, as `python -m repro prepare "
        f"mnist-bundled --size 32 --out {store}` builds it"]
    assert repro("prepare", "mnist-bundled", "--size", 32, "--out", "prepared", "--quiet").returncode == 0
    ours, theirs = (json.loads((tmp_path / d / "manifest.json").read_text()) for d in (store, "prepared"))
    assert {k: v for k, v in ours.items() if k != "created"} == {k: v for k, v in theirs.items() if k != "created"}
    assert (tmp_path / store / "images.npy").read_bytes() == (tmp_path / "prepared/images.npy").read_bytes()
    again = repro("train", "gan-mlp", "--config", "configs/default.yaml", "--iters", "2", "--seed", 1, "--quiet")
    assert again.returncode == 0 and "first use" not in again.stdout
