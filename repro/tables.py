"""`python -m repro table`: one row per registry run × profile seed, as CSV, Markdown and HTML.

Every run × seed gets a row: one without a finished run directory (no meta.json) says "missing" rather than
vanishing, so a table with gaps cannot pass for a complete one.
"""

import html
import json
import math
from pathlib import Path

import pandas as pd
import yaml

from repro import atomic
from repro.config import Profile
from repro.optim import OptimSpec
from repro.registry import RUNS

FINAL_WINDOW = 100  # "final" estimates average the last this-many logged generator iterations
COLUMNS = ["run", "seed", "objective", "generator", "critic", "optimizer", "n_critic", "status", "gen_iters",
           "final_w_estimate", "final_js_estimate", "gen_iters_per_s"]


def run_status(meta: dict | None) -> str:
    """'completed', 'diverged at N' or 'missing' (no meta.json): how tables and captions name a run's end."""
    if meta is None:
        return "missing"
    return f"diverged at {meta['diverged_at']}" if meta["status"] == "diverged" else meta["status"]


def read_meta(run_dir: Path) -> dict | None:
    path = run_dir / "meta.json"
    return json.loads(path.read_text()) if path.exists() else None


def describe_optimizer(opt_g: OptimSpec, opt_d: OptimSpec) -> str:
    """'rmsprop 5e-05'; Adam adds its betas; different G and D optimizers are both named."""
    def one(spec: OptimSpec) -> str:
        betas = f" betas ({spec.betas[0]:g}, {spec.betas[1]:g})" if spec.name == "adam" else ""
        return f"{spec.name} {spec.lr:g}{betas}"

    return one(opt_d) if opt_g == opt_d else f"G {one(opt_g)}; D {one(opt_d)}"


def final_mean(log: pd.DataFrame, column: str) -> float:
    """Mean over the last min(100, n) rows; NaN when the objective never logs the column. A NaN/Inf inside the
    window (a diverged run) is kept, not skipped: the estimate is then not finite, and says so."""
    values = log[column]
    if values.isna().all():
        return math.nan
    return float(values.tail(FINAL_WINDOW).mean(skipna=False))


def _row(run_name: str, seed: int, run_dir: Path) -> dict:
    run, meta = RUNS[run_name], read_meta(run_dir)
    row = {"run": run_name, "seed": seed, "objective": run.objective, "generator": run.generator,
           "critic": run.critic, "optimizer": describe_optimizer(run.opt_g, run.opt_d), "n_critic": run.n_critic,
           "status": run_status(meta)}
    if meta is None:
        return row
    # What was trained, not what the registry says now: the run directory's config is the record.
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    specs = [OptimSpec(c["name"], c["lr"], tuple(c["betas"])) for c in (config["opt_g"], config["opt_d"])]
    log = pd.read_csv(run_dir / "log.csv")
    return {**row, "objective": config["objective"], "generator": config["generator"], "critic": config["critic"],
            "optimizer": describe_optimizer(*specs), "n_critic": config["n_critic"], "gen_iters": meta["gen_iter"],
            "final_w_estimate": final_mean(log, "w_estimate"), "final_js_estimate": final_mean(log, "js_estimate"),
            "gen_iters_per_s": meta["gen_iters_per_s"]}


def runs_table(profile: Profile, results: Path) -> pd.DataFrame:
    rows = [_row(name, seed, results / "runs" / name / f"seed{seed}") for name in RUNS for seed in profile.seeds]
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.astype({"seed": "Int64", "n_critic": "Int64", "gen_iters": "Int64"})


def _header(profile: Profile, table: pd.DataFrame) -> str:
    scale = "the papers' scale" if profile.name == "paper" else "a reduced-scale reproduction on stand-in data"
    finished = (table["status"] != "missing").sum()
    return (f"Profile `{profile.name}` ({scale}): {finished} of {len(table)} run × seed directories finished; the "
            f"others are marked missing. \"Final\" W and JS estimates are the mean of `w_estimate` / `js_estimate` "
            f"over the last min({FINAL_WINDOW}, n) logged generator iterations (empty where the objective does not "
            f"define the estimate; not finite where the run diverged inside that window). Generator iterations/s "
            f"is meta.json's `gen_iters_per_s` (training time only).")


def _cell(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def to_markdown(profile: Profile, table: pd.DataFrame) -> str:
    lines = [f"# Runs, profile `{profile.name}`", "", _header(profile, table), "",
             "| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def to_html(profile: Profile, table: pd.DataFrame) -> str:
    title = f"Runs, profile {profile.name}"
    header = html.escape(_header(profile, table).replace("`", ""))  # Markdown code marks mean nothing here
    body = table.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.4g}", border=0)
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{html.escape(title)}"
            f"</title>\n<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}"
            f"td,th{{border:1px solid #ccc;padding:2px 8px;text-align:left}}</style>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n<p>{header}</p>\n{body}\n"
            f"</body>\n</html>\n")


def write_tables(profile: Profile, results: str | Path | None = None, out: str | Path | None = None) -> list[Path]:
    """runs.csv, runs.md and runs.html under `out` (default results/<profile>/tables), each written atomically."""
    results = Path(results or f"results/{profile.name}")
    out = Path(out or results / "tables")
    table = runs_table(profile, results)
    csv_path, md_path, html_path = out / "runs.csv", out / "runs.md", out / "runs.html"
    atomic.write_text(csv_path, table.to_csv(index=False))
    atomic.write_text(md_path, to_markdown(profile, table))
    atomic.write_text(html_path, to_html(profile, table))
    return [csv_path, md_path, html_path]
