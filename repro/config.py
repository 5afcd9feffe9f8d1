"""Profiles (configs/*.yaml) validated against configs/schema, and the resolved config of one run × seed."""

import dataclasses
import fnmatch
import math
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

from repro.data import TEXT_DATASETS, TOY_SOURCES
from repro.errors import ConfigError, did_you_mean
from repro.nets import PAPER_WIDTH, get_arch
from repro.registry import RUNS, SWEEP_SIZE, OptimSpec, Warmup, get_run

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "configs" / "schema" / "profile.schema.yaml"


@dataclass(frozen=True)
class MetricsSpec:
    """How `python -m repro evaluate` measures a run's generator snapshots (schema key `metrics`)."""

    every: int = 1000
    image: tuple[str, ...] = ("swd",)
    samples: int = 2048
    final_samples: int | None = None
    toy_samples: int = 1000
    text_samples: int = 640  # gan_language.py: 10 × 64 argmax-decoded samples per n-gram measurement
    extractor: str = "inception-v3-compat"
    extractor_per_run: dict = dataclasses.field(default_factory=dict)
    extractor_module: str | None = None
    inception_weights: str | None = None

    @property
    def fidelity(self) -> tuple[str, ...]:
        """The requested metrics computed by torch-fidelity, in its names (isc, fid, kid)."""
        return tuple({"is": "isc", "fid": "fid", "kid": "kid"}[m] for m in self.image if m != "swd")

    def for_run(self, run: str) -> "MetricsSpec":
        """This protocol with the feature extractor `extractor_per_run` gives `run` (a name or a pattern)."""
        return dataclasses.replace(self, extractor=per_run(self.extractor_per_run, run) or self.extractor)


@dataclass(frozen=True)
class ToySpec:
    """Scale of the generator-free toy experiments (schema key `toys`): a fraction of the registry's critic steps
    per experiment and a cap on the critics' hidden width."""

    scale: dict = dataclasses.field(default_factory=dict)
    width: int | None = None
    surfaces: str = "figure"
    seeds: tuple[int, ...] | None = None  # absent: the profile's train.seeds

    def fit(self, experiment: str, fit):
        """The registry's CriticFit of `experiment` at this profile's scale (at least one step)."""
        return dataclasses.replace(fit, steps=max(1, round(fit.steps * self.scale.get(experiment, 1.0))),
                                   width=min(fit.width, self.width or fit.width))


PAPER_THRESHOLDS = tuple(t / 2 for t in range(2, 19))  # WGAN-GP Table 5: Inception score 1.0, 1.5, …, 9.0


@dataclass(frozen=True)
class SweepSpec:
    """The random-architecture study at a profile's scale (schema key `random_architectures`). Without
    thresholds, an Inception score takes the paper's and a distance takes every observed score (the table is then
    the whole step function of success counts)."""

    architectures: int = SWEEP_SIZE
    score: str = "is"
    thresholds: tuple[float, ...] | None = PAPER_THRESHOLDS

    @property
    def higher_is_better(self) -> bool:
        return self.score == "is"


@dataclass(frozen=True)
class Profile:
    path: str
    name: str
    device: str
    image_size: int
    widths: dict
    seeds: list
    sample_every: int
    checkpoint_every: int
    data: dict
    sampling: str = "epoch"
    compile: str = "off"
    channels_last: bool = False
    tensorboard: bool = False  # event files beside log.csv (repro.monitor); not part of any run's config
    iters: int | None = None
    iters_per_run: dict = dataclasses.field(default_factory=dict)
    validation_every: int | None = None
    batch_per_run: dict = dataclasses.field(default_factory=dict)
    subset_per_run: dict = dataclasses.field(default_factory=dict)
    seeds_per_run: dict = dataclasses.field(default_factory=dict)
    leave_out: tuple = ()
    metrics: MetricsSpec = MetricsSpec()
    toys: ToySpec = ToySpec()
    sweep: SweepSpec = SweepSpec()
    max_runtime: int = 4320  # minutes: the cap of a training job's estimated time limit (resources.train)

    def trains(self, run: str) -> bool:
        """Whether this profile trains the registry run: every run but those of `train.leave_out` and the
        random-architecture sweep's beyond its first `random_architectures.architectures`."""
        return self._in_sweep(run) and not self._leaves_out(run)

    def _in_sweep(self, run: str) -> bool:
        index = RUNS[run].sweep_index
        return index is None or index < self.sweep.architectures

    def _leaves_out(self, run: str) -> bool:
        return any(fnmatch.fnmatchcase(run, pattern) for pattern in self.leave_out)

    @property
    def runs(self) -> list[str]:
        return [name for name in RUNS if self.trains(name)]

    @property
    def toy_seeds(self) -> list[int]:
        """The seeds each generator-free toy experiment trains its critics with (`toys.seeds`, else `seeds`)."""
        return list(self.toys.seeds or self.seeds)

    def seeds_of(self, run: str) -> list[int]:
        """The seeds `run` is trained with: `train.seeds_per_run`'s (a name or a pattern), else `train.seeds`."""
        return list(per_run(self.seeds_per_run, run) or self.seeds)

    @property
    def departures(self) -> list[str]:
        """What this profile changes from the papers' scale, in the words captions and table headers use (empty:
        the papers' scale)."""
        left_out = self._left_out
        changes = [("fewer generator iterations", self.iters or self.iters_per_run),
                   ("smaller batches", self.batch_per_run),
                   (f"{self.image_size}×{self.image_size} images", self.image_size != 64),
                   ("narrower nets", any(w < PAPER_WIDTH[family] for family, w in self.widths.items())),
                   ("other training subsets", self.subset_per_run),
                   (f"{left_out} run{'s' * (left_out != 1)} left out by train.leave_out", left_out),
                   (f"{self.sweep.architectures} of the {SWEEP_SIZE} random architectures",
                    self.sweep.architectures < SWEEP_SIZE),
                   ("stand-in data (the bundled MNIST digits)", "mnist-bundled" in yaml.safe_dump(self.data)),
                   ("stand-in text (Python's own help texts)", self._builtin_text)]
        return [words for words, changed in changes if changed]

    @property
    def _left_out(self) -> int:
        """How many runs `train.leave_out` takes from those the profile would train."""
        return sum(self._in_sweep(run) and self._leaves_out(run) for run in RUNS)

    @property
    def _builtin_text(self) -> bool:
        """Whether the language model's lines are the offline stand-in: the source `python-help-text`, or a store
        `prepare billion-word` writes without --root or --text."""
        entry = self.data.get("billion-word")
        prepare = entry.get("prepare", {}) if isinstance(entry, dict) else {}
        return "python-help-text" in yaml.safe_dump(entry) or (
            prepare.get("dataset") == "billion-word" and not {"root", "text"} & set(prepare))

    @property
    def scale(self) -> str:
        """'the papers' scale', else 'a reduced-scale reproduction (…what differs…)'."""
        return f"a reduced-scale reproduction ({', '.join(self.departures)})" if self.departures else \
            "the papers' scale"


@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run; written to the run directory as config.yaml."""

    run: str
    profile: str
    seed: int
    objective: str
    generator: str
    critic: str
    dataset: str
    data_source: str
    iters: int
    batch_size: int
    nz: int
    image_size: int
    width_g: int
    width_d: int
    n_extra_layers: int
    critic_norm: str
    opt_g: OptimSpec
    opt_d: OptimSpec
    n_critic: int
    warmup: Warmup | None
    clip: float
    clip_when: str
    gp_lambda: float
    gp_one_sided: bool
    lr_decay: bool
    sampling: str
    sample_every: int
    checkpoint_every: int
    snapshot_every: int
    gen_batch_multiple: int = 1  # the generator step's batch is this many critic batches (gan_cifar_resnet.py: 2)
    gan_loss_halved: bool = False  # ½[BCE(real) + BCE(fake)], the WGAN-GP scripts' MODE dcgan (repro.objectives.GAN)
    bn_groups: int = 1  # generator batches normalised in this many equal groups (gan_cifar_resnet.py's 2 towers)
    eval_batch: int = 64  # evaluation's generator batch (gan_cifar.py, gan_cifar_resnet.py: 100)
    sample_grid: int = 8  # the fixed-noise sheet: sample_grid² samples, sample_grid to a row (gan_cifar_resnet.py: 10)
    dequantize: bool = False  # real pixels 2·(x/256 − 0.5) + U[0, 1/128) (gan_cifar_resnet.py)
    inception_every: int = 0  # the script's own Inception-score cadence, where the profile measures IS (0: none)
    inception_samples: int = 0
    acgan_scales: tuple[float, float] | None = None  # AC-GAN class-loss weights (critic, generator); None = off
    train_subset: int | None = None  # seeded subset of the source that is trained on
    validation_every: int = 0  # iterations between validation critic losses (0: none)
    validation_source: str | None = None  # held-out images; None = what the training subset leaves out
    hold_out: int = 0  # images of the source never trained on (the validation images when there is no source)
    architecture: dict | None = None  # the Table 1 point of a random-architecture run (repro.nets.ArchChoice)
    compile: str = "off"  # torch.compile mode of the nets (repro.engine.compile_nets); the math is the eager path's
    channels_last: bool = False  # channels-last nets where it helps (repro.engine.use_channels_last); same math

    @classmethod
    def from_dict(cls, d: dict) -> "RunConfig":
        """The inverse of to_dict: a run directory's config.yaml back to a RunConfig."""
        d = dict(d)
        for key in ("opt_g", "opt_d"):
            d[key] = OptimSpec(**{**d[key], "betas": tuple(d[key]["betas"])})
        d["warmup"] = Warmup(**d["warmup"]) if d["warmup"] else None
        if d.get("acgan_scales"):
            d["acgan_scales"] = tuple(d["acgan_scales"])
        return cls(**d)

    def to_dict(self) -> dict:
        """Plain YAML-able values (tuples become lists), so a saved config compares equal to a fresh one."""
        return yaml.safe_load(yaml.safe_dump(dataclasses.asdict(self)))

    def differing_keys(self, saved: dict, ignore=("iters", "snapshot_every", "compile", "channels_last",
                                                  "inception_every", "inception_samples")) -> list[str]:
        """Keys whose values differ from a saved config.yaml; a key an older config lacks counts as its default."""
        mine = self.to_dict()
        defaults = {f.name: f.default for f in dataclasses.fields(self) if f.default is not dataclasses.MISSING}
        saved = {**yaml.safe_load(yaml.safe_dump(defaults)), **saved}
        return sorted(k for k in set(mine) | set(saved) if k not in ignore and mine.get(k) != saved.get(k))


def _schema() -> dict:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _describe(error: jsonschema.ValidationError, path: str) -> str:
    """One line naming the file, the key, the value and what is allowed."""
    where = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "oneOf":  # a data entry: what is wrong in the form it has (string or mapping)
        inside = [e for e in error.context if e.relative_path or e.validator != "type"]
        if inside:
            return _describe(min(inside, key=lambda e: list(e.relative_path)), path)
    if error.validator == "not" and "pattern" in error.validator_value:  # $defs/path
        return f"{path}: {where} = {error.instance!r} contains a control character; remove it from the path"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in allowed]
        key = unknown[0]
        full = f"{where}.{key}" if where else key
        return (f"{path}: unknown key {full!r} = {error.instance[key]!r}{did_you_mean(key, allowed)}; "
                f"allowed keys here: {', '.join(allowed) or 'none'}")
    if error.validator == "enum":
        return f"{path}: {where} = {error.instance!r} is not allowed; allowed values: " + \
            ", ".join(map(repr, error.validator_value))
    if error.validator == "required":
        return f"{path}: {error.message} (at {where or 'top level'})"
    return f"{path}: {where or 'top level'} = {error.instance!r}: {error.message}"


def check_profile(raw, where: str) -> None:
    """Schema check with a one-line error (the Snakefile calls it on the merged --configfile/--config too)."""
    errors = sorted(jsonschema.Draft202012Validator(_schema()).iter_errors(raw), key=lambda e: list(e.path))
    if errors:
        raise ConfigError(_describe(errors[0], where))


TYPES = jsonschema.Draft202012Validator.TYPE_CHECKER  # JSON types of Python values: 5 is an integer, True is not


def typed_overrides(overrides) -> dict:
    """Snakemake's `--config` values with the schema's types: its parser leaves every value inside a nested
    override a string (`train={iters: 5}` gives '5'), so a string becomes the integer, number or boolean (or the
    number of an enum) the schema asks for there when it reads as one; anything else is left for validation."""
    schema = _schema()
    return _typed(dict(overrides), schema, schema)


def _referenced(schema: dict, root: dict) -> dict:
    """The schema a "#/$defs/<name>" reference points at, as profile.schema.yaml writes them."""
    while "$ref" in schema:
        schema = root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _typed(value, schema: dict, root: dict):
    """`value` with its strings typed by `schema`, a part of `root` (the profile schema)."""
    schema = _referenced(schema, root)
    if "oneOf" in schema:  # the branch of the value's own kind (a data entry: a string or a mapping)
        for branch in schema["oneOf"]:
            typed, kind = _typed(value, branch, root), _referenced(branch, root).get("type")
            if kind is None or TYPES.is_type(typed, kind):
                return typed
        return value
    if isinstance(value, dict):
        extra = schema.get("additionalProperties")
        return {key: _typed(item, schema.get("properties", {}).get(key, extra if isinstance(extra, dict) else {}),
                            root) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item, schema.get("items", {}), root) for item in value]
    return _parsed(value, schema) if isinstance(value, str) else value


def _parsed(text: str, schema: dict):
    """`text` as the scalar the schema wants, read as YAML reads it (5, 0.5, true), else `text` itself."""
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    if "enum" in schema:
        return value if any(value == option and type(value) is type(option) for option in schema["enum"]) else text
    kind = schema.get("type")
    if kind in ("integer", "number", "boolean") and TYPES.is_type(value, kind):
        return value
    if kind == "number":  # 1e-3: YAML 1.1 reads a float only with a dot
        try:
            return float(text) if math.isfinite(float(text)) else text
        except ValueError:
            return text
    return text


def per_run(mapping: dict, run: str):
    """The value `mapping` gives `run`: its own name's, else that of the most specific shell-style pattern that
    matches it (the most literal characters: `lsun-resnet101-*` beats `lsun-*`), else None."""
    if run in mapping:
        return mapping[run]
    matches = [key for key in mapping if fnmatch.fnmatchcase(run, key)]
    return mapping[max(matches, key=lambda key: len(key.strip("*?")) - key.count("*") - key.count("?"))] \
        if matches else None


def _check_run_keys(path: Path, key: str, mapping: dict) -> None:
    for name in mapping:
        if not any(fnmatch.fnmatchcase(run, name) for run in RUNS):
            raise ConfigError(f"{path}: {key} has unknown run {name!r}{did_you_mean(name, RUNS)}; "
                              f"use a run name or a pattern such as 'lsun-*-wgan-gp' (`python -m repro runs` lists "
                              f"them)")


def load_profile(path: str | Path) -> Profile:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: profile not found; use configs/default.yaml or configs/paper.yaml") from None
    except IsADirectoryError:
        raise ConfigError(f"{path}: is a directory, not a profile; give a file such as configs/default.yaml") \
            from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the profile ({e.strerror})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file; a profile is YAML such as configs/default.yaml") from None
    except yaml.YAMLError as e:
        raise ConfigError(f"{path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if raw is None:
        raise ConfigError(f"{path}: the profile is empty; start from a copy of configs/default.yaml")
    check_profile(raw, str(path))
    train = raw["train"]
    for key in ("iters_per_run", "batch_per_run", "subset_per_run", "seeds_per_run"):
        _check_run_keys(path, f"train.{key}", train.get(key, {}))
    _check_run_keys(path, "train.leave_out", train.get("leave_out", []))
    _check_run_keys(path, "metrics.extractor_per_run", raw.get("metrics", {}).get("extractor_per_run", {}))
    return Profile(
        path=str(path), name=raw["profile"], device=raw.get("device", "auto"),
        image_size=train.get("image_size", 64), widths={**PAPER_WIDTH, **train.get("widths", {})},
        seeds=train.get("seeds", [0]), sample_every=train.get("sample_every", 500),
        checkpoint_every=train.get("checkpoint_every", 1000), data=raw["data"], sampling=train.get("sampling", "epoch"),
        compile=train.get("compile", "off"), channels_last=train.get("channels_last", False),
        tensorboard=train.get("tensorboard", False),
        iters=train.get("iters"), iters_per_run=train.get("iters_per_run", {}),
        batch_per_run=train.get("batch_per_run", {}), subset_per_run=train.get("subset_per_run", {}),
        seeds_per_run=train.get("seeds_per_run", {}), leave_out=tuple(train.get("leave_out", [])),
        validation_every=train.get("validation_every"),
        metrics=MetricsSpec(**{k: tuple(v) if k == "image" else v for k, v in raw.get("metrics", {}).items()}),
        toys=ToySpec(**{k: tuple(v) if k == "seeds" else v for k, v in raw.get("toys", {}).items()}),
        sweep=_sweep(path, raw),
        max_runtime=raw.get("resources", {}).get("train", {}).get("max_runtime", Profile.max_runtime))


def _sweep(path: Path, raw: dict) -> SweepSpec:
    """The profile's sweep; the score defaults to the Inception score where measured, else the first metric."""
    given = raw.get("random_architectures", {})
    measured = raw.get("metrics", {}).get("image", MetricsSpec.image)
    score = given.get("score", "is" if "is" in measured else measured[0])
    if score not in measured:
        raise ConfigError(f"{path}: random_architectures.score = {score!r} is not measured; add it to "
                          f"metrics.image ({', '.join(measured)}) or pick one of those")
    thresholds = given.get("thresholds", PAPER_THRESHOLDS if score == "is" else None)
    return SweepSpec(given.get("architectures", SWEEP_SIZE), score, thresholds and tuple(thresholds))


def resolve(run_name: str, profile: Profile, seed: int, iters: int | None = None) -> RunConfig:
    """The registry's run scaled by the profile; `iters` (command line) overrides the profile's count."""
    run = get_run(run_name)
    validation, hold_out = None, 0
    if run.dataset in TOY_SOURCES:
        source = run.dataset
    elif run.dataset in profile.data:
        entry = profile.data[run.dataset]
        source = entry["store"] if isinstance(entry, dict) else entry
        validation = entry.get("validation") if isinstance(entry, dict) else None
        hold_out = entry.get("hold_out", 0) if isinstance(entry, dict) else 0
    else:
        raise ConfigError(f"{profile.path}: data has no entry for {run.dataset!r}, which run {run_name!r} needs; "
                          f"add e.g. `data: {{{run.dataset}: "
                          f"{'python-help-text' if run.dataset in TEXT_DATASETS else 'mnist-bundled'}}}`")
    if iters is not None and iters < 1:
        raise ConfigError(f"--iters {iters}: must be a positive number of generator iterations")
    inception_every = run.inception_every if "is" in profile.metrics.image else 0
    batch_size = per_run(profile.batch_per_run, run.name) or run.batch_size
    if batch_size % run.bn_groups:
        raise ConfigError(f"{profile.path}: train.batch_per_run gives {run_name} batch {batch_size}, which its "
                          f"{run.bn_groups} groups of batch statistics (the official code's towers) cannot split "
                          f"evenly; use a multiple of {run.bn_groups}")
    return RunConfig(
        run=run.name, profile=profile.name, seed=seed, objective=run.objective,
        generator=run.generator, critic=run.critic, dataset=run.dataset, data_source=source,
        iters=iters or per_run(profile.iters_per_run, run.name) or profile.iters or run.iters,
        batch_size=batch_size, nz=run.nz,
        image_size=run.image_size or profile.image_size,
        width_g=profile.widths[get_arch(run.generator).family], width_d=profile.widths[get_arch(run.critic).family],
        n_extra_layers=run.n_extra_layers, critic_norm=run.critic_norm, opt_g=run.opt_g, opt_d=run.opt_d,
        n_critic=run.n_critic, warmup=run.warmup, clip=run.clip, clip_when=run.clip_when,
        gp_lambda=run.gp_lambda, gp_one_sided=run.gp_one_sided, gan_loss_halved=run.gan_loss_halved,
        lr_decay=run.lr_decay, sampling=profile.sampling,
        sample_every=profile.sample_every, checkpoint_every=profile.checkpoint_every,
        snapshot_every=math.gcd(profile.metrics.every, inception_every), gen_batch_multiple=run.gen_batch_multiple,
        bn_groups=run.bn_groups, eval_batch=run.eval_batch, sample_grid=run.sample_grid, dequantize=run.dequantize,
        inception_every=inception_every,
        inception_samples=run.inception_samples if inception_every else 0,
        acgan_scales=run.acgan_scales,
        train_subset=run.train_subset and (per_run(profile.subset_per_run, run.name) or run.train_subset),
        validation_every=run.validation_every and (profile.validation_every or run.validation_every),
        validation_source=validation if run.validation_every else None, hold_out=hold_out,
        architecture=dataclasses.asdict(run.architecture) if run.architecture else None, compile=profile.compile,
        channels_last=profile.channels_last)
