"""WGAN-GP Fig 5's data and measurement: a seeded training subset, held-out images, the validation critic loss,
and the MNIST nets' [0, 1] pixel range."""

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from repro.config import resolve
from repro.data.sampler import split, validation_images
from repro.engine import Engine
from repro.errors import DataError
from repro.metrics.curves import gap_growth, train_validation_gap

pytestmark = pytest.mark.usefixtures("one_thread")
CPU = torch.device("cpu")


def test_the_subset_is_seeded_disjoint_and_the_rest_is_held_out():
    train, held = split(10_000, "src", 1000)
    assert len(train) == 1000 and len(held) == 9000 and not set(train) & set(held)
    assert np.array_equal(train, split(10_000, "src", 1000)[0])  # every run sees the same 1000 digits
    with pytest.raises(DataError, match="src: a training subset of 50 images needs a source with more"):
        split(50, "src", 50)
    train, held = split(100, "src", hold_out=30)  # a source without a validation split: all but 30 train
    assert len(train) == 70 and np.array_equal(held, split(100, "src", 70)[1])


def test_mnist_run_trains_on_1000_digits_in_unit_range_and_validates_on_the_rest(tiny_profile):
    cfg = dataclasses.replace(resolve("mnist-gp", tiny_profile, 0), width_g=4, width_d=4)
    assert (cfg.train_subset, cfg.validation_every, cfg.batch_size, cfg.image_size) == (1000, 100, 50, 28)
    engine = Engine(cfg, CPU)
    assert len(engine.data.images) == 1000 and engine.validation.shape == (9000, 1, 28, 28)
    real, _ = engine._real()
    assert real.min() >= 0 and real.max() <= 1 and real.max() > 0.9  # the sigmoid generator's range
    assert engine.sample().min() < 0  # saved and evaluated samples are in [−1, 1] like every other run's


def test_validation_estimate_is_the_mean_critic_difference_and_leaves_training_alone(tiny_profile):
    cfg = dataclasses.replace(resolve("mnist-clip", tiny_profile, 0), width_g=4, width_d=4)
    engine, twin = Engine(cfg, CPU), Engine(cfg, CPU)
    engine.validation = engine.validation[:120]  # 3 batches of 50, the last short
    value = engine.validation_estimate(7)
    noise = torch.Generator().manual_seed(int(np.random.SeedSequence([0, 7]).generate_state(1)[0]))
    with torch.no_grad():
        expected = sum(float(engine.D(chunk.float() / 255).sum() - engine.D(engine.G(
            torch.randn(len(chunk), 128, generator=noise))).sum()) for chunk in engine.validation.split(50)) / 120
    assert value == pytest.approx(expected, rel=1e-5)
    _, after = engine.iteration(0)
    _, untouched = twin.iteration(0)
    assert float(after["loss_d"]) == float(untouched["loss_d"])  # measuring did not move the random streams


def test_a_held_out_count_keeps_images_from_training(tiny_profile):
    cfg = resolve("lsun-dcgan-wgan-gp", tiny_profile, 0)
    assert cfg.hold_out == 1000 and len(validation_images(cfg)) == 1000
    missing = dataclasses.replace(cfg, hold_out=0)
    with pytest.raises(DataError, match="give the profile's data.lsun-bedroom-64 a `validation` source"):
        validation_images(missing)


def test_gap_growth_reads_the_second_and_last_quarter():
    log = pd.DataFrame({"gen_iter": np.arange(1, 101), "w_estimate": np.linspace(1, 2, 100),
                        "val_w_estimate": [1.0 if i % 10 == 0 else None for i in range(1, 101)]})
    gaps = train_validation_gap(log)
    assert list(gaps["gen_iter"]) == list(range(10, 101, 10))
    early, late = gap_growth(gaps)  # quarters: 10-20 | 30-50 | 60-70 | 80-100
    assert early == pytest.approx(np.mean(gaps["gap"][2:5])) and late == pytest.approx(np.mean(gaps["gap"][7:]))
