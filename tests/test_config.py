"""Profiles only scale the registry's runs; both shipped profiles validate and resolve every run."""

import pytest
import torch

from repro.config import load_profile, per_run, resolve
from repro.engine import Engine
from repro.errors import ConfigError
from repro.registry import RUNS
from tests.conftest import ROOT


@pytest.mark.parametrize("profile", ["default", "paper"])
def test_shipped_profiles_resolve_every_run(profile):
    p = load_profile(ROOT / "configs" / f"{profile}.yaml")
    for name, run in RUNS.items():
        cfg = resolve(name, p, p.seeds[0])
        assert (cfg.opt_d, cfg.n_critic, cfg.clip, cfg.objective) == (run.opt_d, run.n_critic, run.clip, run.objective)
        assert cfg.iters == (per_run(p.iters_per_run, name) or p.iters or run.iters)
    assert resolve("wgan-dcgan", p, 0).width_g == {"default": 16, "paper": 64}[profile]


def test_paper_profile_trains_the_paper_iterations():
    p = load_profile(ROOT / "configs" / "paper.yaml")
    assert resolve("wgan-dcgan", p, 0).iters == 600_000 and resolve("toy-8gaussians-gp", p, 0).iters == 100_000


def test_every_run_builds(tiny_profile):
    p = tiny_profile
    for name in p.runs:
        engine = Engine(resolve(name, p, 0), torch.device("cpu"))
        # an 8×8 sheet, as the official codes' fixed_noise; gan_cifar_resnet.py's ResNets draw 10×10
        assert engine.sample().shape[0] == (100 if name.startswith("cifar-resnet") else 64)


def test_iters_per_run_overrides_and_checks_run_names(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("profile: p\ntrain: {iters: 10, iters_per_run: {gan-mlp: 3}}\n"
                    "data: {lsun-bedroom: mnist-bundled}\n")
    p = load_profile(path)
    assert resolve("gan-mlp", p, 0).iters == 3 and resolve("gan-dcgan", p, 0).iters == 10
    assert resolve("gan-mlp", p, 0, iters=7).iters == 7  # the command line wins
    path.write_text("profile: p\ntrain: {iters_per_run: {gan-mpl: 3}}\ndata: {}\n")
    with pytest.raises(ConfigError, match="unknown run 'gan-mpl' \\(did you mean 'gan-mlp'\\?\\)"):
        load_profile(path)


def test_patterns_scale_groups_of_runs_and_a_name_beats_a_pattern(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("profile: p\ntrain: {iters: 10, iters_per_run: {lsun-*: 4, lsun-resnet101-*: 2, "
                    "lsun-dcgan-wgan: 6}, batch_per_run: {lsun-resnet101-*: 16}, subset_per_run: {mnist-*: 100}}\n"
                    "data: {lsun-bedroom: mnist-bundled, lsun-bedroom-64: mnist-bundled, mnist: mnist-bundled}\n")
    p = load_profile(path)
    assert [resolve(r, p, 0).iters for r in ("lsun-tanh-lsgan", "lsun-resnet101-wgan", "lsun-dcgan-wgan")] == [4, 2, 6]
    assert resolve("lsun-resnet101-dcgan", p, 0).batch_size == 16 and resolve("lsun-tanh-dcgan", p, 0).batch_size == 64
    assert resolve("mnist-clip", p, 0).train_subset == 100 and resolve("wgan-dcgan", p, 0).train_subset is None
    path.write_text("profile: p\ntrain: {batch_per_run: {lsun-resnet-*: 8}}\ndata: {}\n")
    with pytest.raises(ConfigError, match="batch_per_run has unknown run 'lsun-resnet-\\*'"):
        load_profile(path)


def test_leave_out_drops_runs_from_the_dag_says_so_and_checks_its_names(tmp_path):
    from repro.claims import CLAIMS, NOT_TESTABLE, Evidence, assess

    path = tmp_path / "p.yaml"
    path.write_text("profile: p\ntrain: {leave_out: [lsun-resnet101-*, wgan-mlpg]}\n"
                    "data: {lsun-bedroom: mnist-bundled, lsun-bedroom-64: mnist-bundled}\n")
    p, everything = load_profile(path), load_profile(ROOT / "configs/paper.yaml")
    assert set(everything.runs) - set(p.runs) == {"lsun-resnet101-dcgan", "lsun-resnet101-lsgan",
                                                   "lsun-resnet101-wgan", "lsun-resnet101-wgan-gp", "wgan-mlpg"}
    assert "5 runs left out by train.leave_out" in p.departures and "5 runs left out" in p.scale
    claim = next(c for c in CLAIMS if "wgan-mlpg" in c.runs)
    verdict, _ = assess(claim, Evidence(p, tmp_path))
    assert verdict.verdict == NOT_TESTABLE and verdict.reason == "the profile trains no `wgan-mlpg`"
    path.write_text("profile: p\ntrain: {leave_out: [wgan-mlp-g]}\ndata: {}\n")
    with pytest.raises(ConfigError, match="train.leave_out has unknown run 'wgan-mlp-g'"):
        load_profile(path)


def test_missing_data_entry_is_named(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("profile: p\ntrain: {}\ndata: {}\n")
    with pytest.raises(ConfigError, match="data has no entry for 'lsun-bedroom'"):
        resolve("wgan-dcgan", load_profile(path), 0)
    assert resolve("toy-swissroll-gp", load_profile(path), 0).data_source == "swissroll"


def test_a_store_the_pipeline_prepares_is_the_training_source():
    p = load_profile(ROOT / "configs" / "default.yaml")
    assert resolve("wgan-dcgan", p, 0).data_source == "results/default/data/mnist-32"
    assert p.data["lsun-bedroom"]["prepare"] == {"dataset": "mnist-bundled"}
