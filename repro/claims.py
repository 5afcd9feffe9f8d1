"""What reproduced: every claim of both papers, measured from a profile's runs and judged by a rule fixed in advance.

A `Claim` names the paper's figure or table, states the claim (with the paper's number where it gives one), says
which runs it reads and what it measures there, and carries a `Rule`: a threshold and a direction. The rules were
written from the papers before any of our results were read and are not tuned afterwards; each claim also states
the smallest scale at which its rule means anything, and a profile below it gets *not testable at this scale*.

A measurement gives one value per seed (per random architecture for the sweep, or one exact value for a closed
form). Over the values, the mean and its 95% Student-t interval decide the verdict:
- *reproduced*: the whole interval satisfies the rule;
- *not reproduced*: the whole interval violates it;
- *inconclusive*: the interval straddles the threshold, or there are fewer than `MIN_VALUES` values;
- *not testable at this scale*: the profile does not train what the rule needs (the reason is given).

`python -m repro claims --config P` writes results/<P>/tables/claims.{csv,md,html} and the figure `claims`.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from repro.config import Profile, resolve
from repro.metrics import curves
from repro.tables import mean_ci, read_meta, read_metrics

MIN_VALUES = 3  # a verdict other than inconclusive needs at least this many seeds (architectures)
REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_TESTABLE = (
    "reproduced", "not reproduced", "inconclusive", "not testable at this scale")


@dataclass(frozen=True)
class Rule:
    """The claim holds for a value v when v > above (if given) and v < below (if given)."""

    above: float | None = None
    below: float | None = None

    def holds(self, value: float) -> bool:
        return (self.above is None or value > self.above) and (self.below is None or value < self.below)

    def fails_throughout(self, low: float, high: float) -> bool:
        """Every value of [low, high] violates the rule."""
        return (self.above is not None and high <= self.above) or (self.below is not None and low >= self.below)

    def __str__(self) -> str:
        if self.above is not None and self.below is not None:
            return f"{self.above:g} < value < {self.below:g}"
        return f"> {self.above:g}" if self.above is not None else f"< {self.below:g}"


@dataclass(frozen=True)
class Measured:
    """A claim's measurement: one value per replicate (`unit`: seed, architecture) or one `exact` value."""

    values: dict[str, float]
    unit: str = "seed"
    exact: bool = False
    note: str = ""


@dataclass(frozen=True)
class Verdict:
    verdict: str
    mean: float = math.nan
    low: float = math.nan
    high: float = math.nan
    n: int = 0
    reason: str = ""


def judge(rule: Rule, measured: Measured) -> Verdict:
    """The verdict of `rule` over the finite values of `measured` (see the module docstring)."""
    values = [v for v in measured.values.values() if v is not None and math.isfinite(v)]
    if not values:
        return Verdict(INCONCLUSIVE, reason=measured.note or "no finished, measurable run")
    if measured.exact:
        value = values[0]
        return Verdict(REPRODUCED if rule.holds(value) else NOT_REPRODUCED, value, value, value, 1,
                       "exact: deterministic, no seeds")
    mean, half, n = mean_ci(values)
    if n < MIN_VALUES:
        return Verdict(INCONCLUSIVE, mean, math.nan, math.nan, n,
                       f"{n} {measured.unit}{'s' * (n != 1)}; a verdict needs at least {MIN_VALUES}")
    low, high = mean - half, mean + half
    if rule.holds(low) and rule.holds(high):
        return Verdict(REPRODUCED, mean, low, high, n)
    if rule.fails_throughout(low, high):
        return Verdict(NOT_REPRODUCED, mean, low, high, n)
    return Verdict(INCONCLUSIVE, mean, low, high, n, "the 95% interval straddles the threshold")


@dataclass(frozen=True)
class Evidence:
    """What a measurement reads: the finished runs, metric tables and toy arrays under results/<profile>/."""

    profile: Profile
    results: Path

    def run_dir(self, run: str, seed: int) -> Path:
        return self.results / "runs" / run / f"seed{seed}"

    def seeds(self, *runs: str) -> list[int]:
        """The seeds every one of `runs` is trained with and finished at (has meta.json)."""
        common = [s for s in self.profile.seeds_of(runs[0]) if all(s in self.profile.seeds_of(r) for r in runs)]
        return [s for s in common if all(read_meta(self.run_dir(r, s)) for r in runs)]

    def log(self, run: str, seed: int) -> pd.DataFrame:
        return pd.read_csv(self.run_dir(run, seed) / "log.csv")

    def metrics(self, run: str, seed: int) -> pd.DataFrame | None:
        return read_metrics(self.results, run, seed)

    def toy(self, name: str) -> tuple[dict[int, dict], dict]:
        """Each toy seed's arrays of a generator-free toy experiment, and its settings."""
        from repro.toys import load, per_seed, result_path

        arrays, settings = load(result_path(self.results, name))
        return per_seed(arrays, settings), settings


@dataclass(frozen=True)
class Claim:
    id: str
    paper: str  # "WGAN", "WGAN-GP", or "seed" (the suite's own min-max experiment)
    where: str  # figure, table or section
    statement: str  # the claim in one sentence, with the paper's number where it gives one
    runs: tuple[str, ...]  # registry runs or toy experiments (results/<profile>/toys/<name>.npz) it reads
    quantity: str  # what one measured value is
    rule: Rule
    smallest_scale: str  # the smallest scale at which the rule means anything
    measure: Callable[[Evidence], Measured]
    min_iters: int = 0  # generator iterations each registry run of `runs` needs
    needs_metric: str | None = None  # an image metric the profile must measure ("is")
    reads_metrics: bool = False  # reads the runs' evaluation tables (its figure must be a metrics figure)
    untestable: str | None = None  # a reason that holds at every profile
    paper_number: str = ""

    def not_testable(self, profile: Profile) -> str | None:
        """Why the profile cannot test this claim, or None."""
        from repro.registry import RUNS

        if self.untestable:
            return self.untestable
        if self.needs_metric and self.needs_metric not in profile.metrics.image:
            return f"needs the {METRIC_NAMES[self.needs_metric]} (metrics.image: [{self.needs_metric}])"
        for run in (r for r in self.runs if r in RUNS):
            if not profile.trains(run):
                return f"the profile trains no `{run}`"
            iters = resolve(run, profile, profile.seeds[0]).iters
            if iters < self.min_iters:
                return (f"`{run}` trains {iters:,} generator iteration{'s' * (iters != 1)} here; the rule needs "
                        f"at least {self.min_iters:,}: {self.smallest_scale}")
        return None


METRIC_NAMES = {"is": "Inception score and its weights"}


def assess(claim: Claim, evidence: Evidence) -> tuple[Verdict, Measured | None]:
    """The claim's verdict at the evidence's profile; *not testable* before anything is measured."""
    reason = claim.not_testable(evidence.profile)
    if reason:
        return Verdict(NOT_TESTABLE, reason=reason), None
    measured = claim.measure(evidence)
    return judge(claim.rule, measured), measured


# ---- measurements: each reads what it needs and returns one value per seed ------------------------------------

def per_seed(evidence: Evidence, runs: tuple[str, ...], value: Callable[[int], float], note: str = "") -> Measured:
    """`value(seed)` at every seed where all `runs` finished."""
    return Measured({f"seed {s}": float(value(s)) for s in evidence.seeds(*runs)}, note=note)


def rho(evidence: Evidence, run: str, seed: int, column: str) -> float:
    """Spearman ρ between the smoothed `column` of the run's log and its quality distance over the evaluated
    snapshots (repro.metrics.curves); NaN when it was not evaluated."""
    metrics = evidence.metrics(run, seed)
    if metrics is None or metrics.empty:
        return math.nan
    estimate, quality, _ = curves.estimate_vs_quality(evidence.log(run, seed), metrics, column,
                                                      curves.quality_column(metrics))
    return curves.spearman([(estimate, quality)]).rho


def final_quality(evidence: Evidence, run: str, seed: int) -> tuple[float, bool]:
    """The last snapshot's headline score (Inception score when measured, else the quality distance) and whether
    higher is better."""
    metrics = evidence.metrics(run, seed)
    if metrics is None or metrics.empty:
        return math.nan, True
    column = curves.score_column(metrics, "is")
    if column is not None and metrics[column].notna().any():
        return float(metrics[column].dropna().iloc[-1]), True
    column = curves.quality_column(metrics)
    return float(metrics[column].dropna().iloc[-1]), False


def improvement(evidence: Evidence, better: str, worse: str, seed: int) -> float:
    """How much better `better`'s final score is than `worse`'s, relative to `worse`'s (positive: better)."""
    (ours, higher), (theirs, _) = final_quality(evidence, better, seed), final_quality(evidence, worse, seed)
    return (ours - theirs) / abs(theirs) * (1 if higher else -1)


def smoothed(log: pd.DataFrame, column: str) -> np.ndarray:
    from repro.plots.style import medfilt

    return medfilt(log[column].dropna().to_numpy())


WORKING_FIG3 = ("wgan-mlpg", "wgan-dcgan")  # the figure's two upper panels
GAN_FIG4 = ("gan-mlpg", "gan-dcgan", "gan-mlp")


def fig3_tracks(ev: Evidence) -> Measured:
    return per_seed(ev, WORKING_FIG3, lambda s: min(rho(ev, r, s, "w_estimate") for r in WORKING_FIG3))


def fig3_flat(ev: Evidence) -> Measured:
    def change(seed: int) -> float:
        w = smoothed(ev.log("wgan-mlp-hilr", seed), "w_estimate")
        tenth = max(1, len(w) // 10)
        return abs(w[-tenth:].mean() - w[:tenth].mean()) / abs(w).mean()

    return per_seed(ev, ("wgan-mlp-hilr",), change)


def fig4_not_tracking(ev: Evidence) -> Measured:
    return per_seed(ev, GAN_FIG4, lambda s: max(rho(ev, r, s, c) for r in GAN_FIG4
                                                for c in ("js_estimate", "loss_g")))


def adam_cosine(ev: Evidence) -> Measured:
    def at_spikes(seed: int) -> float:
        log = ev.log("wgan-dcgan-adam", seed).dropna(subset=["w_estimate", "adam_cos"])
        jumps = log["w_estimate"].diff().abs()
        return float(log.loc[jumps.nlargest(10).index, "adam_cos"].mean())

    return per_seed(ev, ("wgan-dcgan-adam",), at_spikes)


def nobn_gap(ev: Evidence) -> Measured:
    return per_seed(ev, ("wgan-nobn", "gan-nobn"), lambda s: improvement(ev, "wgan-nobn", "gan-nobn", s))


def sample_spread(run_dir: Path) -> float:
    """Mean per-pixel std over all 64 fixed-noise samples of the run's last grid (repro.plots.grids)."""
    import yaml
    from PIL import Image

    from repro.plots.grids import last_sample, pixel_spread
    from repro.plots.style import grid_tiles

    path, _ = last_sample(run_dir, "png")
    if path is None:
        return math.nan
    channels = read_meta(run_dir)["data"]["shape"][0]
    size = yaml.safe_load((run_dir / "config.yaml").read_text())["image_size"]
    grid = np.asarray(Image.open(path).convert("RGB"))[..., :channels]  # save_image repeats gray into RGB
    return pixel_spread(grid_tiles(grid, size, rows=8)[1])


def mlp_collapse(ev: Evidence) -> Measured:
    return per_seed(ev, ("wgan-mlpg", "gan-mlpg"), lambda s: math.log(
        sample_spread(ev.run_dir("wgan-mlpg", s)) / sample_spread(ev.run_dir("gan-mlpg", s))))


def per_toy_seed(evidence: Evidence, name: str, value: Callable[[dict, dict], float]) -> Measured:
    """`value(arrays, settings)` at every seed of a stored toy experiment (none when it is not computed)."""
    from repro.toys import result_path

    if not result_path(evidence.results, name).exists():
        return Measured({}, note=f"toy experiment {name} not computed")
    seeds, settings = evidence.toy(name)
    return Measured({f"seed {seed}": float(value(arrays, settings)) for seed, arrays in seeds.items()})


def jump(arrays: dict, settings: dict) -> float:
    theta = np.abs(arrays["theta"])
    near, far = theta == theta[theta > 0].min(), theta == theta.max()
    em = arrays["wgan.em"][near].mean() / arrays["wgan.em"][far].mean()
    js = arrays["gan.js"][near].mean() / arrays["gan.js"][far].mean()
    return js - em


def slopes(arrays: dict, settings: dict) -> float:
    from repro.plots.toys import gaussians_stats

    stats = gaussians_stats(arrays, settings)
    return stats["critic_fake_slope_ratio"] - stats["fake_slope_ratio"]


def quadratic_r2(values: np.ndarray, axis: np.ndarray) -> float:
    """Share of a value surface's variance a degree-2 polynomial in (x, y) explains: 1 for a critic that sees only
    the first two moments of the data."""
    x, y = np.meshgrid(axis, axis, indexing="ij")
    x, y, v = x.ravel(), y.ravel(), np.asarray(values, float).ravel()
    design = np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)
    residual = v - design @ np.linalg.lstsq(design, v, rcond=None)[0]
    return float(1 - residual.var() / v.var())


def moments(arrays: dict, settings: dict) -> float:
    from repro.toys.surfaces import DATASETS

    return float(np.mean([quadratic_r2(arrays[f"{d}.wgan"], arrays["axis"])
                          - quadratic_r2(arrays[f"{d}.wgan-gp"], arrays["axis"]) for d in DATASETS]))


DEEP = ("toy-deep-clip0.1", "toy-deep-clip0.01", "toy-deep-clip0.001", "toy-deep-gp")


def deep_gradients(ev: Evidence) -> Measured:
    from repro.plots.toys import deep_measurements

    def margin(seed: int) -> float:
        ratio = {r: math.log10(n[0] / n[-1]) for r in DEEP
                 for n in [deep_measurements(ev.run_dir(r, seed))["norms"]]}
        return min(ratio["toy-deep-clip0.1"] - 1, -ratio["toy-deep-clip0.01"] - 1,
                   -ratio["toy-deep-clip0.001"] - 1, 1 - abs(ratio["toy-deep-gp"]))

    return per_seed(ev, DEEP, margin)


def deep_weights(ev: Evidence) -> Measured:
    from repro.plots.toys import deep_measurements
    from repro.registry import RUNS
    from repro.toys.gradients import piled_at_clip

    run = "toy-deep-clip0.01"
    return per_seed(ev, (run,), lambda s: piled_at_clip(deep_measurements(ev.run_dir(run, s))["weights"],
                                                        RUNS[run].clip))


def cifar_gain(better: str, worse: str) -> Callable[[Evidence], Measured]:
    return lambda ev: per_seed(ev, (better, worse), lambda s: improvement(ev, better, worse, s))


def table3_offset(run: str, paper: float) -> Callable[[Evidence], Measured]:
    return lambda ev: per_seed(ev, (run,), lambda s: final_quality(ev, run, s)[0] - paper)


def sweep_gain(better: str, worse: str) -> Callable[[Evidence], Measured]:
    """Per random architecture, the relative improvement of method `better`'s final score over `worse`'s."""
    def measure(ev: Evidence) -> Measured:
        from repro import sweep

        table = sweep.scores(ev.profile, ev.results).dropna(subset=[better, worse])
        sign = 1 if ev.profile.sweep.higher_is_better else -1
        values = {f"architecture {int(a)}": float(sign * (b - w) / abs(w))
                  for a, b, w in zip(table["architecture"], table[better], table[worse])}
        return Measured(values, unit="architecture")

    return measure


def gaps(ev: Evidence, run: str, seed: int) -> tuple[float, float, float]:
    """(early gap, late gap, |training estimate| over the last quarter) of a run's train − validation curves."""
    table = curves.train_validation_gap(ev.log(run, seed))
    early, late = curves.gap_growth(table)
    last = table["gen_iter"] > 0.75 * table["gen_iter"].max()
    return early, late, float(table["train"][last].abs().mean())


def lsun_gap(ev: Evidence) -> Measured:
    run = "lsun-dcgan-wgan-gp"
    return per_seed(ev, (run,), lambda s: abs(gaps(ev, run, s)[1]) / gaps(ev, run, s)[2])


MNIST = ("mnist-clip", "mnist-gp")


def mnist_gap_growth(ev: Evidence) -> Measured:
    def growth(seed: int) -> float:
        return min((late - early) / scale for early, late, scale in (gaps(ev, r, seed) for r in MNIST))

    return per_seed(ev, MNIST, growth)


def mnist_gp_directions(ev: Evidence) -> Measured:
    """The smaller of the training estimate's rise and the validation estimate's fall from the second quarter to
    the last, relative to the training estimate's size."""
    def directions(seed: int) -> float:
        table = curves.train_validation_gap(ev.log("mnist-gp", seed))
        quarter = np.ceil(table["gen_iter"] / table["gen_iter"].max() * 4).clip(1, 4)
        second, last = table[quarter == 2], table[quarter == 4]
        scale = float(last["train"].abs().mean())
        return min(last["train"].mean() - second["train"].mean(),
                   second["validation"].mean() - last["validation"].mean()) / scale

    return per_seed(ev, ("mnist-gp",), directions)


def minmax_spiral(ev: Evidence) -> Measured:
    """Closed form: the simultaneous iterates' last distance over their first, minus the alternating iterates'
    largest over their first (both > 1 would mean both spiral out)."""
    from repro.registry import MINMAX
    from repro.toys.minmax import trajectories

    paths = trajectories(MINMAX)
    sim, alt = (np.linalg.norm(paths[r], axis=1) for r in ("simultaneous", "alternating"))
    bounded = alt.max() / alt[0] < 2
    return Measured({"exact": float(np.log(sim[-1] / sim[0])) if bounded else -math.inf}, exact=True)


def modes_at_end(ev: Evidence, run: str, seed: int) -> float:
    metrics = ev.metrics(run, seed)
    column = next((c for c in metrics.columns if c.startswith("modes_")), None) if metrics is not None else None
    return float(metrics[column].iloc[-1]) if column else math.nan


TOY25 = ("toy-25gaussians-gp", "toy-25gaussians-wgan", "toy-25gaussians-gan")


def toy_modes(ev: Evidence) -> Measured:
    return per_seed(ev, TOY25, lambda s: modes_at_end(ev, TOY25[0], s)
                    - max(modes_at_end(ev, r, s) for r in TOY25[1:]))


TOY_GP = ("toy-8gaussians-gp", "toy-25gaussians-gp", "toy-swissroll-gp")
LANGUAGE = ("language-gp", "language-gan")


def final_js4(ev: Evidence, run: str, seed: int) -> float:
    """The 4-gram JS divergence of the run's samples to its training lines at its last snapshot (bits)."""
    metrics = ev.metrics(run, seed)
    column = next((c for c in metrics.columns if c.startswith("js4_") and "_real_" not in c), None) \
        if metrics is not None else None
    return float(metrics[column].iloc[-1]) if column else math.nan


def language_gap(ev: Evidence) -> Measured:
    return per_seed(ev, LANGUAGE, lambda s: final_js4(ev, "language-gan", s) / final_js4(ev, "language-gp", s) - 1)


def toy_estimate_tracks_w1(ev: Evidence) -> Measured:
    return per_seed(ev, TOY_GP, lambda s: float(np.mean([rho(ev, r, s, "w_estimate") for r in TOY_GP])))


TRACKS = Rule(above=0.0)  # ρ > 0: the estimate falls as the distance to the data falls (repro.metrics.curves)
IMAGE_RUNS = "200 generator iterations: past the WGAN warm-up, at least 5 evaluated snapshots"

CLAIMS = [
    Claim("wgan-fig1-em-continuous", "WGAN", "Fig 1",
          "On parallel lines the EM distance |θ| is continuous in θ, while JS jumps to log 2 as soon as θ ≠ 0.",
          ("wgan-fig1",), "JS estimate at the smallest |θ| > 0 over the one at the largest |θ|, minus the same "
          "ratio for the clipped critic's EM estimate (≈ 1 − 0.1 when both behave as the closed forms)",
          Rule(above=0.5), "any: critics trained per θ", lambda ev: per_toy_seed(ev, "wgan-fig1", jump)),
    Claim("wgan-fig2-critic-linear", "WGAN", "Fig 2",
          "The WGAN critic is near-linear and keeps its gradient where the saturated GAN discriminator's vanishes.",
          ("wgan-fig2",), "at the fake mean, the critic's slope over its maximum minus the discriminator's slope "
          "over its maximum", Rule(above=0.5), "any: two 1-D critics trained to near optimality",
          lambda ev: per_toy_seed(ev, "wgan-fig2", slopes)),
    Claim("wgan-fig3-tracks-quality", "WGAN", "Fig 3",
          "The W estimate correlates with sample quality in the working runs (MLP-G and DCGAN-G, each with a DCGAN "
          "critic).", WORKING_FIG3,
          "the smaller over the two runs of Spearman ρ between the smoothed W estimate and the quality distance "
          "over the evaluated snapshots", TRACKS, IMAGE_RUNS, fig3_tracks, min_iters=200, reads_metrics=True),
    Claim("wgan-fig3-failed-run-flat", "WGAN", "Fig 3 (lower)",
          "In the failed high-learning-rate MLP run the W estimate stays flat (the paper: ≈ 15 throughout).",
          ("wgan-mlp-hilr",), "|mean of the last tenth − mean of the first tenth| of the median-filtered W "
          "estimate, over its mean magnitude", Rule(below=0.2), IMAGE_RUNS, fig3_flat, min_iters=200,
          paper_number="≈ 15 throughout"),
    Claim("wgan-fig4-js-not-tracking", "WGAN", "Figs 4, 8",
          "The GAN's JS estimate and its generator cost do not track sample quality.", GAN_FIG4,
          "the largest over the three GAN runs and the two columns (js_estimate, loss_g) of Spearman ρ with the "
          "quality distance", Rule(below=curves.STRONG), IMAGE_RUNS, fig4_not_tracking, min_iters=200,
          reads_metrics=True),
    Claim("wgan-fig6-nobn", "WGAN", "Fig 6",
          "WGAN trains the generator without batch norm and with constant filters; the standard GAN fails to.",
          ("wgan-nobn", "gan-nobn"), "relative improvement of WGAN's final quality over the GAN's",
          Rule(above=0.25), IMAGE_RUNS, nobn_gap, min_iters=200, reads_metrics=True),
    Claim("wgan-fig7-mlp-collapse", "WGAN", "Fig 7",
          "With an MLP generator the standard GAN collapses, WGAN does not.", ("wgan-mlpg", "gan-mlpg"),
          "ln(WGAN's sample spread / the GAN's): mean per-pixel std over the 64 fixed-noise samples of each "
          "run's last grid", Rule(above=math.log(1.5)), IMAGE_RUNS, mlp_collapse, min_iters=200),
    Claim("wgan-adam-cosine", "WGAN", "§4.2",
          "With Adam the critic destabilises: around its spikes the cosine between the Adam step and the gradient "
          "is negative.", ("wgan-dcgan-adam",), "mean cos(Adam step, gradient) at the 10 largest jumps of the W "
          "estimate", Rule(below=0.0), IMAGE_RUNS, adam_cosine, min_iters=200),
    Claim("wgangp-fig1a-moments", "WGAN-GP", "Fig 1a",
          "Weight-clipped critics learn overly simple functions that miss the data's higher moments; GP critics "
          "do not.", ("wgangp-fig1a",), "R² of a quadratic fit to the clipped critic's value surface minus the GP "
          "critic's, mean over the three toy sets", Rule(above=0.1), "any: critics trained against a fixed "
          "generator", lambda ev: per_toy_seed(ev, "wgangp-fig1a", moments)),
    Claim("wgangp-fig1b-gradients", "WGAN-GP", "Fig 1b",
          "Through a 12-layer critic, clipped gradients explode (c = 0.1) or vanish (c = 0.01, 0.001); with GP "
          "they do neither.", DEEP, "decades of margin: min(log10 r(0.1) − 1, −log10 r(0.01) − 1, "
          "−log10 r(0.001) − 1, 1 − |log10 r(GP)|), r = first-layer / last-layer gradient norm", Rule(above=0.0),
          "100 generator iterations of the 12-layer nets", deep_gradients, min_iters=100),
    Claim("wgangp-fig1b-weights", "WGAN-GP", "Fig 1b",
          "Weight clipping pushes the critic's weights to the two extremes ±c.", ("toy-deep-clip0.01",),
          "share of the c = 0.01 critic's weights within 5% of ±c", Rule(above=0.5),
          "100 generator iterations of the 12-layer nets", deep_weights, min_iters=100),
    Claim("wgangp-fig2-architectures", "WGAN-GP", "Fig 2",
          "WGAN-GP trains all seven architectures with one set of hyperparameters; DCGAN, LSGAN and clipping fail "
          "some.", ("lsun-dcgan-wgan-gp",), "—", Rule(above=0.0), "the paper judges 28 trained models by eye",
          lambda ev: Measured({}), untestable="the paper judges the 28 runs by eye and gives no number; here they are"
          " sample grids (a pipeline check), with no metric evaluated"),
    Claim("wgangp-fig3-gp-beats-clipping", "WGAN-GP", "Fig 3",
          "With the same optimizer (RMSProp) the gradient penalty converges faster and further than clipping.",
          ("cifar-gp-rmsprop", "cifar-clip-rmsprop"), "relative improvement of the GP run's final quality over the "
          "clipped run's", Rule(above=0.0), IMAGE_RUNS, cifar_gain("cifar-gp-rmsprop", "cifar-clip-rmsprop"),
          min_iters=200, reads_metrics=True),
    Claim("wgangp-fig3-adam-beats-rmsprop", "WGAN-GP", "Fig 3",
          "With the gradient penalty, Adam beats RMSProp.", ("cifar-gp-adam", "cifar-gp-rmsprop"),
          "relative improvement of the Adam run's final quality over the RMSProp run's", Rule(above=0.0),
          IMAGE_RUNS, cifar_gain("cifar-gp-adam", "cifar-gp-rmsprop"), min_iters=200, reads_metrics=True),
    Claim("wgangp-table3-unsupervised", "WGAN-GP", "Table 3",
          "The CIFAR-10 ResNet reaches an unsupervised Inception score of 7.86 ± .07.", ("cifar-resnet",),
          "our Inception score minus 7.86", Rule(above=-0.3, below=0.3), "100k generator iterations with the "
          "Inception score of 50k samples", table3_offset("cifar-resnet", 7.86), min_iters=100_000,
          needs_metric="is", reads_metrics=True, paper_number="7.86 ± .07"),
    Claim("wgangp-table3-acgan", "WGAN-GP", "Table 3",
          "The conditional (AC-GAN) ResNet reaches an Inception score of 8.42 ± .10.", ("cifar-resnet-acgan",),
          "our Inception score minus 8.42", Rule(above=-0.3, below=0.3), "100k generator iterations with the "
          "Inception score of 50k samples", table3_offset("cifar-resnet-acgan", 8.42), min_iters=100_000,
          needs_metric="is", reads_metrics=True, paper_number="8.42 ± .10"),
    Claim("wgangp-table2-robustness", "WGAN-GP", "Table 2",
          "Over random architectures WGAN-GP succeeds more often than the GAN at every threshold.",
          ("randarch-000-wgan-gp", "randarch-000-gan"), "per architecture, the relative improvement of WGAN-GP's "
          "final score over the GAN's", Rule(above=0.0), "100 generator iterations per architecture",
          sweep_gain("wgan-gp", "gan"), min_iters=100, reads_metrics=True,
          paper_number="e.g. at IS > 5: 147 only WGAN-GP, 0 only GAN"),
    Claim("wgangp-appC-one-sided", "WGAN-GP", "App. C",
          "The one-sided penalty does about as well as the two-sided one.",
          ("randarch-000-wgan-gp-one-sided", "randarch-000-wgan-gp"), "per architecture, the relative "
          "improvement of the one-sided penalty's final score over the two-sided's (within 10%: as good)",
          Rule(above=-0.1), "100 generator iterations per architecture", sweep_gain("wgan-gp-one-sided", "wgan-gp"),
          min_iters=100, reads_metrics=True, paper_number="two-sided better in 100, one-sided in 77 of 174"),
    Claim("wgangp-appD-elu-fails", "WGAN-GP", "App. D",
          "With the penalty, ELU could not be trained; its smooth stand-in could.",
          ("randarch-000-wgan-gp", "randarch-000-wgan-gp-elu"), "per architecture that drew the stand-in, the "
          "relative improvement of its final score over the same architecture's with ELU", Rule(above=0.1),
          "100 generator iterations per architecture", sweep_gain("wgan-gp", "wgan-gp-elu"), min_iters=100,
          reads_metrics=True),
    Claim("wgangp-table4-gan-not-comparable", "WGAN-GP", "Table 4",
          "With a continuous generator the standard GAN could not get results comparable to WGAN-GP's.", LANGUAGE,
          "the standard GAN's final 4-gram JS divergence to the training lines over WGAN-GP's, minus 1 (above 10%: "
          "not comparable)", Rule(above=0.1), "200 generator iterations (10 critic steps each for WGAN-GP)",
          language_gap, min_iters=200, reads_metrics=True),
    Claim("wgangp-fig5a-no-overfit", "WGAN-GP", "Fig 5a",
          "On LSUN bedrooms the critic's training and validation losses stay together.", ("lsun-dcgan-wgan-gp",),
          "|train − validation gap| over the last quarter, over the training estimate's size", Rule(below=0.1),
          "4 validation points past the first quarter", lsun_gap, min_iters=200),
    Claim("wgangp-fig5b-gap-grows", "WGAN-GP", "Fig 5b",
          "On 1000 MNIST digits the train − validation gap grows, with clipping and with GP.", MNIST,
          "the smaller over the two runs of the gap's growth (last quarter − second quarter) over the training "
          "estimate's size", Rule(above=0.1), "the critic sees its training digits many times: 200 iterations",
          mnist_gap_growth, min_iters=200),
    Claim("wgangp-fig5b-gp-train-rises", "WGAN-GP", "Fig 5b",
          "With GP the training loss rises while the validation loss falls.", ("mnist-gp",),
          "the smaller of the training estimate's rise and the validation estimate's fall (second quarter to last),"
          " over the training estimate's size", Rule(above=0.0), "200 iterations", mnist_gp_directions,
          min_iters=200),
    Claim("seed-minmax-spiral", "seed", "min-max game",
          "In min_x max_y x·y, simultaneous gradient steps spiral out; alternating ones stay bounded.", (),
          "ln(last / first distance to the equilibrium) of the simultaneous steps (−∞ if the alternating ones "
          "more than double theirs)", Rule(above=0.0), "any: closed form", minmax_spiral),
    Claim("wgangp-toy-modes", "WGAN-GP", "gan_toy.py",
          "On 25 Gaussians WGAN-GP covers modes that clipping and the GAN miss.", TOY25,
          "modes WGAN-GP covers at its last snapshot minus the most either other method covers", Rule(above=0.0),
          "1000 generator iterations", toy_modes, min_iters=1000, reads_metrics=True),
    Claim("wgangp-toy-estimate-tracks-w1", "WGAN-GP", "gan_toy.py (WGAN §4.2 in toy form)",
          "The critic's W estimate tracks the exact W1 between generated and real points.", TOY_GP,
          "Spearman ρ between the smoothed W estimate and the exact W1 over the snapshots, mean over the three "
          "toy sets", TRACKS, "1000 generator iterations", toy_estimate_tracks_w1, min_iters=1000, reads_metrics=True),
]
BY_ID = {claim.id: claim for claim in CLAIMS}

# The claims each figure's caption quotes (its rows of claims.csv), so that no caption judges a claim itself.
FIGURE_CLAIMS = {
    "wgan-fig1": ["wgan-fig1-em-continuous"], "wgan-fig2": ["wgan-fig2-critic-linear"],
    "wgan-fig3": ["wgan-fig3-tracks-quality", "wgan-fig3-failed-run-flat"],
    "wgan-fig4": ["wgan-fig4-js-not-tracking"], "wgan-fig8": ["wgan-fig4-js-not-tracking"],
    "wgan-fig6": ["wgan-fig6-nobn"], "wgan-fig7": ["wgan-fig7-mlp-collapse"], "wgan-adam": ["wgan-adam-cosine"],
    "wgan-meaningful-loss": ["wgan-fig3-tracks-quality", "wgan-fig4-js-not-tracking",
                             "wgangp-toy-estimate-tracks-w1"],
    "wgangp-fig1a": ["wgangp-fig1a-moments"], "wgangp-fig1b": ["wgangp-fig1b-gradients", "wgangp-fig1b-weights"],
    "wgangp-fig2": ["wgangp-fig2-architectures"], "wgangp-appH": ["wgangp-fig2-architectures"],
    "wgangp-fig3": ["wgangp-fig3-gp-beats-clipping", "wgangp-fig3-adam-beats-rmsprop"],
    "wgangp-table4": ["wgangp-table4-gan-not-comparable"], "wgangp-appD": ["wgangp-appD-elu-fails"],
    "wgangp-table3": ["wgangp-table3-unsupervised", "wgangp-table3-acgan"],
    "wgangp-table2": ["wgangp-table2-robustness"], "wgangp-appC": ["wgangp-appC-one-sided"],
    "wgangp-fig5a": ["wgangp-fig5a-no-overfit"],
    "wgangp-fig5b": ["wgangp-fig5b-gap-grows", "wgangp-fig5b-gp-train-rises"],
    "seed-minmax": ["seed-minmax-spiral"], "wgangp-toy": ["wgangp-toy-modes", "wgangp-toy-estimate-tracks-w1"],
}


def configured(profile: Profile, runs: tuple[str, ...]) -> str:
    """The claim's runs as this profile trains them: iterations, batch, training subset and seeds of each registry
    run, the seeds of each toy experiment."""
    from repro.registry import RUNS
    from repro.toys import EXPERIMENTS

    def seeds(values: list[int]) -> str:
        return f"seed{'s' * (len(values) != 1)} {', '.join(map(str, values))}"

    parts = []
    for run in runs:
        if run in EXPERIMENTS:
            parts.append(f"{run}: toy critics, {seeds(profile.toy_seeds)}")
        elif run in RUNS and profile.trains(run):
            cfg = resolve(run, profile, profile.seeds_of(run)[0])
            subset = f", {cfg.train_subset:,} training images" if cfg.train_subset else ""
            sweep = f" (one of {profile.sweep.architectures} random architectures)" \
                if RUNS[run].sweep_index is not None else ""
            parts.append(f"{run}{sweep}: {cfg.iters:,} iterations, batch {cfg.batch_size}{subset}, "
                         f"{seeds(profile.seeds_of(run))}")
    return "; ".join(parts) if parts else "closed form, no training"


def claims_table(profile: Profile, results: Path, ids: list[str] | None = None) -> pd.DataFrame:
    """One row per claim (or per claim of `ids`): the paper's statement and number, what is measured, the rule,
    the measured mean and 95% interval over n values, the verdict and why."""
    evidence, rows = Evidence(profile, Path(results)), []
    for claim in (c for c in CLAIMS if ids is None or c.id in ids):
        verdict, measured = assess(claim, evidence)
        rows.append({
            "id": claim.id, "paper": claim.paper, "where": claim.where, "claim": claim.statement,
            "paper_number": claim.paper_number, "measured": claim.quantity, "rule": str(claim.rule),
            "n": verdict.n, "unit": "exact" if measured and measured.exact else (measured.unit if measured else ""),
            "mean": verdict.mean, "ci95_low": verdict.low, "ci95_high": verdict.high, "verdict": verdict.verdict,
            "reason": verdict.reason, "smallest_scale": claim.smallest_scale,
            "values": "; ".join(f"{k}: {v:.4g}" for k, v in measured.values.items()) if measured else "",
            "configured": configured(profile, claim.runs)})
    return pd.DataFrame(rows)


def interval_text(row) -> str:
    """'0.42 [0.31, 0.53], n = 3 seeds', '0.42 (exact)', '0.42, n = 1 seed' or '—'."""
    if not np.isfinite(float(row["mean"])):
        return "—"
    if row["unit"] == "exact":
        return f"{row['mean']:.3g} (exact)"
    n = f"n = {row['n']} {row['unit']}{'s' * (row['n'] != 1)}"
    if np.isfinite(row["ci95_low"]):
        return f"{row['mean']:.3g} [{row['ci95_low']:.3g}, {row['ci95_high']:.3g}], {n}"
    return f"{row['mean']:.3g}, {n}"


def verdict_text(row) -> str:
    reason = row["reason"]
    return f"{row['verdict']} ({reason})" if isinstance(reason, str) and reason else row["verdict"]


def shown(table: pd.DataFrame) -> pd.DataFrame:
    """The readable columns of the claims table (Markdown, HTML, captions)."""
    return pd.DataFrame({
        "claim": table["id"], "paper": table["paper"] + " " + table["where"], "statement": table["claim"],
        "paper's number": table["paper_number"], "measured": table["measured"], "rule": table["rule"],
        "mean [95% interval]": [interval_text(r) for _, r in table.iterrows()],
        "verdict": [verdict_text(r) for _, r in table.iterrows()], "runs as configured": table["configured"]})


def header(profile: Profile) -> str:
    from repro.tables import scale_phrase

    return (f"{scale_phrase(profile)}. One row per claim of the two papers. Each rule (threshold and direction) was "
            f"written from the paper before any result was read. The mean and its 95% Student-t interval are over "
            f"seeds (architectures for the random-architecture sweep); *reproduced* / *not reproduced* need the "
            f"whole interval on one side of the threshold and at least {MIN_VALUES} values, *inconclusive* means "
            f"the interval straddles it or there are fewer values, and *not testable at this scale* gives the "
            f"reason.")


def caption_rows(table: pd.DataFrame, ids: list[str]) -> str:
    """The claims rows a figure caption quotes (Markdown), so no caption judges a claim on its own."""
    rows = shown(table[table["id"].isin(ids)])[["claim", "rule", "mean [95% interval]", "verdict",
                                                "runs as configured"]]
    lines = ["| " + " | ".join(rows.columns) + " |", "|" + "---|" * len(rows.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows.itertuples(index=False)]
    return "\n".join(lines)


def caption_section(profile: Profile, results: Path, figure: str) -> str:
    """What a figure caption says about its claims: their rows of the claims table, measured from the runs the
    figure reads (tests/test_claims.py checks that a figure's claims read nothing else)."""
    ids = FIGURE_CLAIMS.get(figure, [])
    if not ids:
        return ""
    return (f"Verdicts: this figure's rows of `results/{profile.name}/tables/claims.md` (repro/claims.py: rules "
            f"fixed in advance, judged over the seeds), quoted rather than judged here.\n\n"
            + caption_rows(claims_table(profile, results, ids), ids))


def write(profile: Profile, results: str | Path | None = None, out: str | Path | None = None,
          figures: str | Path | None = None) -> list[Path]:
    """results/<profile>/tables/claims.{csv,md,html} and figures/<profile>/claims.{png,pdf,md}."""
    from repro.plots.claims import draw
    from repro.tables import write_table

    results = Path(results or f"results/{profile.name}")
    table = claims_table(profile, results)
    paths = write_table(Path(out or results / "tables"), "claims", f"What reproduced, profile `{profile.name}`",
                        header(profile), table, shown(table))
    return paths + draw(table, profile, results, Path(figures or f"figures/{profile.name}"))
