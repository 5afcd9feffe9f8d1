"""wgan-repro: every experiment of "Wasserstein GAN" and "Improved Training of Wasserstein GANs", regenerated.

    snakemake --cores all figures                                   # embedded default profile (CPU, minutes)
    snakemake --cores all figures --configfile configs/paper.yaml   # the papers' scale (GPU)
    snakemake figures --configfile configs/paper.yaml --workflow-profile profiles/slurm   # as cluster jobs

Data flow: prepare (image stores) → train (one job per run × seed) → evaluate (metrics per snapshot)
→ figure / table → report; generator-free toy experiments (toy) → figure.
Rules only call `python -m repro …`; the papers' hyperparameters live in repro/registry.py.
"""

from snakemake.utils import min_version, update_config, validate

from repro.config import check_profile, typed_overrides

min_version("9.0")


if not workflow.overwrite_configfiles:  # a --configfile replaces the embedded default instead of merging with it

    configfile: f"{workflow.basedir}/configs/default.yaml"



update_config(config, typed_overrides(workflow.config_settings.config))  # --config 'train={iters: 5}' gives '5'
check_profile(config, "profile (--configfile / --config)")  # one line naming the key, before any job
validate(config, "configs/schema/profile.schema.yaml")


report: "rules/report/workflow.rst"  # the report's first page: the claims table, then the papers' figures


include: "rules/common.smk"
include: "rules/data.smk"
include: "rules/train.smk"
include: "rules/evaluate.smk"
include: "rules/toys.smk"
include: "rules/figures.smk"


rule all:
    input:
        rules.figures.input,
        rules.tables.input,
    default_target: True


onsuccess:
    print(f"\nFigures (PNG, PDF, caption .md and .html): {FIGURE_DIR}/\nTables (CSV, Markdown, HTML): {RESULTS}/tables/\n"
          f"Runs: {RESULTS}/runs/\nHTML report: `snakemake --cores all report` (same --configfile) writes {RESULTS}/report.html")
