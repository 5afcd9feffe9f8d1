"""The listing commands expose the registry a user (and the pipeline) reads."""

import json

from tests.conftest import repro_cli

WGAN_PAPER_RUNS = {"wgan-dcgan", "wgan-mlpg", "wgan-mlp-hilr", "wgan-nobn", "wgan-dcgan-adam", "gan-dcgan",
                   "gan-mlpg", "gan-mlp", "gan-nobn"}


def test_runs_json_lists_every_wgan_paper_run_with_its_figures():
    runs = json.loads(repro_cli("runs", "--json", check=True).stdout)
    assert WGAN_PAPER_RUNS <= set(runs)
    assert runs["wgan-dcgan"]["figures"] == ["wgan-fig3", "wgan-fig5", "wgan-adam", "wgan-appF"]
    assert {run for run, entry in runs.items() if "wgan-appF" in entry["figures"]} == {  # WGAN App. F's six sheets
        f"{objective}-{net}" for objective in ("wgan", "gan") for net in ("dcgan", "nobn", "mlpg")}
    assert runs["wgan-dcgan"]["opt_d"] == {"name": "rmsprop", "lr": 5e-5, "betas": [0.5, 0.999], "weight_decay": 0.0}
    assert runs["wgan-dcgan"]["clip"] == 0.01 and runs["wgan-dcgan"]["clip_when"] == "before_step"
    assert runs["wgan-mlpg"]["generator"] == "mlp_g" and runs["wgan-mlpg"]["critic"] == "dcgan_d"
    assert runs["wgan-nobn"]["generator"] == "nobn_const_g"
    assert runs["gan-dcgan"]["objective"] == "gan" and runs["wgan-dcgan-adam"]["opt_d"]["name"] == "adam"


def test_runs_human_listing_names_each_run():
    out = repro_cli("runs", check=True).stdout
    assert all(name in out for name in WGAN_PAPER_RUNS)


def test_train_help_documents_the_command():
    out = repro_cli("train", "--help", check=True).stdout
    assert "--config" in out and "--seed" in out and "--iters" in out and "--device" in out


def test_download_names_a_mistyped_category():
    result = repro_cli("download", "lsun", "--category", "bedrom", "--out", "unused")
    assert result.returncode == 2 and "did you mean 'bedroom'" in result.stderr


def test_data_benchmarks_run_and_write_their_tables(tmp_path):
    """Benchmarks are not timed tests: this only checks that they run end to end and record what they measured."""
    assert repro_cli("bench", "prepare", "--images", 200, "--workers", 1, "--out", tmp_path / "p.json").returncode == 0
    rows = json.loads((tmp_path / "p.json").read_text())["rows"]
    assert rows[0]["images"] == 200 and rows[0]["images_per_s"] > 0
    result = repro_cli("bench", "loader", "--images", 200, "--batches", 2, "--workers", 0, "--out", tmp_path / "l.json")
    assert result.returncode == 0, result.stderr
    loader = json.loads((tmp_path / "l.json").read_text())
    assert loader["official_batches_per_s"] > 0 and loader["ours_batches_per_s"] > 0 and loader["placement"] == "host"


def test_metrics_benchmark_times_swd_and_the_real_inception_graph(tmp_path):
    result = repro_cli("bench", "metrics", "--images", 16, "--size", 16, "--device", "cpu",
                       "--out", tmp_path / "m.json")
    assert result.returncode == 0, result.stderr
    written = json.loads((tmp_path / "m.json").read_text())
    assert written["swd_images"] == 32 and written["swd_images_per_s"] > 0
    assert written["inception_images"] == 16 and written["inception_images_per_s"] > 0
    assert "images/s" in result.stdout


def test_the_profile_registry_figures_tables_and_claims_load_without_pytorch():
    """Figure, table and claims jobs and Snakemake's parse of the DAG start without PyTorch's ~2.5 s import;
    training, evaluation and toy figures import it where they need it."""
    import subprocess
    import sys

    modules = ["repro.config", "repro.registry", "repro.nets", "repro.plots", "repro.plots.curves",
               "repro.plots.quality", "repro.plots.grids", "repro.plots.claims", "repro.tables", "repro.claims",
               "repro.toys", "repro.sweep", "repro.status", "repro.plots.language"]
    code = f"import sys\nfor m in {modules!r}: __import__(m)\nprint(sorted(m for m in sys.modules if m == 'torch'))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
