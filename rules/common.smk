# The profile as Snakemake validated it (with --config overrides and schema defaults), written once per change
# to results/<profile>/profile.yaml: the file every `python -m repro` call of this DAG reads.
import json

import yaml

from repro import report as report_layout
from repro.config import load_profile, resolve
from repro.plots import FIGURES, evaluated_runs, runs_for
from repro.registry import RUNS
from repro.toys import EXPERIMENTS

PROFILE = config["profile"]
RESULTS = f"results/{PROFILE}"
FIGURE_DIR = f"figures/{PROFILE}"
PROFILE_FILE = f"{RESULTS}/profile.yaml"


def _write_profile_file():
    text = yaml.safe_dump(dict(config), sort_keys=False)
    os.makedirs(RESULTS, exist_ok=True)
    if not os.path.exists(PROFILE_FILE) or open(PROFILE_FILE).read() != text:
        with open(f"{PROFILE_FILE}.tmp", "w") as f:
            f.write(text)
        os.replace(f"{PROFILE_FILE}.tmp", PROFILE_FILE)


_write_profile_file()
RESOLVED = load_profile(PROFILE_FILE)  # the package's own checks (run names, data entries) before any job


def run_dir(run, seed):
    return f"{RESULTS}/runs/{run}/seed{seed}"


def finished(runs):
    """meta.json of every run × seed: the declared output that exists only once a run is done."""
    return [f"{run_dir(run, seed)}/meta.json" for run in runs for seed in RESOLVED.seeds_of(run)]


def evaluated(runs):
    """The per-snapshot metrics table of every run × seed (rule evaluate)."""
    return [f"{RESULTS}/metrics/{run}/seed{seed}.csv" for run in runs for seed in RESOLVED.seeds_of(run)]


def longest_first(wildcards):
    """A run's generator iterations as its job priority: Snakemake's scheduler starts the ready job of highest
    priority, so the longest run (the DAG's critical path) starts at once instead of after the short ones."""
    return resolve(wildcards.run, RESOLVED, int(wildcards.seed)).iters


SPLIT_DATASETS = ("cifar10", "mnist", "imagenet32")  # `prepare` writes <dir>/train, <dir>/validation, …


def prepared_stores(entry):
    """The stores a data entry's prepare job writes: its own, and its validation store when the same job builds
    it (an LSUN validation LMDB, or the validation split of MNIST)."""
    spec = entry["prepare"]
    both = "validation_lmdb" in spec or (spec["dataset"] in SPLIT_DATASETS and "validation" in entry)
    return [entry["store"]] + ([entry["validation"]] if both else [])


PREPARED = {store for entry in config["data"].values() if isinstance(entry, dict) and "prepare" in entry
            for store in prepared_stores(entry)}


def store_manifest(run):
    """The manifests of the image stores a run reads (training, and validation where it logs that loss) that this
    DAG builds; an entry may name a store another entry prepares (a stand-in shared by two)."""
    entry, run = config["data"].get(RUNS[run].dataset), RUNS[run]
    if entry is None:
        return []
    stores = [entry] if isinstance(entry, str) else \
        [entry["store"]] + ([entry["validation"]] if "validation" in entry and run.validation_every else [])
    return [f"{store}/manifest.json" for store in stores if store in PREPARED]


TRAIN_RESOURCES = {"mem_mb": 4000, **config.get("resources", {}).get("train", {})}
COST = f"{RESULTS}/cost.json"  # written by the cost job: every run's FLOPs, estimated GPU time and time limit
ESTIMATED_RUNTIME = "runtime" not in TRAIN_RESOURCES


def train_runtime(wildcards, input):
    """A training job's time limit in minutes: the profile's fixed runtime, else the cost job's estimate."""
    if not ESTIMATED_RUNTIME:
        return TRAIN_RESOURCES["runtime"]
    with open(input.cost) as f:
        return json.load(f)["runs"][wildcards.run]["runtime_minutes"]


wildcard_constraints:
    profile=PROFILE,
    run="|".join(RUNS),
    seed=r"\d+",
    name="|".join(FIGURES),
    experiment="|".join(EXPERIMENTS),

