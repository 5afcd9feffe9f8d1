"""The toy figures of both papers: WGAN Figs 1-2, WGAN-GP Fig 1a/1b, the gan_toy.py generators, the min-max game.

Every caption states the paper's claim and the numbers this figure measured, so a reader checks the physics
rather than the picture.
"""

from pathlib import Path

import numpy as np
import torch

from repro.config import RunConfig
from repro.data.toy import TOY_DATASETS
from repro.engine import build_net
from repro.errors import DataError
from repro.metrics.evaluate import read_run_config
from repro.metrics.toy import parallel_lines
from repro.plots import FigureJob
from repro.plots.style import ITER_LABEL, styled
from repro.registry import MINMAX, RUNS
from repro.tables import read_meta, read_metrics, run_status
from repro.toys import load, minmax, result_path
from repro.toys.gradients import critic_weights, layer_gradient_norms, piled_at_clip
from repro.toys.surfaces import DATASETS, SHOWN_POINTS, grid, surface

TOY_RANGE = 3.0  # gan_toy.py's RANGE: axes on [-3, 3]²
GRID_POINTS = 128  # gan_toy.py's N_POINTS
REAL, FAKE = "orange", "green"  # gan_toy.py's colours for real and generated points


def _scale(job: FigureJob) -> str:
    return (f"{job.profile.scale} (profile `{job.profile.name}`)" if job.profile.departures
            else "the papers' scale")


def _steps(settings: dict) -> str:
    return ", ".join(f"{name} {fit['steps']:,} steps (batch {fit['batch_size']}, {fit['depth'] - 1} hidden × "
                     f"{fit['width']})" for name, fit in settings["fits"].items())


@styled
def wgan_fig1(job: FigureJob) -> list[Path]:
    import matplotlib.pyplot as plt

    arrays, settings = load(result_path(job.results, job.name))
    theta = arrays["theta"]
    fine = np.linspace(theta.min(), theta.max(), 401)
    closed = parallel_lines(fine)
    fig, (em, js) = plt.subplots(1, 2, figsize=(8, 3.2), layout="constrained")
    em.plot(fine, closed["em"], color="k", label="W(P_0, P_θ) = |θ|")
    em.plot(theta, arrays["wgan.em"], "o", mfc="none", label="clipped critic, gap / dual constant")
    em.plot(theta, arrays["wgan-gp.gap"], "s", mfc="none", label="WGAN-GP critic, gap")
    js_curve = np.where(fine == 0, np.nan, closed["js"])
    js.plot(fine, js_curve, color="k", label="JS(P_0, P_θ) = log 2 (θ ≠ 0)")
    js.plot([0], [0], "o", color="k", ms=3)
    js.plot(theta, arrays["gan.js"], "o", mfc="none", label="GAN discriminator, log 2 − ½·loss")
    em.set(xlabel="θ", ylabel="Earth-Mover distance", title="EM distance")
    js.set(xlabel="θ", ylabel="JS divergence", title="JS divergence", ylim=(-0.05, 0.8))
    em.legend(loc="upper center", fontsize=7)
    js.legend(loc="lower right", fontsize=7)
    fig.suptitle("WGAN Figure 1: parallel lines, P_θ = law of (θ, Z), Z ~ U[0, 1]")

    moved, far = theta != 0, np.abs(theta) >= 0.2

    def rel(values, reference, where=moved):
        return np.abs(values[where] / reference[where] - 1).max()

    table = ["| θ | closed EM | clipped critic (gap / L) | its L | WGAN-GP gap | closed JS | GAN estimate |",
             "|---|---|---|---|---|---|---|"]
    for i, t in enumerate(theta):
        table.append(f"| {t:g} | {abs(t):.3f} | {arrays['wgan.em'][i]:.3f} | {arrays['wgan.lipschitz'][i]:.3g} | "
                     f"{arrays['wgan-gp.gap'][i]:.3f} | {arrays['closed.js'][i]:.3f} | {arrays['gan.js'][i]:.3f} |")
    caption = [
        "**WGAN Figure 1 (parallel lines), with estimates.** Paper's claim: the EM distance W(P_0, P_θ) = |θ| is "
        "continuous in θ and gives a usable gradient everywhere, while JS(P_0, P_θ) jumps to log 2 off θ = 0 and gives "
        "none (KL is +∞ and TV is 1 off 0; the paper plots EM and JS only). Lines: the closed forms. Markers: each "
        "distance read off a critic trained on samples of P_0 (real) and P_θ (fake) for that θ, then evaluated on "
        f"{settings['eval_samples']:,} fresh points per side. The clipped critic estimates K·W with an unknown K; "
        "we divide its gap by the least constant L for which gap/L is feasible for W1's dual on those points, a "
        "lower bound of W that is tight when the critic is optimal. The WGAN-GP gap is shown raw.", "",
        f"Measured: for |θ| ≥ 0.2 the clipped critic is within {rel(arrays['wgan.em'], np.abs(theta), far):.1%} of "
        f"|θ| ({rel(arrays['wgan.em'], np.abs(theta)):.1%} over every θ ≠ 0), the WGAN-GP critic within "
        f"{rel(arrays['wgan-gp.gap'], np.abs(theta), far):.1%} ({rel(arrays['wgan-gp.gap'], np.abs(theta)):.1%}); for "
        f"every θ ≠ 0 the GAN's JS estimate is within "
        f"{rel(arrays['gan.js'], arrays['closed.js']):.1%} of log 2; at θ = 0 they read "
        f"{arrays['wgan.em'][~moved][0]:.3f}, {arrays['wgan-gp.gap'][~moved][0]:.3f} and "
        f"{arrays['gan.js'][~moved][0]:.3f}.", "",
        f"Critics (repro/registry.py `PARALLEL_LINES`, our choice; the paper trains none): {_steps(settings)}; "
        f"clipped = Algorithm 1 (RMSProp 5e-5, c = 0.01), WGAN-GP = Adam 1e-4 (0.5, 0.9), λ = 10, GAN = DCGAN's "
        f"Adam 2e-4 (0.5, 0.999). Seed {settings['seed']}; {_scale(job)}.", "", *table]
    return job.save(fig, "\n".join(caption))


@styled
def wgan_fig2(job: FigureJob) -> list[Path]:
    import matplotlib.pyplot as plt

    arrays, settings = load(result_path(job.results, job.name))
    x = arrays["x"]
    fig, (values, slopes) = plt.subplots(1, 2, figsize=(9, 3.2), layout="constrained")
    peak = max(arrays["real_density"].max(), arrays["fake_density"].max())
    values.plot(x, arrays["real_density"] / peak, color="tab:blue", label="Density of the real")
    values.plot(x, arrays["fake_density"] / peak, color="tab:green", label="Density of the fake")
    values.plot(x, arrays["gan.value"], color="tab:red", label="GAN discriminator D(x)")
    critic = arrays["wgan.value"]
    values.plot(x, (critic - critic.min()) / (critic.max() - critic.min()), color="tab:cyan",
                label="WGAN critic (rescaled to [0, 1])")
    values.set(xlabel="x", title="Values")
    values.legend(fontsize=7, loc="upper left")
    slopes.plot(x, np.abs(arrays["gan.slope"]) / np.abs(arrays["gan.slope"]).max(), color="tab:red",
                label="|dD/dx|, GAN discriminator")
    slopes.plot(x, np.abs(arrays["wgan.slope"]) / np.abs(arrays["wgan.slope"]).max(), color="tab:cyan",
                label="|df/dx|, WGAN critic")
    slopes.set(xlabel="x", ylabel="gradient (÷ its maximum)", title="Gradients with respect to x", yscale="log",
               ylim=(1e-12, 2))
    slopes.legend(fontsize=7, loc="lower center")
    fig.suptitle("WGAN Figure 2: optimal discriminator and critic between two Gaussians")

    stats = gaussians_stats(arrays, settings)
    caption = [
        "**WGAN Figure 2.** Paper's claim: the minimax GAN discriminator, trained till optimality, saturates and "
        "gives vanishing gradients, while the WGAN critic converges to a (near) linear function with clean "
        "gradients everywhere.", "",
        f"Setting (repro/registry.py `GAUSSIANS_1D`, our choice - the paper gives none): real "
        f"N({settings['real'][0]:g}, {settings['real'][1]:g}²), fake N({settings['fake'][0]:g}, "
        f"{settings['fake'][1]:g}²); equal variances make the optimal 1-Lipschitz critic exactly linear. "
        f"Critics: {_steps(settings)}; the WGAN critic with "
        f"Algorithm 1's settings (RMSProp 5e-5, clip 0.01), the discriminator with DCGAN's Adam 2e-4. Seed "
        f"{settings['seed']}; {_scale(job)}.", "",
        f"Measured: on the data's range (either density above 1% of its peak) the critic's straight-line fit has "
        f"R² = {stats['r2']:.3f}. The discriminator reads D = {stats['d_real']:.4f} at the real mean and "
        f"{stats['d_fake']:.2e} at the fake mean, where its slope is {stats['fake_slope_ratio']:.1e} of its maximum: "
        f"a generator sample at the fake mode gets no gradient from it, while the critic's slope there is "
        f"{stats['critic_fake_slope_ratio']:.2f} of the critic's maximum."]
    return job.save(fig, "\n".join(caption))


def gaussians_stats(arrays: dict, settings: dict) -> dict:
    """The numbers WGAN Fig 2's claim rests on, read off the stored curves at the two means."""
    x = arrays["x"]
    at_real, at_fake = np.argmin(np.abs(x - settings["real"][0])), np.argmin(np.abs(x - settings["fake"][0]))
    gan_slope, critic_slope = np.abs(arrays["gan.slope"]), np.abs(arrays["wgan.slope"])
    return {"r2": float(arrays["wgan.r2"]), "d_real": float(arrays["gan.value"][at_real]),
            "d_fake": float(arrays["gan.value"][at_fake]),
            "fake_slope_ratio": float(gan_slope[at_fake] / gan_slope.max()),
            "critic_fake_slope_ratio": float(critic_slope[at_fake] / critic_slope.max())}


def _contour(ax, axis: np.ndarray, values: np.ndarray, real, fake, extent: float) -> None:
    """gan_toy.py's picture: critic contours (grid transposed, as its fix eea94f1), real orange +, fake green +."""
    ax.contour(axis, axis, values.T, levels=12, linewidths=0.6)
    ax.scatter(*np.asarray(real).T, marker="+", c=REAL, s=10, linewidths=0.6)
    if fake is not None:
        ax.scatter(*np.asarray(fake).T, marker="+", c=FAKE, s=10, linewidths=0.6)
    ax.set(xlim=(-extent, extent), ylim=(-extent, extent), aspect="equal", xticks=[], yticks=[])
    ax.grid(False)


@styled
def wgangp_fig1a(job: FigureJob) -> list[Path]:
    import matplotlib.pyplot as plt

    arrays, settings = load(result_path(job.results, job.name))
    axis, extent = arrays["axis"], float(arrays["axis"][-1])
    fig, axes = plt.subplots(2, 3, figsize=(9, 6.2), layout="constrained")
    for col, dataset in enumerate(DATASETS):
        for row, (method, label) in enumerate((("wgan", "Weight clipping"), ("wgan-gp", "Gradient penalty"))):
            ax = axes[row, col]
            _contour(ax, axis, arrays[f"{dataset}.{method}"], arrays[f"{dataset}.real"], arrays[f"{dataset}.fake"],
                     extent)
            if row == 0:
                ax.set_title(dataset)
            if col == 0:
                ax.set_ylabel(label)
    fig.suptitle("WGAN-GP Figure 1a: value surfaces of critics trained against real data + N(0, I)")
    caption = [
        "**WGAN-GP Figure 1a.** Paper's claim: critics trained to optimality with weight clipping fail to capture "
        "higher moments of the data and learn overly simple functions; with the gradient penalty they follow the "
        "data. Top row: weight clipping (c = 0.01); bottom row: gradient penalty. Orange +: real points; green +: "
        "the fixed \"generator\", the same points plus unit-variance Gaussian noise. Contours: the critic's value "
        f"on a {len(axis)}² grid over [-{extent:g}, {extent:g}]².", "",
        f"Setting `{settings['setting']}` ({settings['about']}; profile key `toys.surfaces`, the other is "
        f"`{'official' if settings['setting'] == 'figure' else 'figure'}`): {_steps(settings)}. Seed "
        f"{settings['seed']}; {_scale(job)}."]
    return job.save(fig, "\n".join(caption))


def load_net(cfg: RunConfig, state: dict, role: str) -> torch.nn.Module:
    """A toy run's generator or critic (role) with the weights of a snapshot or final.pt `state`."""
    net = build_net(cfg, role, (2,))
    net.load_state_dict(state["G" if role == "generator" else "D"])
    return net.eval()


def deep_measurements(run_dir: Path, batches: int = 4, batch_size: int = 256) -> dict:
    """Layer gradient norms of a Fig 1b run's final critic (mean over `batches` seeded batches of real Swiss-roll
    points and its generator's samples) and the critic's weights."""
    state, cfg = torch.load(run_dir / "final.pt", map_location="cpu", weights_only=True), read_run_config(run_dir)
    G, D = load_net(cfg, state, "generator"), load_net(cfg, state, "critic")
    data = TOY_DATASETS["swissroll"](batch_size, seed=0)
    noise = torch.Generator().manual_seed(1)
    norms = []
    for _ in range(batches):
        with torch.no_grad():
            fake = G(torch.randn(batch_size, G.main[0].in_features, generator=noise))
        norms.append(layer_gradient_norms(D, data.next(), fake))
    return {"norms": np.mean(norms, axis=0), "weights": critic_weights(D)}


DEEP_RUNS = {"toy-deep-clip0.001": "Weight clipping (c = 0.001)", "toy-deep-clip0.01": "Weight clipping (c = 0.01)",
             "toy-deep-clip0.1": "Weight clipping (c = 0.1)", "toy-deep-gp": "Gradient penalty"}


@styled
def wgangp_fig1b(job: FigureJob) -> list[Path]:
    import matplotlib.pyplot as plt

    measured = {run: deep_measurements(job.seed_dirs(run)[0]) for run in DEEP_RUNS}
    fig = plt.figure(figsize=(9, 3.6), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.3, 1])
    ax = left.subplots()
    for run, label in DEEP_RUNS.items():
        norms = measured[run]["norms"]
        layers = np.arange(1, len(norms) + 1)
        ax.plot(layers, np.log10(norms), marker="o", ms=3, label=label)
    ax.set(xlabel="Discriminator layer", ylabel="Gradient norm (log10 scale)", xlim=(len(norms) + 0.5, 0.5))
    ax.legend(fontsize=7)
    hist_clip, hist_gp = right.subplots(2, 1)
    clip = RUNS["toy-deep-clip0.01"].clip
    hist_clip.hist(measured["toy-deep-clip0.01"]["weights"], bins=60, range=(-2 * clip, 2 * clip))
    hist_clip.set(title="Weight clipping", xlabel="Weights", xticks=np.linspace(-2 * clip, 2 * clip, 5))
    hist_gp.hist(measured["toy-deep-gp"]["weights"], bins=60, range=(-0.5, 0.5))
    hist_gp.set(title="Gradient penalty", xlabel="Weights")
    fig.suptitle("WGAN-GP Figure 1b: 12-layer critics on the Swiss roll")

    rows = ["| run | c | first-layer / last-layer gradient norm | weights within 5% of ±c | generator iterations |",
            "|---|---|---|---|---|"]
    for run in DEEP_RUNS:
        norms, weights, c = measured[run]["norms"], measured[run]["weights"], RUNS[run].clip
        meta = read_meta(job.seed_dirs(run)[0])
        c_shown = f"{c:g}" if "clip" in run else f"(GP; ±{clip:g} shown)"
        rows.append(f"| `{run}` | {c_shown} | {norms[0] / norms[-1]:.3g} | "
                    f"{piled_at_clip(weights, c if 'clip' in run else clip):.1%} | "
                    f"{meta['gen_iter']} ({run_status(meta)}) |")
    runs = [RUNS[r] for r in DEEP_RUNS]
    caption = [
        "**WGAN-GP Figure 1b.** Paper's claim: with weight clipping the critic's gradients explode (c = 0.1) or "
        "vanish (c = 0.001) as they pass back through a deep critic, and clipping pushes the weights to the two "
        "extremes ±c; with the gradient penalty neither happens. Left: norm of the gradient of the critic loss with "
        "respect to each layer's activations (layer 13 = the critic's output, 12 … 1 = the hidden layers from the "
        "output side back to the input side; read left to right, the direction gradients travel), mean over 4 "
        "batches of 256 real and 256 generated points. Right: every weight of the c = 0.01 and of the GP critic.", "",
        f"Runs: 12-hidden-layer ReLU MLP generator and critic, no BN, Swiss roll, batch 256, n_critic 5; clipping with "
        f"TF RMSProp 5e-5 (clip after each step), GP with Adam 1e-4 (0.5, 0.9), λ = 10 (spec/wgangp.md §2.6; no "
        f"script was released). Width {job.profile.widths['deep']} (paper scale 512), "
        f"{read_meta(job.seed_dirs(runs[0].name)[0])['iters']:,} generator iterations; {_scale(job)}.", "", *rows, "",
        "A ratio above 1 is a gradient growing on its way back to the input (explosion), below 1 a vanishing one."]
    return job.save(fig, "\n".join(caption))


@styled
def wgangp_toy(job: FigureJob) -> list[Path]:
    """gan_toy.py generators: samples over the critic's value surface at three stages, W1 and modes over training."""
    import matplotlib.pyplot as plt

    methods = (("wgan", "WGAN (clipping)"), ("gp", "WGAN-GP"), ("gan", "GAN"))
    stages = 3
    fig, axes = plt.subplots(len(DATASETS) * len(methods), stages + 1, figsize=(10, 22), layout="constrained")
    axis, points = grid(TOY_RANGE, GRID_POINTS)
    table = ["| dataset | method | run | generator iterations | W1 at start | W1 at end | modes covered at end |",
             "|---|---|---|---|---|---|---|"]
    for i, (dataset, (suffix, label)) in enumerate((d, m) for d in DATASETS for m in methods):
        run = f"toy-{dataset}-{suffix}"
        run_dir = job.seed_dirs(run)[0]
        meta = read_meta(run_dir)
        real = TOY_DATASETS[dataset](SHOWN_POINTS, seed=0).next()
        snapshots = sorted((run_dir / "snapshots").glob("G_*.pt"))
        if not snapshots:
            raise DataError(f"{run_dir / 'snapshots'}: no snapshots; retrain {run}")
        picks = [snapshots[round(k * (len(snapshots) - 1) / (stages - 1))] for k in range(stages)]
        cfg = read_run_config(run_dir)
        noise = torch.Generator().manual_seed(0)
        z = torch.randn(SHOWN_POINTS, 2, generator=noise)
        for col, path in enumerate(picks):
            state = torch.load(path, map_location="cpu", weights_only=True)
            with torch.no_grad():
                fake = load_net(cfg, state, "generator")(z)
            values = surface(load_net(cfg, state, "critic"), points, GRID_POINTS)
            ax = axes[i, col]
            _contour(ax, axis, values, real, fake, TOY_RANGE)
            ax.set_title(f"iteration {state['gen_iter']:,}", fontsize=7)
            if col == 0:
                ax.set_ylabel(f"{dataset}\n{label}")
        metrics = read_metrics(job.results, run, job.profile.seeds_of(run)[0])
        if metrics is None:
            raise DataError(f"{job.results / 'metrics' / run}: run not evaluated; run `python -m repro evaluate "
                            f"{run_dir} --config {job.profile.path}`")
        w1 = next(c for c in metrics.columns if c.startswith("w1_"))
        ax = axes[i, stages]
        ax.plot(metrics["gen_iter"], metrics[w1], color="k", label="exact W1")
        ax.set(xlabel=ITER_LABEL, ylabel="W1 to the data", yscale="log")
        modes = next((c for c in metrics.columns if c.startswith("modes_")), None)
        if modes:
            twin = ax.twinx()
            twin.plot(metrics["gen_iter"], metrics[modes], color="tab:red", drawstyle="steps-post")
            twin.set_ylabel("modes covered", color="tab:red")
            twin.set_ylim(0, (8 if dataset == "8gaussians" else 25) + 0.5)
        covered = f"{int(metrics[modes].iloc[-1])}/{8 if dataset == '8gaussians' else 25}" if modes else "—"
        table.append(f"| {dataset} | {label} | `{run}` | {meta['gen_iter']:,} ({run_status(meta)}) | "
                     f"{metrics[w1].iloc[0]:.3f} | {metrics[w1].iloc[-1]:.3f} | {covered} |")
    fig.suptitle("WGAN-GP gan_toy.py generators: samples (green) over the critic's value surface, real (orange)")
    width, n = job.profile.widths["toy"], job.profile.metrics.toy_samples
    caption = [
        "**WGAN-GP toy generators (gan_toy.py).** The repository's toy experiment: generators trained with WGAN "
        "(clipping), WGAN-GP and a standard GAN on 8 Gaussians, 25 Gaussians and the Swiss roll. Each row is one "
        "run: the first three panels show 256 generated points (green +, fixed noise) and 256 real points (orange "
        "+) over the critic's value contours at the first, middle and last generator snapshot; the last panel "
        f"shows the exact W1 between {n:,} generated and {n:,} real points over training (optimal assignment) and, "
        "on the mixtures, the modes covered (a mode counts when it holds a tenth of its fair share of samples "
        "within 3σ per coordinate of its centre).", "",
        f"Hidden width {width} (gan_toy.py: 512), iterations per run below (gan_toy.py: "
        f"{RUNS['toy-8gaussians-gp'].iters:,}); WGAN-GP with gan_toy.py's λ = 0.1; GAN with its sibling scripts' "
        f"MODE=dcgan (Adam 2e-4, one D step). Seed {job.profile.seeds_of(run)[0]} of each run; {_scale(job)}.", "", *table]
    return job.save(fig, "\n".join(caption))


@styled
def seed_minmax(job: FigureJob) -> list[Path]:
    import matplotlib.pyplot as plt

    paths = minmax.trajectories(MINMAX)
    fig, (plane, norm) = plt.subplots(1, 2, figsize=(8.5, 3.6), layout="constrained")
    for rule, style in (("simultaneous", "-"), ("alternating", "--")):
        p = paths[rule]
        plane.plot(p[:, 0], p[:, 1], style, marker=".", ms=2, label=f"{rule} updates")
        norm.plot(np.arange(len(p)), np.linalg.norm(p, axis=1), style, label=rule)
    plane.plot([0], [0], "k*", ms=8, label="equilibrium (0, 0)")
    plane.set(xlabel="x (minimiser)", ylabel="y (maximiser)", aspect="equal", title="Iterates")
    plane.legend(fontsize=7)
    norm.set(xlabel="step", ylabel="‖(x, y)‖", title="Distance to the equilibrium", yscale="log")
    norm.legend(fontsize=7)
    fig.suptitle(f"min_x max_y x·y by gradient steps of size {MINMAX.lr:g}")
    sim, alt = (np.linalg.norm(paths[r], axis=1) for r in ("simultaneous", "alternating"))
    caption = [
        "**The min-max game (seed experiment).** The simplest game with a unique equilibrium, min_x max_y x·y, "
        f"played by gradient descent for x and ascent for y with step {MINMAX.lr:g} from {MINMAX.start}: updated "
        "simultaneously, the iterates spiral away from the equilibrium, each step multiplying the distance by "
        f"√(1 + η²) = {np.sqrt(1 + MINMAX.lr ** 2):.5f}; updated alternately (y sees the new x, as a GAN's "
        "generator sees the critic it just trained), they circle at a bounded distance. GAN training is this game "
        "with nonlinear players, which is why its dynamics, not only its objective, decide convergence.", "",
        f"Measured over {MINMAX.steps} steps: simultaneous distance {sim[0]:.3f} → {sim[-1]:.3f} (grew at every "
        f"step: {bool(np.all(np.diff(sim) > 0))}); alternating distance between {alt.min():.3f} and "
        f"{alt.max():.3f}. No training, no profile scaling: the figure is the same in every profile."]
    return job.save(fig, "\n".join(caption))
