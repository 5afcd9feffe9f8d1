"""Each run follows its official script's protocol, as read in the code (spec/wgangp.md §3, §7): the optimizer's
arithmetic, the loss scaling, the batch statistics and the real data's scaling."""

import dataclasses

import numpy as np
import pytest
import torch

from repro.config import resolve
from repro.data.store import write_store
from repro.engine import Engine
from repro.metrics.evaluate import generate
from repro.registry import GAUSSIANS_1D, PARALLEL_LINES, RUNS, VALUE_SURFACES

CPU = torch.device("cpu")


def _adam_kinds(runs) -> set[str]:
    return {opt.name for run in runs for opt in (run.opt_g, run.opt_d) if opt.name.startswith("adam")}


def test_every_wgangp_run_steps_tensorflow1_adam_and_the_wgan_paper_pytorch_adam():
    """Every WGAN-GP script is TensorFlow 1 (tf.train.AdamOptimizer); the WGAN paper's code is PyTorch."""
    assert _adam_kinds(r for r in RUNS.values() if r.paper == "wgangp") == {"adam_tf"}
    assert _adam_kinds(r for r in RUNS.values() if r.paper == "wgan") == {"adam"}
    assert {run.opt_d.name for run in RUNS.values() if run.objective == "gan" and run.paper == "wgangp"} == {"adam_tf"}
    assert VALUE_SURFACES["figure"].fits["wgan-gp"].opt.name == "adam_tf"  # wgan_toy.py, TF1
    assert VALUE_SURFACES["official"].fits["wgan-gp"].opt.name == "adam_tf"  # gan_toy.py, TF1
    assert {f.opt.name for f in (*PARALLEL_LINES.fits.values(), *GAUSSIANS_1D.fits.values())} <= {"adam", "rmsprop"}


def test_the_gan_loss_is_halved_where_the_script_halves_it():
    """gan_cifar.py, gan_64x64.py, gan_mnist.py (the toys' and the language model's MODE dcgan) and the 32×32 template
    wgan_imagenet32_stab.py divide the discriminator cost by 2; the WGAN paper's baselines follow the DCGAN recipe,
    which sums."""
    halved = {name for name, run in RUNS.items() if run.gan_loss_halved}
    gans = {name for name, run in RUNS.items() if run.objective == "gan"}
    assert halved <= gans
    expected = {"cifar-dcgan"} | {f"lsun-{a}-dcgan" for a in ("dcgan", "const-g", "mlp-g", "no-norm", "gated", "tanh",
                                                                "resnet101")} \
        | {f"toy-{d}-gan" for d in ("8gaussians", "25gaussians", "swissroll")} \
        | {f"randarch-{i:03d}-gan" for i in range(200)} | {"language-gan"}
    assert halved == expected
    assert gans - halved == {"gan-dcgan", "gan-mlpg", "gan-mlp", "gan-nobn", "gan-dcgan-alg1"}


def test_the_cifar_resnet_normalises_its_fakes_in_two_groups_as_its_two_towers_do(tiny_profile):
    """gan_cifar_resnet.py's N_GPUS = 2 (the device list doubled on one GPU) builds the generator once per tower:
    the critic step's 64 fakes are normalised as 2 × 32, the generator step's 128 as 2 × 64; its Inception score
    samples come from Generator(100), as gan_cifar.py's do."""
    for name in ("cifar-resnet", "cifar-resnet-acgan"):
        assert (RUNS[name].bn_groups, RUNS[name].eval_batch) == (2, 100)
    assert {RUNS[name].eval_batch for name in ("cifar-clip-rmsprop", "cifar-gp-rmsprop", "cifar-gp-adam",
                                               "cifar-dcgan")} == {100}
    # wgan_imagenet128.py builds its 64 fakes on 8 GPUs (WGAN-GP Fig 4): groups of 8
    assert RUNS["lsun128-resnet"].bn_groups == 8
    assert {run.bn_groups for name, run in RUNS.items() if not name.startswith(("cifar-resnet", "lsun128"))} == {1}
    engine = Engine(resolve("cifar-resnet", tiny_profile, 0), CPU)  # tiny profile: batch 16
    state = engine.noise.get_state()
    with torch.no_grad():
        fakes = engine._generate(16, None)
        engine.noise.set_state(state)
        z = engine._z(16)
        torch.testing.assert_close(fakes, torch.cat([engine.G(z[:8]), engine.G(z[8:])]))  # two groups' statistics
        assert not torch.allclose(fakes, engine.G(z), atol=1e-4)  # not one batch's
    sizes = []
    engine.G.register_forward_pre_hook(lambda module, args: sizes.append(len(args[0])))
    steps, _ = engine.iteration(1)
    assert sizes == [8, 8] * steps + [16, 16]
    sizes.clear()
    generate(engine.G, 128, 250, CPU, batch=engine.cfg.eval_batch)
    assert sizes == [100, 100, 50]


def test_a_group_count_that_does_not_divide_the_batch_is_refused(tiny_profile):
    from repro.errors import ConfigError

    profile = dataclasses.replace(tiny_profile, batch_per_run={"cifar-resnet": 15})
    with pytest.raises(ConfigError, match="batch 15, .* 2 groups"):
        resolve("cifar-resnet", profile, 0)


def test_the_cifar_resnet_scales_real_pixels_by_256_and_adds_dequantisation_noise(tiny_profile, tmp_path):
    """gan_cifar_resnet.py: 2·(x/256 − 0.5) + U[0, 1/128); every other script 2·(x/255 − 0.5). Pixels 0, 128 and
    255 land in [−1, −1 + 1/128), [0, 1/128) and [0.9921875, 1)."""
    assert {name for name, run in RUNS.items() if run.dequantize} == {"cifar-resnet", "cifar-resnet-acgan"}
    pixels = torch.tensor([0.0, 128.0, 255.0])
    images = np.broadcast_to(pixels.numpy().astype(np.uint8)[None, :, None, None], (64, 3, 32, 32))
    write_store(tmp_path / "store", [images], 64, (3, 32, 32), {"source": "test"}, labels=np.arange(64) % 10)
    profile = dataclasses.replace(tiny_profile, data={**tiny_profile.data, "cifar10": str(tmp_path / "store")})
    scaled = {}
    for name in ("cifar-resnet", "cifar-gp-adam"):
        real, _ = Engine(resolve(name, profile, 0), CPU)._real()
        scaled[name] = real.transpose(0, 1).flatten(1)  # channel × values
    plain = scaled["cifar-gp-adam"]
    torch.testing.assert_close(plain, (pixels / 127.5 - 1)[:, None].expand_as(plain))
    noise = scaled["cifar-resnet"] - (pixels / 128 - 1)[:, None]
    assert noise.min() >= 0 and noise.max() <= 1 / 128  # float32 rounds the sum up to 1 where u is within an ulp
    assert abs(noise.mean().item() - 1 / 256) < 1e-4 and abs(noise.var().item() - (1 / 128) ** 2 / 12) < 2e-7
