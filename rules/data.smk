# Image stores, built once from raw data (profile key data.<dataset>.prepare).


def _prepare_command(entry):
    spec, size = entry["prepare"], config["train"].get("image_size", 64)
    if spec["dataset"] == "lsun":
        return (f"prepare lsun --lmdb {spec['lmdb']} --size {size} --workers {spec.get('workers', 1)}"
                + (f" --limit {spec['limit']}" if "limit" in spec else ""))
    return f"prepare {spec['dataset']} --size {size}"


for _name, _entry in config["data"].items():
    if isinstance(_entry, dict) and "prepare" in _entry:

        rule:
            name:
                f"prepare_{_name.replace('-', '_')}"
            output:
                f"{_entry['store']}/manifest.json",
            log:
                f"{RESULTS}/logs/prepare/{_name}.log",
            params:
                command=_prepare_command(_entry),
                store=lambda wc, output: os.path.dirname(output[0]),
            threads: _entry["prepare"].get("workers", 1)
            conda:
                "../environment.yml"
            shell:
                "python -m repro {params.command} --out {params.store} --quiet > {log} 2>&1"
