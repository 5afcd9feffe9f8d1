# One job per registered run × seed. Only final.pt and meta.json are declared: the run directory's ckpt/ is
# left alone by Snakemake, so a retried or requeued job resumes from its newest checkpoint. Without a fixed
# resources.train.runtime, each job's time limit comes from the cost job's FLOP count of its run.

ON_GPU = config.get("device", "auto") != "cpu"


rule cost:
    input:
        PROFILE_FILE,  # rewritten only when the profile changes
    output:
        COST,
    log:
        f"{RESULTS}/logs/cost.log",
    localrule: True
    conda:
        "../environment.yml"
    shell:
        "python -m repro cost --config {input:q} --out {output:q} --quiet > {log:q} 2>&1"


rule train:
    input:
        stores=lambda wc: store_manifest(wc.run),
        cost=ancient(COST) if ESTIMATED_RUNTIME else [],  # ancient: a recount never reruns finished training
    output:
        final=f"{RESULTS}/runs/{{run}}/seed{{seed}}/final.pt",
        meta=f"{RESULTS}/runs/{{run}}/seed{{seed}}/meta.json",
    log:
        f"{RESULTS}/logs/train/{{run}}/seed{{seed}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/train/{{run}}/seed{{seed}}.tsv"
    params:
        profile=PROFILE_FILE,
        out=lambda wc: run_dir(wc.run, wc.seed),
    priority: longest_first
    threads: 4 if ON_GPU else 1
    resources:
        gpu=1 if ON_GPU else 0,
        runtime=train_runtime,
        mem_mb=TRAIN_RESOURCES["mem_mb"],
    conda:
        "../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} python -m repro train {wildcards.run:q} --config {params.profile:q} "
        "--seed {wildcards.seed:q} --out {params.out:q} --quiet >> {log:q} 2>&1"
