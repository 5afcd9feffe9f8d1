# The profile as Snakemake validated it (with --config overrides and schema defaults), written once per change
# to results/<profile>/profile.yaml: the file every `python -m repro` call of this DAG reads.
import yaml

from repro.config import load_profile, resolve
from repro.plots import FIGURES, runs_for
from repro.registry import RUNS
from repro.toys import EXPERIMENTS

PROFILE = config["profile"]
RESULTS = f"results/{PROFILE}"
FIGURE_DIR = f"figures/{PROFILE}"
PROFILE_FILE = f"{RESULTS}/profile.yaml"
SEEDS = config["train"]["seeds"]


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
    return [f"{run_dir(run, seed)}/meta.json" for run in runs for seed in SEEDS]


def evaluated(runs):
    """The per-snapshot metrics table of every run × seed (rule evaluate)."""
    return [f"{RESULTS}/metrics/{run}/seed{seed}.csv" for run in runs for seed in SEEDS]


def longest_first(wildcards):
    """A run's generator iterations as its job priority: Snakemake's scheduler starts the ready job of highest
    priority, so the longest run (the DAG's critical path) starts at once instead of after the short ones."""
    return resolve(wildcards.run, RESOLVED, int(wildcards.seed)).iters


def store_manifest(run):
    """The image store a run trains on, when this DAG builds it (`data.<name>.prepare` in the profile)."""
    entry = config["data"].get(RUNS[run].dataset)
    if isinstance(entry, str):  # a store path, perhaps one another entry prepares (a stand-in shared by two)
        entry = next((e for e in config["data"].values() if isinstance(e, dict) and e["store"] == entry), entry)
    return [f"{entry['store']}/manifest.json"] if isinstance(entry, dict) and "prepare" in entry else []


wildcard_constraints:
    profile=PROFILE,
    run="|".join(RUNS),
    seed=r"\d+",
    name="|".join(FIGURES),
    experiment="|".join(EXPERIMENTS),
