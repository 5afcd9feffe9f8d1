"""The six toy figures (WGAN Figs 1-2, WGAN-GP Figs 1a/1b, the gan_toy.py generators, the min-max game) drawn from
real tiny runs; every number their captions state is recomputed here another way: closed forms worked by hand,
numpy forward and backward passes over the saved weights, scipy's line fit, and exact W1 as a linear program."""

import math
import re

import numpy as np
import pytest
import scipy.optimize
import scipy.stats
import torch

from repro.config import load_profile, resolve
from repro.data.toy import TOY_DATASETS
from repro.engine import build_net
from repro.metrics.evaluate import EVAL_SEED, evaluate, generate
from repro.plots import draw
from repro.registry import MINMAX, RUNS
from repro.toys import load, result_path, run as run_toy
from repro.train import train
from tests.conftest import TINY

pytestmark = pytest.mark.usefixtures("one_thread")
FIGURES = ["wgan-fig1", "wgan-fig2", "wgangp-fig1a", "wgangp-fig1b", "wgangp-toy", "seed-minmax"]
DEEP = ["toy-deep-clip0.1", "toy-deep-clip0.01", "toy-deep-clip0.001", "toy-deep-gp"]
TOY_RUNS = [f"toy-{d}-{m}" for d in ("8gaussians", "25gaussians", "swissroll") for m in ("wgan", "gp", "gan")]
ITERS = 20


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """The three critic-only experiments at the tiny profile's scale, the Fig 1b and gan_toy.py runs at 20
    generator iterations (the latter evaluated every 5), and the six figures drawn from them."""
    profile = load_profile(TINY)
    root = tmp_path_factory.mktemp("toys")
    results = root / "results"
    for name in ("wgan-fig1", "wgan-fig2", "wgangp-fig1a"):
        run_toy(name, profile, result_path(results, name))
    for run in DEEP + TOY_RUNS:
        run_dir = results / "runs" / run / "seed0"
        assert train(resolve(run, profile, 0, iters=ITERS), run_dir, "cpu", quiet=True) == 0
        if run in TOY_RUNS:
            evaluate(run_dir, results / "metrics" / run / "seed0.csv", profile.metrics, "cpu", quiet=True)
    captions = {}
    for name in FIGURES:
        paths = draw(name, profile, results=results, out_dir=root / "figures")
        assert [p.suffix for p in paths] == [".png", ".pdf", ".md", ".html"] and all(p.stat().st_size > 0 for p in paths)
        captions[name] = paths[2].read_text()
    return profile, results, captions


def number_after(text: str, prefix: str) -> float:
    """The number (optionally a percentage) right after `prefix` in a caption."""
    match = re.search(re.escape(prefix) + r"\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)(%?)", text)
    assert match, f"{prefix!r} not in the caption"
    return float(match[1]) / (100 if match[2] else 1)


def table_rows(caption: str, first_cell: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in caption.splitlines()
            if line.startswith("| ") and line.split("|")[1].strip().startswith(first_cell)]


def test_wgan_fig1_caption_against_the_closed_forms(drawn):
    """EM = |θ| and JS = log 2 off θ = 0 (WGAN Example 1), worked out here rather than read from the stored closed
    forms; the caption's relative errors recomputed from the critics' estimates."""
    _, results, captions = drawn
    arrays, _ = load(result_path(results, "wgan-fig1"))
    caption, theta = captions["wgan-fig1"], [float(t) for t in arrays["theta"]]
    far = [i for i, t in enumerate(theta) if abs(t) >= 0.2]
    moved = [i for i, t in enumerate(theta) if t != 0]
    em = [float(v) for v in arrays["wgan.em"]]
    worst_far = max(abs(em[i] / abs(theta[i]) - 1) for i in far)
    worst_js = max(abs(float(arrays["gan.js"][i]) / math.log(2) - 1) for i in moved)
    assert number_after(caption, "for |θ| ≥ 0.2 the clipped critic is within") == pytest.approx(worst_far, abs=6e-4)
    assert number_after(caption, "the GAN's JS estimate is within") == pytest.approx(worst_js, abs=6e-4)
    rows = table_rows(caption, "-") + table_rows(caption, "0") + table_rows(caption, "1")
    assert len(rows) == len(theta) == 9
    for cells in rows:
        t = float(cells[0])
        assert float(cells[1]) == pytest.approx(abs(t), abs=5e-4)  # closed EM
        assert float(cells[5]) == pytest.approx(0.0 if t == 0 else math.log(2), abs=5e-4)  # closed JS


def test_wgan_fig2_caption_against_a_line_fit_and_finite_differences(drawn):
    """R² from scipy's linear regression over the densities' bulk (recomputed from the two normal pdfs); the stored
    critic slopes checked against the stored values (a ReLU critic is piecewise linear, so its slope at a grid point
    is the difference quotient on one side of it, where no kink lies); the slope ratios recomputed from them."""
    _, results, captions = drawn
    arrays, settings = load(result_path(results, "wgan-fig2"))
    caption, x = captions["wgan-fig2"], arrays["x"]
    p_real = scipy.stats.norm.pdf(x, *settings["real"])
    p_fake = scipy.stats.norm.pdf(x, *settings["fake"])
    bulk = (p_real > 0.01 * p_real.max()) | (p_fake > 0.01 * p_fake.max())
    r2 = scipy.stats.linregress(x[bulk], arrays["wgan.value"][bulk]).rvalue ** 2
    assert number_after(caption, "straight-line fit has R² =") == pytest.approx(r2, abs=6e-4)
    quotients = np.diff(arrays["wgan.value"]) / np.diff(x)
    slope = arrays["wgan.slope"][1:-1]
    one_side = np.isclose(slope, quotients[:-1], rtol=1e-6, atol=1e-9) | \
        np.isclose(slope, quotients[1:], rtol=1e-6, atol=1e-9)
    assert one_side.mean() > 0.9
    at_real, at_fake = np.abs(x - settings["real"][0]).argmin(), np.abs(x - settings["fake"][0]).argmin()
    assert number_after(caption, "The discriminator reads D =") == pytest.approx(arrays["gan.value"][at_real],
                                                                                  abs=6e-5)
    for name, prefix, digits in (("wgan", "while the critic's slope there is", 6e-3),
                                 ("gan", "where its slope is", None)):
        magnitude = np.abs(arrays[f"{name}.slope"])
        ratio = magnitude[at_fake] / magnitude.max()
        tolerance = {"abs": digits} if digits else {"rel": 0.06}  # printed as 0.xx and as x.xe-yy
        assert number_after(caption, prefix) == pytest.approx(ratio, **tolerance)


def test_wgangp_fig1a_caption_states_the_grid_and_the_scaled_steps(drawn):
    """The tiny profile scales wgan_toy.py's 100,000 critic steps by 0.0005 (50) and caps the width at 16."""
    _, results, captions = drawn
    arrays, _ = load(result_path(results, "wgangp-fig1a"))
    caption = captions["wgangp-fig1a"]
    assert "on a 128² grid over [-2, 2]²" in caption  # wgan_toy.py's grid as VALUE_SURFACES["figure"] keeps it
    assert arrays["axis"].shape == (128,) and arrays["8gaussians.wgan"].shape == (128, 128)
    for name in ("wgan", "wgan-gp"):
        assert f"{name} 50 steps (batch 1024, 2 hidden × 16)" in caption
    assert "Seed 0" in caption


def numpy_mlp(state: dict, prefix: str = "main.") -> list[tuple[np.ndarray, np.ndarray]]:
    """(W, b) of each Linear layer of a ToyMLP's state dict, input side first, in float64."""
    layers = sorted({int(k.split(".")[1]) for k in state if k.startswith(prefix)})
    return [(state[f"{prefix}{i}.weight"].double().numpy(), state[f"{prefix}{i}.bias"].double().numpy())
            for i in layers]


def layer_norms_by_hand(critic, real: np.ndarray, fake: np.ndarray) -> np.ndarray:
    """‖∂L/∂a_k‖ for L = mean f(fake) − mean f(real), by an explicit forward and backward pass: the hidden layers'
    ReLU outputs first, the critic's output last."""
    x = np.concatenate([real, fake])
    pre, a = [], x
    for W, b in critic[:-1]:
        h = a @ W.T + b
        pre.append(h)
        a = np.maximum(h, 0)
    n = len(real)
    grad_out = np.concatenate([-np.ones(n), np.ones(n)])[:, None] / n
    norms = [np.linalg.norm(grad_out)]
    grad = grad_out @ critic[-1][0]
    for k in range(len(pre) - 1, -1, -1):
        norms.append(np.linalg.norm(grad))
        grad = (grad * (pre[k] > 0)) @ critic[k][0]
    return np.array(norms[::-1])


def test_wgangp_fig1b_table_against_a_numpy_backward_pass(drawn):
    """Each row's first/last gradient-norm ratio, from the saved weights by hand on the figure's batches (four of
    256 Swiss-roll points against the run's generator on seed-1 noise), and its share of weights within 5% of ±c."""
    _, results, captions = drawn
    rows = {cells[0].strip("`"): cells for cells in table_rows(captions["wgangp-fig1b"], "`toy-deep")}
    assert sorted(rows) == sorted(DEEP)
    for run in DEEP:
        state = torch.load(results / "runs" / run / "seed0" / "final.pt", weights_only=True)
        G, D = numpy_mlp(state["G"]), numpy_mlp(state["D"])
        data, noise = TOY_DATASETS["swissroll"](256, seed=0), torch.Generator().manual_seed(1)
        norms = []
        for _ in range(4):
            real = data.next().double().numpy()
            z = torch.randn(256, G[0][0].shape[1], generator=noise).double().numpy()
            for W, b in G[:-1]:
                z = np.maximum(z @ W.T + b, 0)
            norms.append(layer_norms_by_hand(D, real, z @ G[-1][0].T + G[-1][1]))
        norms = np.mean(norms, axis=0)
        assert len(norms) == 13  # 12 hidden layers and the output
        assert float(rows[run][2]) == pytest.approx(norms[0] / norms[-1], rel=6e-3)
        c = RUNS[run].clip if "clip" in run else RUNS["toy-deep-clip0.01"].clip
        weights = np.concatenate([W.ravel() for W, _ in D])
        piled = np.mean(np.abs(np.abs(weights) - c) <= 0.05 * c)
        assert number_after(rows[run][3], "") == pytest.approx(piled, abs=6e-4)
        assert rows[run][4] == f"{ITERS} (completed)"


def w1_linear_program(a: np.ndarray, b: np.ndarray) -> float:
    """W1 between two equally weighted point sets as the transport linear program (HiGHS), not as an assignment."""
    n, m = len(a), len(b)
    cost = np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2).ravel()
    rows = np.zeros((n + m, n * m))
    for i in range(n):
        rows[i, i * m:(i + 1) * m] = 1
    for j in range(m):
        rows[n + j, j::m] = 1
    plan = scipy.optimize.linprog(cost, A_eq=rows, b_eq=np.r_[np.full(n, 1 / n), np.full(m, 1 / m)],
                                  bounds=(0, None), method="highs")
    assert plan.status == 0
    return float(plan.fun)


# gan_toy.py's mixtures written out: 8 centres on the radius-2 circle and the 5×5 grid (2i, 2j), with noise std
# 0.02 and 0.05, the samples divided by 1.414 and 2.828.
RING = [(2 * math.cos(k * math.pi / 4), 2 * math.sin(k * math.pi / 4)) for k in range(8)]
MIXTURES = {"8gaussians": (np.array(RING) / 1.414, 0.02 / 1.414),
            "25gaussians": (np.array([(2 * i, 2 * j) for i in range(-2, 3) for j in range(-2, 3)]) / 2.828,
                            0.05 / 2.828)}


def modes_by_hand(points: np.ndarray, centres: np.ndarray, sigma: float) -> int:
    """Modes holding at least a tenth of their fair share of samples within 3σ per coordinate of the centre."""
    nearest = np.linalg.norm(points[:, None] - centres[None], axis=2).argmin(1)
    close = np.all(np.abs(points - centres[nearest]) <= 3 * sigma, axis=1)
    counts = np.bincount(nearest[close], minlength=len(centres))
    return int((counts >= max(1, math.ceil(0.1 * len(points) / len(centres)))).sum())


def test_wgangp_toy_table_against_a_transport_linear_program(drawn):
    """Each run's W1 at its last snapshot and modes covered, recomputed from the snapshot's samples on the
    evaluation's seeded draws: W1 as a linear program, the modes from gan_toy.py's centres written out here."""
    profile, results, captions = drawn
    rows = {cells[2].strip("`"): cells for cells in table_rows(captions["wgangp-toy"], "8gaussians")
            + table_rows(captions["wgangp-toy"], "25gaussians") + table_rows(captions["wgangp-toy"], "swissroll")}
    assert sorted(rows) == sorted(TOY_RUNS)
    n = profile.metrics.toy_samples
    for run in TOY_RUNS:
        cfg = resolve(run, profile, 0, iters=ITERS)
        G = build_net(cfg, "generator", (2,))
        last = sorted((results / "runs" / run / "seed0" / "snapshots").glob("G_*.pt"))[-1]
        G.load_state_dict(torch.load(last, weights_only=True)["G"])
        fake = generate(G, cfg.nz, n, torch.device("cpu"), cfg.eval_batch).double().numpy()
        real = TOY_DATASETS[cfg.data_source](n, EVAL_SEED).next().double().numpy()
        assert float(rows[run][3].split()[0]) == ITERS
        assert float(rows[run][5]) == pytest.approx(w1_linear_program(real, fake), abs=6e-4)
        if cfg.data_source in MIXTURES:
            centres, sigma = MIXTURES[cfg.data_source]
            assert rows[run][6] == f"{modes_by_hand(fake, centres, sigma)}/{len(centres)}"
        else:
            assert rows[run][6] == "—"


def test_seed_minmax_caption_against_the_closed_form(drawn):
    """Simultaneous steps scale the distance by √(1 + η²) each: √2 · 1.01^100 = 3.825 after 200 steps from (1, 1).
    Alternating steps keep Q = x² − ηxy + y² = 1.9, so the distance stays in [√(1.9/1.05), √(1.9/0.95)] =
    [1.345, 1.414] and starts at its top, √2."""
    caption = drawn[2]["seed-minmax"]
    assert (MINMAX.lr, MINMAX.start, MINMAX.steps) == (0.1, (1.0, 1.0), 200)
    assert number_after(caption, "simultaneous distance 1.414 →") == pytest.approx(3.825, abs=1e-3)
    assert "(grew at every step: True)" in caption
    low, high = re.search(r"alternating distance between ([0-9.]+) and ([0-9.]+)\.", caption).groups()
    assert (float(low), float(high)) == pytest.approx((math.sqrt(1.9 / 1.05), math.sqrt(2)), abs=6e-4)
    assert "√(1 + η²) = 1.00499" in caption
