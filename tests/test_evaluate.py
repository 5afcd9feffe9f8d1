"""`python -m repro evaluate`: real tiny runs, their snapshots measured, one CSV row per snapshot."""

import dataclasses
import json

import pandas as pd
import pytest
import yaml

from repro.config import MetricsSpec, load_profile, resolve
from repro.metrics.evaluate import evaluate
from repro.train import train
from tests import fidelity_extractor
from tests.conftest import ROOT, TINY, repro_cli

TOY, IMAGE = "toy-8gaussians-gp", "wgan-dcgan"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A toy run (40 iterations, a snapshot every 5) and an image run on the bundled digits (12 iterations)."""
    profile = load_profile(TINY)
    root = tmp_path_factory.mktemp("evaluate")
    for run, iters in ((TOY, 40), (IMAGE, 12)):
        cfg = dataclasses.replace(resolve(run, profile, 0, iters=iters), warmup=None)
        train(cfg, root / run, "cpu", quiet=True)
    return profile, root


def test_training_keeps_a_generator_snapshot_at_the_cadence_and_at_the_end(runs):
    _, root = runs
    assert sorted(p.name for p in (root / TOY / "snapshots").iterdir()) == [
        f"G_{i:09d}.pt" for i in range(0, 41, 5)]
    assert [p.name for p in (root / IMAGE / "snapshots").iterdir()].count("G_000000012.pt") == 1


def test_toy_run_rows_per_snapshot_with_exact_w1_and_modes(runs, tmp_path):
    profile, root = runs
    out = evaluate(root / TOY, tmp_path / "toy.csv", profile.metrics, "cpu", quiet=True)
    table = pd.read_csv(out)
    assert list(table["gen_iter"]) == list(range(0, 41, 5))
    assert list(table.columns) == ["gen_iter", "wall_s", "w1_64", "modes_64", "high_quality_64"]
    assert table["wall_s"].iloc[0] == 0 and table["wall_s"].is_monotonic_increasing
    log = pd.read_csv(root / TOY / "log.csv").set_index("gen_iter")
    assert table.set_index("gen_iter").loc[40, "wall_s"] == pytest.approx(log.loc[40, "wall_s"], abs=1e-3)
    assert (table["w1_64"] > 0).all() and table["modes_64"].between(0, 8).all()
    assert table["w1_64"].iloc[-1] < table["w1_64"].iloc[0]  # 40 WGAN-GP steps already move G toward the data
    protocol = json.loads((tmp_path / "toy.csv.json").read_text())
    assert protocol["toy_samples"] == 64 and protocol["run"] == TOY


def test_image_run_gets_per_level_and_average_swd(runs, tmp_path):
    profile, root = runs
    table = pd.read_csv(evaluate(root / IMAGE, tmp_path / "image.csv", profile.metrics, "cpu", quiet=True))
    assert list(table["gen_iter"]) == [0, 5, 10, 12]
    assert {"swd_64", "swd_64_16px"} <= set(table.columns)
    assert (table["swd_64"] > 0).all()
    protocol = json.loads((tmp_path / "image.csv.json").read_text())
    assert protocol["reference_sha256"] and protocol["samples"] == 64 and protocol["image"] == ["swd"]


def test_an_interrupted_evaluation_resumes_and_a_changed_protocol_starts_over(runs, tmp_path):
    profile, root = runs
    out = tmp_path / "toy.csv"
    full = pd.read_csv(evaluate(root / TOY, out, profile.metrics, "cpu", quiet=True))
    pd.read_csv(out).iloc[:4].assign(w1_64=-1.0).to_csv(out, index=False)  # as if killed after 4 rows
    resumed = pd.read_csv(evaluate(root / TOY, out, profile.metrics, "cpu", quiet=True))
    assert list(resumed["w1_64"].iloc[:4]) == [-1.0] * 4  # kept, not recomputed
    pd.testing.assert_frame_equal(resumed.iloc[4:], full.iloc[4:])  # the rest recomputed identically
    other = dataclasses.replace(profile.metrics, toy_samples=32)
    restarted = pd.read_csv(evaluate(root / TOY, out, other, "cpu", quiet=True))
    assert "w1_32" in restarted.columns and "w1_64" not in restarted.columns and (restarted["w1_32"] > 0).all()


def test_cli_writes_the_default_path_and_refuses_a_directory_without_snapshots(runs, tmp_path):
    _, root = runs
    proc = repro_cli("evaluate", root / TOY, "--config", TINY, "--out", tmp_path / "m.csv", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(tmp_path / "m.csv") and len(pd.read_csv(tmp_path / "m.csv")) == 9
    proc = repro_cli("evaluate", tmp_path, "--out", tmp_path / "x.csv")
    assert proc.returncode == 2 and "not a run directory" in proc.stderr


def test_offline_inception_metrics_without_weights_exit_2_with_the_fix(runs, tmp_path):
    _, root = runs
    raw = yaml.safe_load(TINY.read_text())
    raw["metrics"] = {**raw["metrics"], "image": ["swd", "fid"], "inception_weights": str(tmp_path / "w.pth")}
    profile = tmp_path / "profile.yaml"
    profile.write_text(yaml.safe_dump(raw))
    proc = repro_cli("evaluate", root / IMAGE, "--config", profile, "--out", tmp_path / "m.csv")
    assert proc.returncode == 2
    assert str(tmp_path / "w.pth") in proc.stderr and "weights-inception-2015-12-05-6726825d.pth" in proc.stderr
    assert "curl" in proc.stderr and not (tmp_path / "m.csv").exists()


def test_wgangp_fig3_runs_add_gan_cifar_py_inception_score_where_the_profile_measures_one(tmp_path):
    """gan_cifar.py logs the Inception score of 1,000 samples every 1,000 generator iterations: the paper profile
    snapshots those runs every 1,000 and measures is_1k_10split there, beside its own protocol every 20k; a
    profile without the Inception score (the default) leaves the curve out."""
    paper, default = (load_profile(ROOT / "configs" / f"{name}.yaml") for name in ("paper", "default"))
    fig3 = resolve("cifar-gp-adam", paper, 0)
    assert (fig3.inception_every, fig3.inception_samples, fig3.snapshot_every) == (1000, 1000, 1000)
    assert resolve("wgan-dcgan", paper, 0).inception_every == 0 and resolve("wgan-dcgan", paper, 0).snapshot_every \
        == 20_000
    assert (resolve("cifar-gp-adam", default, 0).inception_every, resolve("cifar-gp-adam", default, 0).snapshot_every) \
        == (0, 100)
    # the same protocol at a test's scale: the profile's metrics every 6, the run's Inception score every 2
    profile = load_profile(TINY)
    spec = dataclasses.replace(profile.metrics, image=("swd", "is"), every=6, samples=32,
                               extractor=fidelity_extractor.register())
    cfg = dataclasses.replace(resolve("cifar-gp-adam", profile, 0, iters=6), inception_every=2, inception_samples=20,
                              snapshot_every=2)
    train(cfg, tmp_path / "run", "cpu", quiet=True)
    table = pd.read_csv(evaluate(tmp_path / "run", tmp_path / "m.csv", spec, "cpu", quiet=True)).set_index("gen_iter")
    assert list(table.index) == [0, 2, 4, 6]
    assert table["is_20_10split"].notna().all() and (table["is_20_10split"] >= 1).all()
    for column in ("swd_32", "is_32_10split"):
        assert table[column].notna().tolist() == [True, False, False, True]  # the profile's cadence and the end


def test_metrics_spec_defaults_and_torch_fidelity_names():
    spec = MetricsSpec(image=("swd", "is", "fid"))
    assert spec.fidelity == ("isc", "fid") and MetricsSpec().fidelity == ()
