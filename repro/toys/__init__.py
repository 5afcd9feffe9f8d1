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


def result_path(results: Path, name: str) -> Path:
    return Path(results) / "toys" / f"{name}.npz"


def run(name: str, profile: Profile, out: Path) -> Path:
    """Computes one experiment (the module's `compute(profile) -> (arrays, settings)`) and writes it atomically."""
    if name not in EXPERIMENTS:
        raise ConfigError(f"unknown toy experiment {name!r}{did_you_mean(name, EXPERIMENTS)}; "
                          f"known: {', '.join(EXPERIMENTS)}")
    arrays, settings = importlib.import_module(f"repro.toys.{EXPERIMENTS[name]}").compute(profile)
    with atomic.atomic_path(out) as tmp:
        np.savez(tmp, settings=np.array(json.dumps(settings, sort_keys=True)), **arrays)
    return out


def load(path: Path) -> tuple[dict, dict]:
    """(arrays, settings) of a stored experiment; a missing file is an error naming the command that makes it."""
    if not Path(path).exists():
        raise DataError(f"{path}: toy experiment not computed; run `python -m repro toy {Path(path).stem} "
                        f"--config <profile>` or `snakemake {Path(path).stem}`")
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files if k != "settings"}
        return arrays, json.loads(str(data["settings"]))
