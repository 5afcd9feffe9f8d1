"""The toy experiments that train no generator (WGAN Figs 1-2, WGAN-GP Fig 1a).

`python -m repro toy NAME --config P` trains their critics once and stores the arrays the figure draws in
results/<profile>/toys/NAME.npz, with the resolved settings beside them as the JSON string `settings`. The
generator-training toys (gan_toy.py runs, WGAN-GP Fig 1b) are ordinary registry runs; `gradients` measures the
Fig 1b critics and `minmax` is closed-form enough for its figure to compute directly.
"""

import importlib
import json
from pathlib import Path

import numpy as np

from repro import atomic
from repro.config import Profile
from repro.errors import ConfigError, DataError, did_you_mean

EXPERIMENTS = {"wgan-fig1": "parallel_lines", "wgan-fig2": "gaussians", "wgangp-fig1a": "surfaces"}
STREAMS_PER_SEED = 1000  # seed k's random streams start at 1000·k, so two seeds' streams never coincide


def result_path(results: Path, name: str) -> Path:
    return Path(results) / "toys" / f"{name}.npz"


def run(name: str, profile: Profile, out: Path) -> Path:
    """Computes one experiment at each of the profile's toy seeds (the module's `compute(profile, seed) ->
    (arrays, settings)`) and writes it atomically: the first seed's arrays under their own names (what the figure
    draws), every seed's also as `seed<k>:<name>` (what the claims read)."""
    if name not in EXPERIMENTS:
        raise ConfigError(f"unknown toy experiment {name!r}{did_you_mean(name, EXPERIMENTS)}; "
                          f"known: {', '.join(EXPERIMENTS)}")
    module, stored, settings = importlib.import_module(f"repro.toys.{EXPERIMENTS[name]}"), {}, None
    for seed in profile.toy_seeds:
        arrays, seed_settings = module.compute(profile, seed)
        settings = settings or {**seed_settings, "seeds": profile.toy_seeds}
        stored.update({f"seed{seed}:{key}": value for key, value in arrays.items()})
        stored.update(arrays if seed == profile.toy_seeds[0] else {})
    with atomic.atomic_path(out) as tmp:
        np.savez(tmp, settings=np.array(json.dumps(settings, sort_keys=True)), **stored)
    return out


def per_seed(arrays: dict, settings: dict) -> dict[int, dict]:
    """Each seed's arrays of a stored experiment (one written before toy seeds existed: its only seed's)."""
    seeds = settings.get("seeds", [settings["seed"]])
    split = {seed: {k.split(":", 1)[1]: v for k, v in arrays.items() if k.startswith(f"seed{seed}:")}
             for seed in seeds}
    return {seed: values or {k: v for k, v in arrays.items() if ":" not in k} for seed, values in split.items()}


def load(path: Path) -> tuple[dict, dict]:
    """(arrays, settings) of a stored experiment; a missing file is an error naming the command that makes it."""
    if not Path(path).exists():
        raise DataError(f"{path}: toy experiment not computed; run `python -m repro toy {Path(path).stem} "
                        f"--config <profile>` or `snakemake {Path(path).stem}`")
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "settings"}
        return arrays, json.loads(str(data["settings"]))
