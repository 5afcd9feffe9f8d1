"""The paper profile at smoke scale (tests/profiles/paper-smoke.yaml merged over configs/paper.yaml): it changes
only scale, and every job of the paper DAG runs on raw data in the formats users feed in."""

import dataclasses
import json
import math
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from repro import report as report_layout
from repro.claims import CLAIMS, INCONCLUSIVE, NOT_TESTABLE
from repro.config import load_profile, resolve
from repro.nets import PAPER_WIDTH, get_arch
from repro.plots import FIGURES, evaluated_runs
from repro.registry import RUNS
from tests.browser import chromium  # noqa: F401 (a fixture)
from tests.conftest import ROOT, job_counts, repro_cli, snakemake
from tests.paper_fixtures import paper_data

PAPER, SMOKE = ROOT / "configs/paper.yaml", ROOT / "tests/profiles/paper-smoke.yaml"


def merged_smoke_profile(tmp_path: Path) -> Path:
    """The smoke profile merged over the paper profile as Snakemake merges two --configfile files."""
    from snakemake.utils import update_config

    config = yaml.safe_load(PAPER.read_text())
    update_config(config, yaml.safe_load(SMOKE.read_text()))
    path = tmp_path / "paper-smoke.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_the_paper_smoke_profile_changes_only_scale(tmp_path):
    """Every run the smoke profile trains resolves as the paper profile's but for its name, generator iterations,
    batch and validation cadence; the metric protocol keeps its metric set and cadence; the toys, their steps."""
    paper, smoke = load_profile(PAPER), load_profile(merged_smoke_profile(tmp_path))
    left_out = {r for r in paper.runs if r not in smoke.runs}
    zoo = {r for r in left_out if r.startswith("lsun-")}
    assert set(smoke.runs) < set(paper.runs) and left_out - zoo == {
        r for r in paper.runs if r.startswith("randarch-") and int(r.split("-")[1]) >= 1}
    trained_zoo = [RUNS[r] for r in smoke.runs if r.startswith("lsun-")]  # Fig 2: every row and column still runs
    assert len(zoo) == 21 and len(trained_zoo) == 7 and {r.objective for r in trained_zoo} == {
        "gan", "lsgan", "wgan", "wgan-gp"} and {(r.generator, r.critic) for r in trained_zoo} == {
        (RUNS[r].generator, RUNS[r].critic) for r in paper.runs if r.startswith("lsun-")}
    for run in smoke.runs:
        ours, theirs = dataclasses.asdict(resolve(run, smoke, 0)), dataclasses.asdict(resolve(run, paper, 0))
        assert {k for k in ours if ours[k] != theirs[k]} <= {"profile", "iters", "batch_size", "validation_every"}
        assert ours["width_g"] == PAPER_WIDTH[get_arch(ours["generator"]).family] and ours["iters"] == 1
    metrics, paper_metrics = dataclasses.asdict(smoke.metrics), dataclasses.asdict(paper.metrics)
    assert {k for k in metrics if metrics[k] != paper_metrics[k]} == {
        "samples", "final_samples", "toy_samples", "text_samples", "extractor", "extractor_per_run",
        "extractor_module"}
    assert smoke.metrics.image == ("swd", "fid", "kid", "is") and smoke.metrics.every == paper.metrics.every
    assert dataclasses.replace(smoke.toys, scale={}) == paper.toys and smoke.sweep.architectures == 1
    assert (smoke.image_size, smoke.widths, smoke.sampling) == (paper.image_size, paper.widths, paper.sampling)
    assert paper.departures == [] and smoke.departures == [
        "fewer generator iterations", "smaller batches", "21 runs left out by train.leave_out",
        "1 of the 200 random architectures"]
    assert {name: entry for name, entry in smoke.data.items() if name != "cifar10"} == \
        {name: entry for name, entry in paper.data.items() if name != "cifar10"}


@pytest.fixture(scope="module")
def smoke_dag(tmp_path_factory):
    """`snakemake all report` on configs/paper.yaml at smoke scale, run once for this file's tests: (its folder,
    the finished process, seconds)."""
    tmp_path = tmp_path_factory.mktemp("paper-smoke")
    paper_data(tmp_path)
    tick = time.monotonic()
    result = snakemake("--cores", 2, "all", "report", "--configfile", PAPER, SMOKE, cwd=tmp_path, timeout=1800,
                       env={"PYTHONPATH": str(ROOT)})  # tests.fidelity_extractor, the profile's extractor module
    return tmp_path, result, time.monotonic() - tick


@pytest.mark.slow(seconds=1150)
def test_the_paper_dag_at_smoke_scale(smoke_dag, record_property):
    """Every job of `snakemake all report` on configs/paper.yaml, at smoke scale, on raw data in the formats users
    feed in: prepare for every dataset, train every registered run family at paper width, evaluate with SWD, FID,
    KID and IS through torch-fidelity (one job on the real Inception-v3 graph at random weights), every figure,
    table and the report."""
    tmp_path, result, seconds = smoke_dag
    assert result.returncode == 0, result.stderr[-4000:]
    profile = load_profile(merged_smoke_profile(tmp_path))
    counts = job_counts(result.stdout + result.stderr)
    record_property("summary", f"paper smoke DAG: {counts['total']} jobs in {seconds:.0f} s; per rule: "
                    + ", ".join(f"{rule} {n}" for rule, n in counts.items() if rule != "total"))
    evaluated = evaluated_runs(profile)
    assert counts == {"claims": 1, "cost": 1, "figure": len(FIGURES), "prepare_cifar10": 1,
                      "prepare_imagenet32": 1, "prepare_lsun_bedroom": 1, "prepare_mnist": 1,
                      "prepare_billion_word": 1, "prepare_lsun_bedroom_128": 1, "toy": 3,
                      "train": len(profile.runs),
                      "evaluate": len(evaluated), "table": 1, "all": 1, "report": 1, "total": counts["total"]}
    families = {run.split("-")[0] for run in profile.runs}
    assert families == {"wgan", "gan", "cifar", "toy", "lsun", "mnist", "randarch", "language", "lsun128"}
    results = tmp_path / "results/paper-smoke"
    for run in profile.runs:  # trained as configured: paper width and image size, finished
        config = yaml.safe_load((results / "runs" / run / "seed0/config.yaml").read_text())
        assert config["width_g"] == PAPER_WIDTH[get_arch(config["generator"]).family]
        assert config["width_d"] == PAPER_WIDTH[get_arch(config["critic"]).family]
        assert json.loads((results / "runs" / run / "seed0/meta.json").read_text())["gen_iter"] == 1
    extractors = set()
    for run in evaluated:  # the paper protocol's every column at the last snapshot, all finite
        metrics = pd.read_csv(results / "metrics" / run / "seed0.csv")
        protocol = json.loads((results / "metrics" / run / "seed0.csv.json").read_text())
        extractors.add(protocol.get("extractor"))
        n, final = profile.metrics.samples, profile.metrics.final_samples
        expected = {"w1_64", "modes_64"} if run.startswith("toy-") and "swissroll" not in run else {"w1_64"} \
            if run.startswith("toy-") else {f"js{k}{real}_64" for k in (1, 2, 3, 4) for real in ("", "_real")} \
            if run.startswith("language-") else {f"swd_{n}", f"fid_{n}_train", f"kid_{n}_train", f"is_{n}_10split",
                                            f"fid_{final}_train", f"kid_{final}_train", f"is_{final}_10split"}
        if RUNS[run].inception_every:
            expected.add("is_1k_10split")  # WGAN-GP Fig 3's own curve
        last = metrics.iloc[-1]
        assert expected <= set(metrics.columns) and list(metrics["gen_iter"]) == [0, 1], run
        assert all(math.isfinite(last[c]) for c in metrics.columns), (run, last)
        assert all(math.isfinite(v) for v in metrics.to_numpy().ravel() if not pd.isna(v)), run
    assert extractors == {None, "repro-test-stats", "inception-v3-random"}  # None: exact W1 and the n-gram JS
    for name in FIGURES:
        for ext in ("png", "pdf", "md", "html"):
            assert (tmp_path / "figures/paper-smoke" / f"{name}.{ext}").stat().st_size > 0
    for path in (results / "tables").glob("*.csv"):
        for ext in ("md", "html"):
            assert path.with_suffix(f".{ext}").stat().st_size > 0
    assert len(list((results / "tables").glob("*.csv"))) == 9 and (results / "report.html").stat().st_size > 10_000
    claims = pd.read_csv(results / "tables/claims.csv")  # one seed at smoke scale: only closed forms decided
    assert len(claims) == len(CLAIMS) and claims["verdict"].notna().all()
    assert set(claims.loc[claims["unit"] != "exact", "verdict"]) <= {INCONCLUSIVE, NOT_TESTABLE}
    assert (tmp_path / "figures/paper-smoke/claims.png").stat().st_size > 0
    summary = snakemake("--summary", "all", "report", "--configfile", PAPER, SMOKE, cwd=tmp_path)
    rows = [line.split("\t") for line in summary.stdout.splitlines()[1:] if line.strip()]
    assert rows and all(row[-2] == "ok" for row in rows), [row for row in rows if row[-2] != "ok"][:5]
    bench = repro_cli("bench", "dag", "--results", results, "--out", tmp_path / "dag.json")
    assert bench.returncode == 0, bench.stderr
    dag = json.loads((tmp_path / "dag.json").read_text())
    # every job once, but the three that write no benchmark file: cost, all and report
    assert sum(e["jobs"] for e in dag["experiments"]) == len(dag["jobs"]) == counts["total"] - 3
    assert {"wgan: image runs (Figs 3-8)", "wgangp: wgangp-table3", "data, figures, tables"} <= \
        {e["experiment"] for e in dag["experiments"]}
    rerun = snakemake("-n", "all", "report", "--configfile", PAPER, SMOKE, cwd=tmp_path)
    assert "Nothing to be done" in rerun.stdout + rerun.stderr  # every declared output exists and is up to date


@pytest.mark.slow(seconds=30)
def test_the_report_opens_with_the_claims_and_shows_every_figure_under_its_paper(smoke_dag, chromium, tmp_path):
    """report.html in headless Chromium, as a reader opens it: the first page holds the claims table (one row per
    claim, in order); the menu lists the claims and then the two papers; every figure sits under its paper and its
    number there, shows at its full size (a broken image has width 0) and with its own caption; every table sits
    beside the figure of the same number."""
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    root, result, _ = smoke_dag
    assert result.returncode == 0, result.stderr[-4000:]
    chromium.get((root / "results/paper-smoke/report.html").as_uri())
    wait = WebDriverWait(chromium, 30)
    rows = wait.until(lambda page: page.find_elements(By.CSS_SELECTOR, ".repro-table tbody tr"))
    chromium.save_screenshot(str(tmp_path / "report-first-page.png"))
    assert [row.find_element(By.TAG_NAME, "td").text for row in rows] == [claim.id for claim in CLAIMS]
    heading = chromium.find_element(By.CSS_SELECTOR, ".repro-table h1")
    assert heading.text == "What reproduced, profile paper-smoke" and 0 <= heading.rect["y"] < 1000  # in view
    menu = chromium.execute_script("return Object.keys(categories).sort((a, b) => a.localeCompare(b))")
    assert menu == list(report_layout.CATEGORIES.values())
    links = chromium.find_elements(By.CSS_SELECTOR, "a[href^='javascript:app.showCategory']")
    assert [link.text for link in links] == menu  # the first page's links, one per section
    assert "System Message" not in chromium.find_element(By.TAG_NAME, "body").text  # docutils found every target
    layout = chromium.execute_script("return categories")
    # what a click on the figure in the menu, then on its view button, does (two events, as React sees them)
    pick = "app.showResultInfo(arguments[0])"
    view = "app.setView({content: 'img', contentPath: results[arguments[0]].data_uri, resultPath: arguments[0]})"
    for name in [*FIGURES, "claims"]:
        path = f"figures/paper-smoke/{name}.png"
        assert path in layout[report_layout.category(name)][report_layout.subcategory(name)], name
        chromium.execute_script(pick, path)
        chromium.execute_script(view, path)
        width = wait.until(lambda page: page.execute_script(
            "const img = document.querySelector('img[src^=\"data:image/png\"]');"
            "return img && img.complete && img.src === results[arguments[0]].data_uri ? img.naturalWidth : null;",
            path))
        assert width == Image.open(root / path).width, name
        title = (root / f"figures/paper-smoke/{name}.md").read_text().splitlines()[0]
        title = title.replace("**", "").replace("`", "")[:60]
        shown = chromium.find_element(By.TAG_NAME, "body").text
        assert title in shown and "System Message" not in shown, (name, title)
    chromium.save_screenshot(str(tmp_path / "report-figure.png"))
    for table in ("wgangp-table2", "wgangp-table3", "wgangp-appC", "wgangp-appD", "meaningful-loss"):
        path = f"results/paper-smoke/tables/{table}.html"
        assert path in layout[report_layout.category(table)][report_layout.subcategory(table)], table
