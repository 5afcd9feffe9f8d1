# Image and text stores, built once from raw data (profile key data.<dataset>.prepare).

import shlex


def _prepare_commands(entry):
    """The shell commands of a data entry's prepare job, every profile value quoted: a path is never code."""
    spec = entry["prepare"]
    size = spec.get("size", config["train"].get("image_size", 64))
    if spec["dataset"] == "lsun":  # the training LMDB, and the validation one into the entry's `validation` store
        lsun = ["python", "-m", "repro", "prepare", "lsun", "--size", size, "--workers", spec.get("workers", 1),
                "--quiet"]
        source = ["--lmdb", spec["lmdb"]] if "lmdb" in spec else ["--images", spec["images"]]  # a copy of the images
        limit = ["--limit", spec["limit"]] if "limit" in spec else []
        commands = [lsun + source + limit + ["--out", entry["store"]]] + \
            ([lsun + ["--lmdb", spec["validation_lmdb"], "--out", entry["validation"]]]
             if "validation_lmdb" in spec else [])
    elif spec["dataset"] == "billion-word":  # a text store: no image size
        source = ["--root", spec["root"]] if "root" in spec else ["--text", spec["text"]] if "text" in spec else \
            ["--builtin"]
        limit = ["--max-lines", spec["max_lines"]] if "max_lines" in spec else []
        commands = [["python", "-m", "repro", "prepare", "billion-word", *source, *limit, "--out", entry["store"],
                     "--quiet"]]
    elif spec["dataset"] in SPLIT_DATASETS:  # writes every split side by side
        # an image-folder copy of CIFAR-10 when given; otherwise the torchvision files (ImageNet needs a login)
        source = ["--images", spec["images"]] if "images" in spec else \
            ["--root", spec["root"]] + (["--download"] if spec["dataset"] != "imagenet32" else [])
        commands = [["python", "-m", "repro", "prepare", spec["dataset"], *source, "--size", size,
                     "--out", os.path.dirname(entry["store"]), "--quiet"]]
    else:
        commands = [["python", "-m", "repro", "prepare", spec["dataset"], "--size", size, "--out", entry["store"],
                     "--quiet"]]
    # --overwrite: Snakemake runs a prepare job only to replace its outputs, and a split dataset's other splits
    # (not outputs) would otherwise keep the older store's manifest and refuse the new one
    return [shlex.join(map(str, command + ["--overwrite"])) for command in commands]


for _name, _entry in config["data"].items():
    if isinstance(_entry, dict) and "prepare" in _entry:

        rule:
            name:
                f"prepare_{_name.replace('-', '_')}"
            output:
                [f"{store}/manifest.json" for store in prepared_stores(_entry)],
            log:
                f"{RESULTS}/logs/prepare/{_name}.log",
            benchmark:
                f"{RESULTS}/benchmarks/prepare/{_name}.tsv"
            params:
                command=" && ".join(_prepare_commands(_entry)),
            threads: _entry["prepare"].get("workers", 1)
            conda:
                "../environment.yml"
            shell:
                "({params.command}) > {log:q} 2>&1"
