"""WGAN-GP's random-architecture study: the registry's seeded sweep, Table 2's success counts, App. C's sign test and
App. D's counts (on hand-made scores), and the tables and figures from real tiny runs of two architectures."""

import dataclasses
import math
import re

import pandas as pd
import pytest

from repro import sweep
from repro.cli import main
from repro.config import SweepSpec, load_profile, resolve
from repro.engine import Engine
from repro.errors import ConfigError
from repro.metrics.evaluate import evaluate
from repro.nets import count_parameters
from repro.nets.random_arch import RandomArchCritic, RandomArchGenerator
from repro.nets.table1 import sample_architecture
from repro.plots import draw, runs_for
from repro.registry import ONE_SIDED_SIZE, RUNS, SWEEP_DECAY, SWEEP_SEED, SWEEP_SIZE
from repro.train import train
from tests.conftest import TINY


def test_the_registry_trains_200_architectures_two_ways_174_one_sided_and_the_stand_ins_with_elu():
    sweep_runs = [r for r in RUNS.values() if r.sweep_index is not None]
    stand_in = [i for i in range(SWEEP_SIZE) if "softplus" in (sample_architecture(i, SWEEP_SEED).nonlinearity_g,
                                                               sample_architecture(i, SWEEP_SEED).nonlinearity_d)]
    assert len(sweep_runs) == 2 * SWEEP_SIZE + ONE_SIDED_SIZE + len(stand_in) and 0 < len(stand_in) < SWEEP_SIZE
    assert [r.sweep_index for r in sweep_runs if r.elu] == stand_in
    for run in sweep_runs:
        choice = sample_architecture(run.sweep_index, SWEEP_SEED)
        if run.elu:  # App. D: ELU exactly where the stand-in was drawn, the WGAN-GP twin's settings otherwise
            twin = RUNS[f"randarch-{run.sweep_index:03d}-wgan-gp"]
            assert run.architecture == dataclasses.replace(choice, **{
                k: "elu" for k in ("nonlinearity_g", "nonlinearity_d") if getattr(choice, k) == "softplus"})
            assert "softplus" not in (run.architecture.nonlinearity_g, run.architecture.nonlinearity_d)
            assert dataclasses.replace(run, name=twin.name, about=twin.about, figures=twin.figures, elu=False) == twin
            assert "wgangp-appD" in twin.figures and run.figures == ("wgangp-appD",)
            continue
        assert run.architecture == choice and run.dataset == "imagenet32" and run.iters == 100_000
        # App. B: weight decay 1e-3 on a normalised discriminator only (BN for the GAN, layer norm for WGAN-GP)
        assert run.opt_d.weight_decay == (SWEEP_DECAY if choice.bn_d else 0.0) and run.opt_g.weight_decay == 0.0
        if run.objective == "gan":
            assert (run.opt_d.lr, run.opt_d.betas, run.n_critic, run.critic_norm) == (2e-4, (0.5, 0.999), 1, "batch")
        else:
            assert (run.opt_d.lr, run.opt_d.betas, run.n_critic, run.critic_norm) == (1e-4, (0.0, 0.9), 5, "layer")
    one_sided = [r.sweep_index for r in sweep_runs if r.gp_one_sided]
    assert one_sided == list(range(ONE_SIDED_SIZE))
    assert "wgangp-appC" in RUNS["randarch-173-wgan-gp"].figures
    assert "wgangp-appC" not in RUNS["randarch-174-wgan-gp"].figures


def test_a_sweep_run_builds_its_sampled_architecture_at_the_profiles_width(tiny_profile):
    cfg = resolve("randarch-001-wgan-gp", tiny_profile, 0)  # tiny: randarch width 8, an eighth of the paper's 64
    choice = sample_architecture(1, SWEEP_SEED)
    engine = Engine(cfg, pytest.importorskip("torch").device("cpu"))
    expected_g = RandomArchGenerator(128, 1, 32, choice, scale=8 / 64)
    expected_d = RandomArchCritic(1, 32, choice, "layer", scale=8 / 64)
    assert count_parameters(engine.G) == count_parameters(expected_g)
    assert count_parameters(engine.D) == count_parameters(expected_d)
    assert str(engine.D) == str(expected_d) and str(engine.G) == str(expected_g)
    assert cfg.architecture == dataclasses.asdict(choice) and cfg.gp_one_sided is False


def test_the_profile_trains_only_the_first_architectures(tiny_profile):
    assert tiny_profile.sweep.architectures == 2
    sweep_runs = [r for r in tiny_profile.runs if RUNS[r].sweep_index is not None]
    assert sweep_runs == ["randarch-000-gan", "randarch-000-wgan-gp", "randarch-001-gan", "randarch-001-wgan-gp",
                          "randarch-000-wgan-gp-one-sided", "randarch-001-wgan-gp-one-sided",
                          "randarch-000-wgan-gp-elu", "randarch-001-wgan-gp-elu"]  # both drew the stand-in
    assert runs_for("wgangp-appC", tiny_profile) == ["randarch-000-wgan-gp", "randarch-001-wgan-gp",
                                                     "randarch-000-wgan-gp-one-sided",
                                                     "randarch-001-wgan-gp-one-sided"]
    assert len(runs_for("wgangp-table2")) == 2 * SWEEP_SIZE  # without a profile: the whole sweep
    assert not {r for r in runs_for("wgan-meaningful-loss") if RUNS[r].sweep_index is not None}


def test_the_score_must_be_measured_and_a_distance_takes_the_observed_thresholds(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("profile: p\ntrain: {}\ndata: {}\nrandom_architectures: {score: is}\n")
    with pytest.raises(ConfigError, match=r"p.yaml: random_architectures.score = 'is' is not measured"):
        load_profile(path)
    path.write_text("profile: p\ntrain: {}\ndata: {}\nmetrics: {image: [swd, is]}\n")
    assert load_profile(path).sweep == SweepSpec(200, "is", tuple(t / 2 for t in range(2, 19)))
    path.write_text("profile: p\ntrain: {}\ndata: {}\n")
    assert load_profile(path).sweep == SweepSpec(200, "swd", None)


def test_table5_as_transcribed_has_rows_of_200():
    assert len(sweep.TABLE5) == 17 and all(sum(row) == 200 for row in sweep.TABLE5.values())
    assert sweep.TABLE5[5.0] == (0, 147, 42, 11)  # Table 2's row printed in the paper's text


def _scores(gan, gp, one_sided=None):
    rows = len(gan)
    return pd.DataFrame({"architecture": range(rows), "gan": gan, "wgan-gp": gp,
                         "wgan-gp-one-sided": one_sided if one_sided is not None else [math.nan] * rows})


def test_table2_counts_inception_scores_strictly_above_and_distances_at_or_below():
    # (GAN, WGAN-GP) per architecture; the last two lack a score (not trained or evaluated) and are left out;
    # the third GAN's score is not finite (diverged): a failure whatever the direction
    scores = _scores([2.0, 6.0, math.inf, math.nan, 1.0], [5.0, 7.0, 4.0, 3.0, math.nan])
    higher = SweepSpec(score="is", thresholds=(5.0, 6.0))
    table = sweep.table2(_profile(higher), scores).set_index("threshold")
    # at 5.0, strictly above: (6, 7) both, (2, 5) and (inf, 4) neither; at 6.0: (6, 7) only WGAN-GP
    assert table.loc[5.0, ["only_gan", "only_wgan_gp", "both", "neither"]].tolist() == [0, 0, 1, 2]
    assert table.loc[6.0, ["only_gan", "only_wgan_gp", "both", "neither"]].tolist() == [0, 1, 0, 2]
    assert table.loc[5.0, "paper_only_wgan_gp"] == 147 and table.loc[6.0, "paper_neither"] == 34
    lower = SweepSpec(score="swd", thresholds=None)  # every observed finite score is a threshold, ≤ succeeds
    table = sweep.table2(_profile(lower), scores).set_index("threshold")
    assert list(table.index) == [2.0, 4.0, 5.0, 6.0, 7.0]
    assert table.loc[4.0, ["only_gan", "only_wgan_gp", "both", "neither"]].tolist() == [1, 1, 0, 1]
    assert table.loc[7.0, ["only_gan", "only_wgan_gp", "both", "neither"]].tolist() == [0, 1, 2, 0]
    assert table["paper_both"].isna().all() and (table["architectures"] == 3).all()


def test_app_c_counts_the_better_penalty_and_the_sign_test():
    two_sided, one_sided = [5.0, 6.0, 7.0, 8.0, 9.0, 3.0], [4.0, 5.0, 6.0, 7.0, 8.0, 3.0]
    ours = sweep.app_c(_profile(SweepSpec(score="is")), _scores([1.0] * 6, two_sided, one_sided)).iloc[0]
    assert (ours["two_sided_better"], ours["one_sided_better"], ours["ties"], ours["architectures"]) == (5, 0, 1, 6)
    assert ours["sign_test_p"] == pytest.approx(2 * 0.5 ** 5)  # two-sided binomial, the tie left out
    ours = sweep.app_c(_profile(SweepSpec(score="swd")), _scores([1.0] * 6, two_sided, one_sided)).iloc[0]
    assert (ours["two_sided_better"], ours["one_sided_better"]) == (0, 5)  # a distance: lower is better


def test_app_d_counts_successes_with_the_stand_in_and_with_elu():
    # (stand-in, ELU) per architecture; the last lacks an ELU run (it drew no stand-in) and is left out
    scores = _scores([1.0] * 4, [3.0, 5.0, 6.0, 2.0], None).assign(**{"wgan-gp-elu": [4.0, math.inf, 6.5, math.nan]})
    table = sweep.app_d(_profile(SweepSpec(score="is", thresholds=(2.5, 5.5))), scores).set_index("threshold")
    assert table.loc[2.5].tolist() == [3, 2, 3] and table.loc[5.5].tolist() == [1, 1, 3]  # inf: diverged, a failure
    table = sweep.app_d(_profile(SweepSpec(score="swd", thresholds=None)), scores).set_index("threshold")
    assert list(table.index) == [3.0, 4.0, 5.0, 6.0, 6.5]  # every finite score observed; ≤ succeeds
    assert table.loc[4.0, ["smooth_stand_in", "elu"]].tolist() == [1, 1]
    assert table.loc[6.5, ["smooth_stand_in", "elu"]].tolist() == [3, 2]


def test_an_elu_run_builds_elu_where_its_twin_has_the_smooth_stand_in(tiny_profile):
    torch = pytest.importorskip("torch")
    from repro.nets.random_arch import SmoothELU

    cpu = torch.device("cpu")
    elu, twin = (Engine(resolve(f"randarch-000-{m}", tiny_profile, 0), cpu) for m in ("wgan-gp-elu", "wgan-gp"))
    kinds = {name: [type(m) for m in e.D.modules() if isinstance(m, (torch.nn.ELU, SmoothELU))]
             for name, e in (("elu", elu), ("twin", twin))}  # architecture 0: tanh G, stand-in D
    assert kinds["elu"] and set(kinds["elu"]) == {torch.nn.ELU} and kinds["twin"] == [SmoothELU] * len(kinds["elu"])
    assert str(elu.G) == str(twin.G)


def _profile(spec: SweepSpec):
    return dataclasses.replace(load_profile(TINY), sweep=spec)


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """The tiny profile's two architectures trained four ways for 6 iterations, evaluated."""
    profile = load_profile(TINY)
    root = tmp_path_factory.mktemp("results") / "tiny"
    for run in dict.fromkeys(runs_for("wgangp-table2", profile) + runs_for("wgangp-appC", profile)
                             + runs_for("wgangp-appD", profile)):
        run_dir = root / "runs" / run / "seed0"
        train(resolve(run, profile, 0, iters=6), run_dir, "cpu", quiet=True)
        evaluate(run_dir, root / "metrics" / run / "seed0.csv", profile.metrics, "cpu", quiet=True)
    return profile, root


def test_tables_carry_each_runs_last_swd_and_the_counts_follow(results, tmp_path):
    profile, root = results
    assert main(["table", "--config", str(TINY), "--results", str(root), "--out", str(tmp_path)]) == 0
    scores = pd.read_csv(tmp_path / "wgangp-sweep.csv").set_index("architecture")
    for index in (0, 1):
        for method in ("gan", "wgan-gp", "wgan-gp-one-sided", "wgan-gp-elu"):
            metrics = pd.read_csv(root / "metrics" / f"randarch-{index:03d}-{method}" / "seed0.csv")
            assert scores.loc[index, method] == pytest.approx(metrics["swd_64"].iloc[-1], rel=1e-12)
        assert scores.loc[index, "depth_g"] == sample_architecture(index, SWEEP_SEED).depth_g
    counts = pd.read_csv(tmp_path / "wgangp-table2.csv")
    assert sorted(counts["threshold"]) == pytest.approx(sorted(scores[["gan", "wgan-gp"]].to_numpy().ravel()))
    assert (counts[list(sweep.OUTCOMES)].sum(axis=1) == 2).all()
    assert counts["both"].iloc[-1] == 2  # at the largest SWD every run succeeds; at the smallest only its own run
    assert counts[["only_gan", "only_wgan_gp", "neither"]].iloc[0].tolist() in ([1, 0, 1], [0, 1, 1])
    app_c = pd.read_csv(tmp_path / "wgangp-appC.csv").set_index("source")
    two = int((scores["wgan-gp"] < scores["wgan-gp-one-sided"]).sum())
    assert app_c.loc["ours", "two_sided_better"] == two and app_c.loc["paper (App. C)", "two_sided_better"] == 100
    assert "every score observed" in (tmp_path / "wgangp-table2.md").read_text()
    app_d = pd.read_csv(tmp_path / "wgangp-appD.csv")
    assert sorted(app_d["threshold"]) == pytest.approx(sorted(scores[["wgan-gp", "wgan-gp-elu"]].to_numpy().ravel()))
    assert app_d[["smooth_stand_in", "elu"]].iloc[-1].tolist() == [2, 2] and (app_d["architectures"] == 2).all()


def test_figures_state_the_claim_and_our_counts(results, tmp_path):
    profile, root = results
    counts = sweep.table2(profile, sweep.scores(profile, root))
    draw("wgangp-table2", profile, root, tmp_path)
    caption = (tmp_path / "wgangp-table2.md").read_text()
    assert "147 only WGAN-GP" in caption and f"{counts['only_wgan_gp'].sum()} architecture × threshold" in caption
    assert len(re.findall(r"^\| \d", caption, re.M)) == len(counts)  # one row per threshold
    assert "| wgangp-table2-robustness |" in caption  # the verdict is its claim row's
    draw("wgangp-appC", profile, root, tmp_path)
    app_c = sweep.app_c(profile, sweep.scores(profile, root)).iloc[0]
    caption = (tmp_path / "wgangp-appC.md").read_text()
    assert f"two-sided better in {app_c['two_sided_better']}, one-sided in {app_c['one_sided_better']}" in caption
    assert (tmp_path / "wgangp-appC.png").stat().st_size > 0
    draw("wgangp-appD", profile, root, tmp_path)
    app_d = sweep.app_d(profile, sweep.scores(profile, root))
    caption = (tmp_path / "wgangp-appD.md").read_text()
    assert "ELU could not be trained" in caption and f"{app_d['architectures'].max()} have both runs scored" in caption
    assert len(re.findall(r"^\| \d", caption, re.M)) == len(app_d) and "| wgangp-appD-elu-fails |" in caption
