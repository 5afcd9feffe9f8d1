"""Conditional (AC-GAN) training as gan_cifar_resnet.py does it, checked on a real engine with the bundled digits."""

import dataclasses

import numpy as np
import pytest
import torch

from repro.config import resolve
from repro.data.sampler import ImageSampler, open_sampler
from repro.engine import Engine
from repro.errors import ConfigError, DataError

CPU = torch.device("cpu")


def test_labelled_sampler_serves_each_image_with_its_class():
    classes = np.arange(40) % 10
    images = np.repeat(classes.astype(np.uint8)[:, None, None, None], 4, axis=2).repeat(4, axis=3)  # pixel = class
    sampler = ImageSampler(images, 8, 0, CPU, labels=classes)
    for _ in range(7):  # across an epoch boundary
        batch, labels = sampler.next_labeled()
        torch.testing.assert_close((batch[:, 0, 0, 0] + 1) * 127.5, labels.float())
    assert open_sampler("mnist-bundled", 32, 16, 0, CPU, labeled=True).next_labeled()[1].shape == (16,)
    with pytest.raises(DataError, match="no class labels"):
        open_sampler("swissroll", 32, 16, 0, CPU, labeled=True)


def _engine(tiny_profile, **changes):
    conditional = dict(generator="resnet32_cond_g", critic="resnet32_acgan_d", acgan_scales=(1.0, 0.1),
                       gen_batch_multiple=2)
    return Engine(dataclasses.replace(resolve("cifar-gp-adam", tiny_profile, 0), **{**conditional, **changes}), CPU)


def test_acgan_step_conditions_fakes_on_the_real_classes_and_classifies_real_images_only(tiny_profile):
    engine = _engine(tiny_profile)
    served, generated, classified = [], [], []
    next_labeled = engine.data.next_labeled
    engine.data.next_labeled = lambda: served.append(next_labeled()) or served[-1]
    engine.G.register_forward_hook(lambda module, args, out: generated.append((args[1], out)))
    scores_and_logits = engine.D.scores_and_logits
    engine.D.scores_and_logits = lambda x: classified.append(x) or scores_and_logits(x)
    steps, stats = engine.iteration(0)
    # each critic step: fakes drawn for the real batch's classes, the class loss on that real batch
    for (real, labels), (fake_labels, _), images in zip(served, generated, classified):
        assert torch.equal(fake_labels, labels) and torch.equal(images, real)
    # the generator step: 2 × batch fakes with their own classes, classified once
    (labels_g, fake_g), images_g = generated[steps], classified[steps]
    assert len(served) == steps and len(classified) == steps + 1
    assert len(labels_g) == 2 * engine.cfg.batch_size and torch.equal(images_g, fake_g)
    assert labels_g.unique().numel() > 1
    assert all(torch.isfinite(stats[k]) for k in ("acgan_d", "acgan_g", "loss_d", "loss_g"))


def test_conditional_sample_grid_holds_one_class_per_column(tiny_profile):
    """gan_cifar_resnet.py's sheet: 100 fixed samples with labels 0…9 repeated, drawn 10 to a row."""
    assert {resolve(run, tiny_profile, 0).sample_grid for run in ("cifar-resnet", "cifar-resnet-acgan")} == {10}
    engine = _engine(tiny_profile, sample_grid=10)
    assert engine.sample().shape[0] == 100
    columns = engine.fixed_labels.reshape(10, 10).T
    assert [set(column.tolist()) for column in columns] == [{k} for k in range(10)]


def test_acgan_run_with_unconditional_nets_is_a_clear_error(tiny_profile):
    with pytest.raises(ConfigError, match="class head"):
        _engine(tiny_profile, critic="resnet32_d")


def test_evaluation_samples_a_conditional_generator_over_uniform_classes():
    from repro.metrics.evaluate import generate
    from repro.nets import Sizes, build

    G = build("resnet32_cond_g", Sizes(nz=128, nc=1, isize=32, width=8))
    seen = []
    G.register_forward_hook(lambda module, args, out: seen.append(args[1]))
    assert generate(G, 128, 300, CPU).shape == (300, 1, 32, 32)
    classes = torch.cat(seen)
    assert len(classes) == 300 and classes.min() >= 0 and classes.max() <= 9 and classes.unique().numel() == 10
