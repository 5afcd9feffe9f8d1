# One job per generator-free toy experiment (WGAN Figs 1-2, WGAN-GP Fig 1a): critics trained on CPU, arrays stored.

TOY_RESOURCES = {"runtime": 60, "mem_mb": 2000, **config.get("resources", {}).get("toy", {})}


rule toy:
    output:
        f"{RESULTS}/toys/{{experiment}}.npz",
    log:
        f"{RESULTS}/logs/toy/{{experiment}}.log",
    benchmark:
        f"{RESULTS}/benchmarks/toy/{{experiment}}.tsv"
    params:
        profile=PROFILE_FILE,
        toys=config.get("toys", {}),  # a changed scale reruns the job
    threads: 1
    priority: 1000  # each trains dozens of critics: start beside the 1000-iteration runs, not after every run
    resources:
        runtime=TOY_RESOURCES["runtime"],
        mem_mb=TOY_RESOURCES["mem_mb"],
    conda:
        "../environment.yml"
    shell:
        "OMP_NUM_THREADS={threads} python -m repro toy {wildcards.experiment:q} --config {params.profile:q} "
        "--out {output:q} > {log:q} 2>&1"
