# One evaluation job per run × seed: every generator snapshot measured (profile key `metrics`), one CSV row each.

EVALUATE_RESOURCES = {"runtime": 60, "mem_mb": 4000, **config.get("resources", {}).get("evaluate", {})}


rule evaluate:
    input:
        meta=f"{RESULTS}/runs/{{run}}/seed{{seed}}/meta.json",
        store=lambda wc: store_manifest(wc.run),
    output:
        f"{RESULTS}/metrics/{{run}}/seed{{seed}}.csv",
    log:
        f"{RESULTS}/logs/evaluate/{{run}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/evaluate/{{run}}/seed{{seed}}.tsv"
    params:
        profile=PROFILE_FILE,
        run_dir=lambda wc: run_dir(wc.run, wc.seed),
        metrics=config.get("metrics", {}),  # a changed protocol reruns the job
    priority: longest_first
    threads: 4 if ON_GPU else 1
    resources:
        gpu=1 if ON_GPU and config.get("metrics", {}).get("image", ["swd"]) != [] else 0,
        runtime=EVALUATE_RESOURCES["runtime"],
        mem_mb=EVALUATE_RESOURCES["mem_mb"],
    conda:
        "../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} python -m repro evaluate {params.run_dir:q} --config {params.profile:q} "
        "--out {output:q} --quiet >> {log:q} 2>&1"
