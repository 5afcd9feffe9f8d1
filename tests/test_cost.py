"""What the paper profile costs: FLOP counts against hand counts and the real engine, the warm-up's critic steps,
state sizes, stores, and each training job's time limit in the DAG."""

import dataclasses
import json
import re

import numpy as np
import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

from repro import cost
from repro.bench import iteration_flops
from repro.config import load_profile, resolve
from repro.data.store import write_store
from repro.engine import Engine, critic_steps
from repro.objectives import WGAN, WGANGP
from tests.conftest import ROOT, TINY, snakemake

PAPER = load_profile(ROOT / "configs" / "paper.yaml")


class LinearCritic(torch.nn.Module):
    def __init__(self, d: int):
        super().__init__()
        self.linear = torch.nn.Linear(d, 1)

    def forward(self, x):
        return self.linear(x).view(-1)


def test_a_penalised_critic_step_is_counted_by_hand_where_flopcountermode_fails():
    """D(x) = w·x + b on B × d: D(real), D(fake) and D(x̂) cost 2Bd each; ∇ₓ̂D (create_graph) 2Bd; the backward
    gives w's gradient from D(real) and D(fake) (2Bd each) and through ∇ₓ̂D = 1·w (2Bd): 14Bd. Without the penalty:
    4Bd forward, 4Bd backward."""
    batch, d = 8, 5
    critic, real, fake = LinearCritic(d), torch.randn(batch, d), torch.randn(batch, d)
    rng = torch.Generator().manual_seed(0)
    assert cost.count_flops(lambda: WGANGP().critic_loss(critic, real, fake, rng)[0].backward()) == 14 * batch * d
    assert cost.count_flops(lambda: WGAN().critic_loss(critic, real, fake, rng)[0].backward()) == 8 * batch * d
    with pytest.raises(RuntimeError, match="leaf node"), FlopCounterMode(display=False):
        WGANGP().critic_loss(critic, real, fake, rng)[0].backward()


@pytest.mark.parametrize("run", ["mnist-gp", "cifar-resnet-acgan", "wgan-dcgan"])
def test_the_meta_device_count_is_the_real_engines(tiny_profile, tmp_path, run):
    """The cost job counts shapes on the meta device; the engine's real CPU iteration (n_critic critic steps, one
    generator step) on RGB images as the papers' gives the same FLOPs, penalty, conditional nets, the AC-GAN class
    head and BN included."""
    size = resolve(run, tiny_profile, 0).image_size
    images = np.random.default_rng(0).integers(0, 256, (64, 3, size, size), dtype=np.uint8)
    write_store(tmp_path, [images], 64, images.shape[1:], {"source": "test"}, labels=np.arange(64) % 10)
    profile = dataclasses.replace(tiny_profile, data={**tiny_profile.data, "cifar10": str(tmp_path),
                                                      "lsun-bedroom": str(tmp_path)})
    cfg = dataclasses.replace(resolve(run, profile, 0), warmup=None)
    nets = cost.nets(cfg)
    expected = cfg.n_critic * nets.critic_step_flops + nets.generator_step_flops
    assert iteration_flops(Engine(cfg, torch.device("cpu"))) == expected > 0


def test_wgan_warm_up_critic_steps_over_600k_iterations():
    """100 critic steps for g < 25 and every 500th g: 25 + 1,199 bursts (500 … 599,500) of 600,000 iterations,
    (1,224·100 + 598,776·5) / 600,000 = 5.1938 on average; the count is the engine's schedule, step by step."""
    cfg = resolve("wgan-dcgan", PAPER, 0)
    assert cost.mean_critic_steps(cfg) == pytest.approx(5.1938, abs=1e-9)
    assert cost.mean_critic_steps(cfg) == sum(critic_steps(g, 5, cfg.warmup) for g in range(600_000)) / 600_000
    assert cost.mean_critic_steps(resolve("cifar-gp-adam", PAPER, 0)) == 5.0


def test_state_sizes_and_stores_by_hand():
    """gan_toy.py's G 2→512→512→512→2: 527,874 float32 parameters; its critic 2→512→512→512→1: 527,361; Adam keeps
    two moments of each. LSUN bedrooms: 3,033,042 × 3 × 64 × 64 bytes."""
    nets = cost.nets(resolve("toy-8gaussians-gp", PAPER, 0))
    assert (nets.generator_bytes, nets.critic_bytes) == (527_874 * 4, 527_361 * 4)
    assert nets.optimizer_bytes == 2 * (527_874 + 527_361) * 4
    stores = cost.store_bytes(PAPER)
    assert stores["lsun-bedroom train"] == 37_270_020_096 and stores["cifar10 train"] == 153_600_000
    assert stores["lsun-bedroom-128 train"] == 3_033_042 * 3 * 128 * 128  # WGAN-GP Fig 4's store
    assert stores["billion-word train"] == 10_000_000 * 32 * 2  # uint16 symbols of 10M 32-symbol lines
    assert stores["imagenet32 train"] == 1_281_167 * 3072 and stores["mnist validation"] == 7_840_000


def test_time_limits_follow_iterations_and_architecture_up_to_the_cap():
    limit = cost.run_cost(resolve("wgan-dcgan", PAPER, 0), 4320).runtime_minutes
    toy = cost.run_cost(resolve("toy-8gaussians-gan", PAPER, 0), 4320).runtime_minutes
    short = cost.run_cost(resolve("wgan-dcgan", PAPER, 0, iters=100), 4320).runtime_minutes
    assert toy < limit and short < limit and cost.RUNTIME_FLOOR_MIN <= min(toy, short)
    assert cost.run_cost(resolve("lsun-resnet101-wgan-gp", PAPER, 0), 600).runtime_minutes == 600  # capped


def test_the_dag_sizes_each_training_job_from_the_cost_job(tmp_path):
    """No fixed resources.train.runtime: the cost job counts every run once, and each training job's runtime (its
    SLURM time limit) is read from that file."""
    profile = tmp_path / "profile.yaml"
    profile.write_text(TINY.read_text().replace("profile: tiny", "profile: sized"))
    done = snakemake("results/sized/cost.json", "--cores", 1, "--configfile", profile, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    counted = json.loads((tmp_path / "results/sized/cost.json").read_text())
    assert set(counted["runs"]) == set(load_profile(profile).runs)
    runs = ["wgan-dcgan", "toy-8gaussians-gp"]
    dry = snakemake("-n", *[f"results/sized/runs/{run}/seed0/meta.json" for run in runs], "--configfile", profile,
                    cwd=tmp_path)
    printed = dict(re.findall(r"wildcards: run=([\w.-]+), seed=0\n.*?runtime=(\d+)", dry.stdout, re.S))
    assert printed == {run: str(counted["runs"][run]["runtime_minutes"]) for run in runs}
