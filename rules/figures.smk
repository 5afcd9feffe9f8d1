# Figures (PNG + PDF + caption) and the tables, drawn on the submitting machine from finished runs and metrics.


rule figure:
    wildcard_constraints:
        name="|".join(FIGURES),  # `claims` is the claims rule's
    input:
        lambda wc: finished(runs_for(wc.name, RESOLVED)),
        lambda wc: evaluated(runs_for(wc.name, RESOLVED)) if FIGURES[wc.name].metrics else [],
        lambda wc: [f"{RESULTS}/toys/{wc.name}.npz"] if wc.name in EXPERIMENTS else [],
    output:
        png=report(
            f"{FIGURE_DIR}/{{name}}.png",
            caption="report/caption.rst",
            category=lambda wc: report_layout.category(wc.name),
            subcategory=lambda wc: report_layout.subcategory(wc.name),
            labels={"figure": "{name}"},
        ),
        pdf=f"{FIGURE_DIR}/{{name}}.pdf",
        caption=f"{FIGURE_DIR}/{{name}}.md",
        caption_html=f"{FIGURE_DIR}/{{name}}.html",
    log:
        f"{RESULTS}/logs/figure/{{name}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/figure/{{name}}.tsv"
    params:
        profile=PROFILE_FILE,
    threads: 1  # beside training jobs: PyTorch would otherwise take every core
    localrule: True
    conda:
        "../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} python -m repro figure {wildcards.name:q} --config {params.profile:q} "
        "> {log:q} 2>&1"


TABLES = ["runs", "summary", "wgangp-table3", "meaningful-loss",  # repro.tables.write_tables
          "wgangp-sweep", "wgangp-table2", "wgangp-appC", "wgangp-appD"]  # repro.sweep.write_tables


rule table:
    input:
        finished(RESOLVED.runs),
        evaluated(evaluated_runs(RESOLVED)),
    output:
        expand(f"{RESULTS}/tables/{{table}}.{{ext}}", table=TABLES, ext=["csv", "md"]),
        [report(f"{RESULTS}/tables/{table}.html", category=report_layout.category(table),
                subcategory=report_layout.subcategory(table), labels={"table": table}) for table in TABLES],
    log:
        f"{RESULTS}/logs/table/tables.log",
    benchmark:
        f"{RESULTS}/benchmarks/table/tables.tsv"
    params:
        profile=PROFILE_FILE,
    threads: 1
    localrule: True
    conda:
        "../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} python -m repro table --config {params.profile:q} > {log:q} 2>&1"


rule claims:
    input:
        finished(RESOLVED.runs),
        evaluated(evaluated_runs(RESOLVED)),
        expand(f"{RESULTS}/toys/{{experiment}}.npz", experiment=EXPERIMENTS),
    output:
        expand(f"{RESULTS}/tables/claims.{{ext}}", ext=["csv", "md"]),
        report(f"{RESULTS}/tables/claims.html", category=report_layout.category("claims"),
               subcategory=report_layout.subcategory("claims"), labels={"table": "claims"}),
        report(
            f"{FIGURE_DIR}/claims.png",
            caption="report/caption.rst",
            category=report_layout.category("claims"),
            subcategory=report_layout.subcategory("claims"),
            labels={"figure": "claims"},
        ),
        f"{FIGURE_DIR}/claims.pdf",
        f"{FIGURE_DIR}/claims.md",
        caption_html=f"{FIGURE_DIR}/claims.html",
    log:
        f"{RESULTS}/logs/claims.log",
    benchmark:
        f"{RESULTS}/benchmarks/claims/claims.tsv"
    params:
        profile=PROFILE_FILE,
    threads: 1
    localrule: True
    conda:
        "../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} python -m repro claims --config {params.profile:q} > {log:q} 2>&1"


rule figures:
    input:
        expand(f"{FIGURE_DIR}/{{name}}.{{ext}}", name=FIGURES, ext=["png", "pdf", "md", "html"]),
        rules.claims.output,
    localrule: True


rule tables:
    input:
        rules.table.output,
    localrule: True


rule report:
    input:
        rules.figures.input,
        rules.tables.input,
    output:
        f"{RESULTS}/report.html",
    log:
        f"{RESULTS}/logs/report.log",
    params:
        profile=PROFILE_FILE,
        snakefile=workflow.main_snakefile,
    localrule: True
    conda:
        "../environment.yml"
    shell:
        "snakemake --snakefile {params.snakefile:q} --report {output:q} --configfile {params.profile:q} --nolock "
        "> {log:q} 2>&1"
