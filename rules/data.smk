# Image stores, built once from raw data (profile key data.<dataset>.prepare).


def _prepare_command(entry):
    spec = entry["prepare"]
    size = spec.get("size", config["train"].get("image_size", 64))
    if spec["dataset"] == "lsun":
        return (f"prepare lsun --lmdb {spec['lmdb']} --size {size} --workers {spec.get('workers', 1)}"
                + (f" --limit {spec['limit']}" if "limit" in spec else "") + f" --out {entry['store']}")
    if spec["dataset"] == "cifar10":  # writes the train and test splits side by side
        return f"prepare cifar10 --root {spec['root']} --download --size {size} --out {os.path.dirname(entry['store'])}"
    return f"prepare {spec['dataset']} --size {size} --out {entry['store']}"


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
            threads: _entry["prepare"].get("workers", 1)
            conda:
                "../environment.yml"
            shell:
                "python -m repro {params.command} --quiet > {log} 2>&1"
