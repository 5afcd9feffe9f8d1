"""The papers' runs: every hyperparameter written once, with the spec section it comes from.

A profile (configs/*.yaml) only scales these runs: iterations, image size, widths, seeds, cadence, data source.
"""

from dataclasses import dataclass, replace

from repro.errors import ConfigError, did_you_mean
from repro.nets.table1 import ArchChoice, sample_architecture


@dataclass(frozen=True)
class OptimSpec:
    """An optimizer as repro.optim builds it."""

    name: str  # "rmsprop" | "rmsprop_tf" | "adam" | "adam_tf"
    lr: float
    betas: tuple[float, float] = (0.5, 0.999)
    weight_decay: float = 0.0  # L2: wd·w added to the gradient (WGAN-GP App. B: 1e-3 on normalised critics)


@dataclass(frozen=True)
class Warmup:
    """Official WGAN code: `critic_iters` critic steps while gen_iter < `first` or gen_iter % `every` == 0
    (spec/wgan.md §2.4; "forgotten" in the paper, README)."""

    critic_iters: int = 100
    first: int = 25
    every: int = 500


@dataclass(frozen=True)
class Run:
    name: str
    paper: str  # "wgan" | "wgangp"
    objective: str  # see repro.objectives.OBJECTIVES
    generator: str  # see repro.nets.ARCHITECTURES
    critic: str
    dataset: str  # logical name; the profile maps image datasets to a concrete source
    iters: int  # generator iterations at the paper's scale
    opt_g: OptimSpec
    opt_d: OptimSpec
    about: str
    figures: tuple[str, ...] = ()
    n_critic: int = 5
    warmup: Warmup | None = None
    clip: float = 0.01
    clip_when: str = "before_step"
    gp_lambda: float = 10.0
    gp_one_sided: bool = False
    gan_loss_halved: bool = False  # the discriminator cost ½[BCE(real) + BCE(fake)] of the WGAN-GP scripts' MODE dcgan
    batch_size: int = 64
    gen_batch_multiple: int = 1
    # gan_cifar_resnet.py's N_GPUS = 2 towers (its device list doubled on one GPU): each generator batch is
    # normalised in this many equal groups (the critic step's 64 fakes as 2 × 32, the generator step's 128 as 2 × 64)
    bn_groups: int = 1
    eval_batch: int = 64  # evaluation samples the generator in batches of this many (BN statistics over each)
    sample_grid: int = 8  # the fixed-noise sheet's side: sample_grid² samples, a row of sample_grid per grid row
    dequantize: bool = False  # real pixels 2·(x/256 − 0.5) + U[0, 1/128) (gan_cifar_resnet.py), not 2·(x/255 − 0.5)
    # the Inception score the official script logs while training: `inception_samples` samples (10 splits) every
    # `inception_every` generator iterations, measured where the profile measures IS (0: none beyond the profile's)
    inception_every: int = 0
    inception_samples: int = 0
    acgan_scales: tuple[float, float] | None = None  # (critic, generator) class-loss weights of an AC-GAN run
    nz: int = 100
    n_extra_layers: int = 0
    critic_norm: str = "batch"
    lr_decay: bool = False
    image_size: int | None = None  # the nets' only size (gan_cifar.py: 32; gan_language.py: 32 symbols); None = the
    # profile's image_size
    train_subset: int | None = None  # train on this many images of the dataset (seeded); the rest can validate
    validation_every: int = 0  # log the critic loss on held-out images every this many iterations (0: never)
    sweep_index: int | None = None  # the random-architecture sweep's architecture this run trains (Tables 1-2)
    elu: bool = False  # App. D: the sweep's architecture with ELU where it drew the smooth stand-in
    source: str = ""

    @property
    def architecture(self) -> ArchChoice | None:
        """The Table 1 point of a random-architecture run: the seeded sweep's entry `sweep_index` (with ELU put
        back for an App. D run)."""
        if self.sweep_index is None:
            return None
        choice = sample_architecture(self.sweep_index, SWEEP_SEED)
        return choice.with_elu() if self.elu else choice


@dataclass(frozen=True)
class CriticFit:
    """A critic trained to (near) optimality between two fixed distributions (repro.toys.fit): no generator,
    `steps` critic steps of `batch_size`, each real batch used for `reuse` consecutive steps (the fake batch is
    drawn afresh at every step)."""

    objective: str
    opt: OptimSpec
    steps: int
    batch_size: int
    width: int
    depth: int = 4  # Linear layers: depth − 1 hidden ReLU layers of `width`
    clip: float = 0.01
    gp_lambda: float = 10.0
    reuse: int = 1


# WGAN paper (spec/wgan.md §7): Algorithm 1 hyperparameters, official code's schedule and clip placement.
RMSPROP_5E5 = OptimSpec("rmsprop", 5e-5)
_wgan = dict(paper="wgan", objective="wgan", dataset="lsun-bedroom", iters=600_000, opt_g=RMSPROP_5E5,
             opt_d=RMSPROP_5E5, warmup=Warmup(), source="spec/wgan.md §2.1-§2.5, §7")
# The GAN baselines' optimizer is not in the paper (spec/wgan.md §6.3): the standard DCGAN recipe, one D step
# per G step; `gan-dcgan-alg1` is the other reading ("Algorithm 1 hyperparameters for all experiments").
# PyTorch's Adam, as the WGAN paper's PyTorch code; every WGAN-GP run follows a TensorFlow 1 script and takes TF1's
# Adam (`adam_tf`: ε added to the uncorrected root), DCGAN's recipe included (tf.train.AdamOptimizer(2e-4, 0.5)).
ADAM_DCGAN = OptimSpec("adam", 2e-4, (0.5, 0.999))
ADAM_DCGAN_TF = OptimSpec("adam_tf", 2e-4, (0.5, 0.999))
ADAM_GP = OptimSpec("adam_tf", 1e-4, (0.5, 0.9))
_gan = dict(paper="wgan", objective="gan", dataset="lsun-bedroom", iters=600_000, opt_g=ADAM_DCGAN,
            opt_d=ADAM_DCGAN, n_critic=1, source="spec/wgan.md §6.3, §7")
# WGAN-GP gan_toy.py defaults (spec/wgangp.md §2.1-§2.3): TF RMSProp + clip after each step, or Adam + GP.
# λ follows the code (0.1); the paper says 10 everywhere (spec/wgangp.md §7) - set gp_lambda to compare.
_toy = dict(paper="wgangp", generator="toy_g", critic="toy_d", iters=100_000, batch_size=256, nz=2,
            figures=("wgangp-toy",), source="spec/wgangp.md §2.1-§2.4")
_toy_wgan = dict(_toy, objective="wgan", opt_g=OptimSpec("rmsprop_tf", 5e-5), opt_d=OptimSpec("rmsprop_tf", 5e-5),
                 clip_when="after_step")
_toy_gp = dict(_toy, objective="wgan-gp", opt_g=ADAM_GP, opt_d=ADAM_GP, gp_lambda=0.1)

# WGAN-GP Figure 3 (spec/wgangp.md §3.3, §5.1): gan_cifar.py's nets (DIM 128, z 128, batch 64, 200k iterations) and
# its curve: the Inception score of 1,000 samples (10 splits of 100, Generator(100)) every 1,000 iterations.
# Clipping = MODE wgan (TF RMSProp 5e-5, clip 0.01 after each critic step, critic BN); GP + Adam = MODE wgan-gp;
# GP + RMSProp is not a code mode (same optimizer and rate as clipping, from the paper); DCGAN = MODE dcgan.
_cifar = dict(paper="wgangp", generator="cifar_g", critic="cifar_d", dataset="cifar10", iters=200_000, nz=128,
              image_size=32, eval_batch=100, inception_every=1000, inception_samples=1000, figures=("wgangp-fig3",),
              source="spec/wgangp.md §1 Fig 3, §3.3, §5.1")
RMSPROP_TF_5E5 = OptimSpec("rmsprop_tf", 5e-5)

# Standard GAN on the toys: gan_toy.py has no GAN mode, so its sibling scripts' MODE=dcgan (spec/wgangp.md §3.1).
_toy_gan = dict(_toy, objective="gan", opt_g=ADAM_DCGAN_TF, opt_d=ADAM_DCGAN_TF, n_critic=1, gan_loss_halved=True)

# WGAN-GP Fig 1b (spec/wgangp.md §1 Fig 1b, §2.6; no script was released): 12-layer ReLU MLPs without BN on the
# Swiss roll, trained as gan_toy.py trains (batch 256, n_critic 5); clipping at c ∈ {0.1, 0.01, 0.001} with TF
# RMSProp 5e-5 after each step, or GP with Adam 1e-4 (0.5, 0.9) and the paper's λ = 10.
_deep = dict(_toy, generator="toy_deep_g", critic="toy_deep_d", dataset="swissroll", figures=("wgangp-fig1b",),
             source="spec/wgangp.md §1 Fig 1b, §2.6")

# WGAN-GP Fig 2 / App. H (spec/wgangp.md §3.5, §4, App. E): seven gan_64x64.py architectures, each trained by four
# methods with the optimizers App. E names (WGAN-GP's β1 = 0.5 as at paper time; the code moved to 0 later) for
# 200k iterations of batch 64 on LSUN bedrooms 64×64 (logical dataset `lsun-bedroom-64`: the nets take no other
# size). For WGAN-GP every critic normalisation is layer norm; the clipping, DCGAN and LSGAN critics keep BN. The
# code clips after every critic step and uses TF RMSProp.
ZOO_ARCHITECTURES = {  # Fig 2's rows: (generator, critic)
    "dcgan": ("zoo64_dcgan_g", "zoo64_dcgan_d"),
    "const-g": ("zoo64_const_g", "zoo64_dcgan_d"),
    "mlp-g": ("zoo64_fc_g", "zoo64_dcgan_d"),
    "no-norm": ("zoo64_dcgan_g_nonorm", "zoo64_dcgan_d_nonorm"),
    "gated": ("zoo64_gated_g", "zoo64_gated_d"),
    "tanh": ("zoo64_dcgan_g_tanh", "zoo64_dcgan_d_tanh"),
    "resnet101": ("zoo64_resnet_g", "zoo64_resnet_d"),
}
ZOO_METHODS = {  # Fig 2's columns
    "dcgan": dict(objective="gan", opt_g=ADAM_DCGAN_TF, opt_d=ADAM_DCGAN_TF, n_critic=1, gan_loss_halved=True),
    "lsgan": dict(objective="lsgan", opt_g=OptimSpec("rmsprop_tf", 1e-4), opt_d=OptimSpec("rmsprop_tf", 1e-4),
                  n_critic=1),
    "wgan": dict(objective="wgan", opt_g=RMSPROP_TF_5E5, opt_d=RMSPROP_TF_5E5, clip_when="after_step"),
    "wgan-gp": dict(objective="wgan-gp", opt_g=ADAM_GP, opt_d=ADAM_GP, critic_norm="layer"),
}
_zoo = dict(paper="wgangp", dataset="lsun-bedroom-64", iters=200_000, nz=128, image_size=64,
            figures=("wgangp-fig2", "wgangp-appH"), source="spec/wgangp.md §1 Fig 2, App. H, §3.5, §4, App. E")

# WGAN-GP Fig 5a (spec/wgangp.md §1 Fig 5, §5.3): the negative critic loss on training and validation images of
# the Fig 2 baseline trained with WGAN-GP (the paper does not name the net; gan_64x64.py logs a dev cost every 200).
FIG5A_RUN = ("dcgan", "wgan-gp")
_fig5a = dict(figures=("wgangp-fig2", "wgangp-appH", "wgangp-fig5a"), validation_every=200)

# WGAN-GP Fig 5b (spec/wgangp.md §3.2, §5.3): gan_mnist.py (DIM 64, z 128, batch 50, n_critic 5) on a seeded
# random 1000-digit subset of MNIST for 20k iterations, the critic loss on the validation split every 100
# iterations (the code's dev cost). Clipping = MODE wgan (TF RMSProp 5e-5, clip 0.01 after each step, BN in G and
# D); GP = MODE wgan-gp (Adam 1e-4, β 0.5/0.9, λ 10, no BN).
_mnist = dict(paper="wgangp", dataset="mnist", iters=20_000, nz=128, image_size=28, batch_size=50,
              train_subset=1000, validation_every=100, figures=("wgangp-fig5b",),
              source="spec/wgangp.md §1 Fig 5b, §3.2, §5.3")

# WGAN-GP Table 3 (spec/wgangp.md §3.4, App. F): gan_cifar_resnet.py, 100k iterations, Adam 2e-4 (β1 0, β2 0.9)
# decayed linearly to 0, the generator step on 2 × 64 samples, no critic normalisation; the supervised model adds
# conditional BN and the AC-GAN head (class-loss weights 1.0 for the critic, 0.1 for the generator). Its two towers
# normalise the fakes in 2 groups; real pixels are scaled by 256 and dequantised; IS samples come in batches of 100.
# Its sample sheet (Fig 6): 100 fixed samples drawn 10×10, a conditional G's classes 0…9 repeated (a class a column).
ADAM_RESNET = OptimSpec("adam_tf", 2e-4, (0.0, 0.9))
_resnet = dict(paper="wgangp", objective="wgan-gp", dataset="cifar10", iters=100_000, nz=128, image_size=32,
               opt_g=ADAM_RESNET, opt_d=ADAM_RESNET, lr_decay=True, gen_batch_multiple=2, critic_norm="none",
               bn_groups=2, eval_batch=100, dequantize=True, sample_grid=10, figures=("wgangp-table3", "wgangp-fig6"),
               source="spec/wgangp.md §1 Table 3, §3.4, App. F")

# WGAN-GP Fig 4 (spec/wgangp.md §1 Fig 4, §3.7): the 128×128 ResNet of wgan_imagenet128.py (@ 2e7b6ad, the first
# commit whose script runs; it trains on ImageNet, the paper's figure on LSUN bedrooms): WGAN-GP with λ 10, 5 critic
# steps, Adam 1e-4 (0, 0.9) decayed linearly to 0 over 200k iterations, batch 64 built as 8 GPUs' fakes of 8, so its
# generator's batch norm sees groups of 8; layer norm in the critic; pixels 2·(x/255 − 0.5).
_lsun128 = dict(paper="wgangp", dataset="lsun-bedroom-128", iters=200_000, nz=128, image_size=128,
                generator="resnet128_g", critic="resnet128_d", objective="wgan-gp", critic_norm="layer",
                opt_g=OptimSpec("adam_tf", 1e-4, (0.0, 0.9)), opt_d=OptimSpec("adam_tf", 1e-4, (0.0, 0.9)),
                lr_decay=True, bn_groups=8, figures=("wgangp-fig4",), source="spec/wgangp.md §1 Fig 4, §3.7")

# WGAN-GP Tables 1-2 / App. B-D (spec/wgangp.md §1 Tables 1, 2, 5, App. B, C, D): architectures drawn from Table 1
# by a seeded sampler (repro.nets.random_arch), each trained with the standard GAN (DCGAN's Adam 2e-4, β 0.5/0.999)
# and with WGAN-GP (Adam 1e-4, β 0/0.9, layer norm in the critic) for 100k iterations on 32×32 ImageNet; weight
# decay 1e-3 on a normalised discriminator. App. C trains the first 174 again with the one-sided penalty (its
# two-sided twin is the WGAN-GP run). App. D: the authors could not train ELU with the penalty and drew its smooth
# stand-in instead; every architecture that drew the stand-in is trained again with WGAN-GP and ELU in its place
# (its stand-in twin is the WGAN-GP run). Unstated in the paper, taken from the authors' 32×32 ImageNet template
# (wgan_imagenet32_stab.py): batch 64 with the generator step on 2 × 64 samples, n_critic 5, z 128.
SWEEP_SEED = 0
SWEEP_SIZE = 200  # Table 2's architectures
ONE_SIDED_SIZE = 174  # App. C's
ADAM_SWEEP_GP = OptimSpec("adam_tf", 1e-4, (0.0, 0.9))
SWEEP_DECAY = 1e-3
SWEEP_METHODS = {
    "gan": dict(objective="gan", opt_g=ADAM_DCGAN_TF, opt_d=ADAM_DCGAN_TF, n_critic=1, critic_norm="batch",
                gan_loss_halved=True,
                figures=("wgangp-table2",)),
    "wgan-gp": dict(objective="wgan-gp", opt_g=ADAM_SWEEP_GP, opt_d=ADAM_SWEEP_GP, critic_norm="layer",
                    figures=("wgangp-table2", "wgangp-appC")),
    "wgan-gp-one-sided": dict(objective="wgan-gp", opt_g=ADAM_SWEEP_GP, opt_d=ADAM_SWEEP_GP, critic_norm="layer",
                              gp_one_sided=True, figures=("wgangp-appC",)),
    "wgan-gp-elu": dict(objective="wgan-gp", opt_g=ADAM_SWEEP_GP, opt_d=ADAM_SWEEP_GP, critic_norm="layer", elu=True,
                        figures=("wgangp-appD",)),
}
_sweep = dict(paper="wgangp", generator="randarch_g", critic="randarch_d", dataset="imagenet32", iters=100_000,
              nz=128, image_size=32, gen_batch_multiple=2, source="spec/wgangp.md §1 Tables 1, 2, 5, App. B, C")


# WGAN-GP Table 4 (spec/wgangp.md §1 Table 4, §3.6): gan_language.py's residual Conv1d nets (DIM 512, z 128) on
# 32-symbol lines of Billion Word (the script's symbols are bytes), batch 64, 200k iterations, 10 critic steps ("used
# for the results in the paper"), Adam 1e-4 (0.5, 0.9), λ 10; the critic reads G's softmax vectors and one-hot real
# lines. The paper could not get comparable results from the standard GAN with a continuous generator; gan_language.py
# has no GAN mode, so `language-gan` trains the same nets with its sibling scripts' MODE=dcgan recipe.
_language = dict(paper="wgangp", generator="language_g", critic="language_d", dataset="billion-word",
                 iters=200_000, nz=128, image_size=32, critic_norm="none", figures=("wgangp-table4",),
                 source="spec/wgangp.md §1 Table 4, §3.6")


def _sweep_run(index: int, method: str) -> Run:
    """Architecture `index` of the sweep trained by `method`; a normalised discriminator gets the weight decay."""
    settings = dict(SWEEP_METHODS[method])
    if sample_architecture(index, SWEEP_SEED).bn_d:
        settings["opt_d"] = replace(settings["opt_d"], weight_decay=SWEEP_DECAY)
    figures = settings.pop("figures")
    if method == "wgan-gp":  # App. C compares only the first 174; App. D the architectures with the stand-in
        figures = ("wgangp-table2",) + ("wgangp-appC",) * (index < ONE_SIDED_SIZE) \
            + ("wgangp-appD",) * sample_architecture(index, SWEEP_SEED).smooth_elu
    return Run(f"randarch-{index:03d}-{method}", figures=figures, sweep_index=index,
               about=f"WGAN-GP Table 2: random architecture {index} (Table 1, seed {SWEEP_SEED}) trained as {method}",
               **settings, **_sweep)


RUNS: dict[str, Run] = {
    r.name: r
    for r in [
        Run("wgan-dcgan", generator="dcgan_g", critic="dcgan_d",
            figures=("wgan-fig3", "wgan-fig5", "wgan-adam", "wgan-appF"),
            about="WGAN, DCGAN generator and critic (Fig 3 upper right, Fig 5 left)", **_wgan),
        Run("wgan-mlpg", generator="mlp_g", critic="dcgan_d", figures=("wgan-fig3", "wgan-fig7", "wgan-appF"),
            about="WGAN, MLP-512 generator, DCGAN critic (Fig 3 upper left, Fig 7 left)", **_wgan),
        Run("wgan-mlp-hilr", generator="mlp_g", critic="mlp_d", figures=("wgan-fig3",),
            about="WGAN, MLP generator and critic at a high learning rate, the failed run (Fig 3 lower); the rate "
                  "is not given, 10x the default is our choice",
            **{**_wgan, "opt_g": OptimSpec("rmsprop", 5e-4), "opt_d": OptimSpec("rmsprop", 5e-4)}),
        Run("wgan-nobn", generator="nobn_const_g", critic="dcgan_d", figures=("wgan-fig6", "wgan-appF"),
            about="WGAN, no-BN constant-64-filter generator, DCGAN critic (Fig 6 left)", **_wgan),
        Run("wgan-dcgan-adam", generator="dcgan_g", critic="dcgan_d", figures=("wgan-adam",),
            about="WGAN with the code's --adam (betas 0.5, 0.999, lr 5e-5): the §4.2 instability study",
            **{**_wgan, "opt_g": OptimSpec("adam", 5e-5), "opt_d": OptimSpec("adam", 5e-5)}),
        Run("gan-dcgan", generator="dcgan_g", critic="dcgan_d",
            figures=("wgan-fig4", "wgan-fig5", "wgan-fig8", "wgan-gan-baseline", "wgan-appF"),
            about="standard GAN (-log D), DCGAN generator and discriminator (Fig 4/8 upper right, Fig 5 right)",
            **_gan),
        Run("gan-mlpg", generator="mlp_g", critic="dcgan_d",
            figures=("wgan-fig4", "wgan-fig7", "wgan-fig8", "wgan-appF"),
            about="standard GAN, MLP generator, DCGAN discriminator (Fig 4/8 upper left, Fig 7 right)", **_gan),
        Run("gan-mlp", generator="mlp_g", critic="mlp_d", figures=("wgan-fig4", "wgan-fig8"),
            about="standard GAN, MLP generator and discriminator (Fig 4/8 bottom)", **_gan),
        Run("gan-nobn", generator="nobn_const_g", critic="dcgan_d", figures=("wgan-fig6", "wgan-appF"),
            about="standard GAN, no-BN constant-filter generator, DCGAN discriminator (Fig 6 right)", **_gan),
        Run("gan-dcgan-alg1", generator="dcgan_g", critic="dcgan_d", figures=("wgan-gan-baseline",),
            about="standard GAN trained with Algorithm 1's hyperparameters (RMSProp 5e-5, 5 D steps): the literal "
                  "reading of 'we use the hyper-parameters of Algorithm 1 for all experiments'",
            **{**_gan, "opt_g": RMSPROP_5E5, "opt_d": RMSPROP_5E5, "n_critic": 5}),
        Run("cifar-clip-rmsprop", objective="wgan", opt_g=RMSPROP_TF_5E5, opt_d=RMSPROP_TF_5E5,
            clip_when="after_step", about="WGAN-GP Fig 3 'Weight clipping': gan_cifar.py MODE=wgan", **_cifar),
        Run("cifar-gp-rmsprop", objective="wgan-gp", opt_g=RMSPROP_TF_5E5, opt_d=RMSPROP_TF_5E5, critic_norm="none",
            about="WGAN-GP Fig 3 'Gradient Penalty (RMSProp)': the GP loss with clipping's optimizer (paper; not "
                  "a code mode)", **_cifar),
        Run("cifar-gp-adam", objective="wgan-gp", opt_g=ADAM_GP, opt_d=ADAM_GP, critic_norm="none",
            about="WGAN-GP Fig 3 'Gradient Penalty (Adam)': gan_cifar.py MODE=wgan-gp (the default)", **_cifar),
        Run("cifar-dcgan", objective="gan", opt_g=ADAM_DCGAN_TF, opt_d=ADAM_DCGAN_TF, n_critic=1, gan_loss_halved=True,
            about="WGAN-GP Fig 3 'DCGAN': gan_cifar.py MODE=dcgan (non-saturating GAN, Adam 2e-4)", **_cifar),
        *[Run(f"toy-{d}-wgan", dataset=d, about=f"gan_toy.py, MODE=wgan, {d}", **_toy_wgan)
          for d in ("8gaussians", "25gaussians", "swissroll")],
        *[Run(f"toy-{d}-gp", dataset=d, about=f"gan_toy.py, MODE=wgan-gp, {d}", **_toy_gp)
          for d in ("8gaussians", "25gaussians", "swissroll")],
        *[Run(f"toy-{d}-gan", dataset=d, about=f"gan_toy.py nets and data, standard GAN (MODE=dcgan), {d}",
              **_toy_gan) for d in ("8gaussians", "25gaussians", "swissroll")],
        *[Run(f"toy-deep-clip{c:g}", objective="wgan", opt_g=RMSPROP_TF_5E5, opt_d=RMSPROP_TF_5E5, clip=c,
              clip_when="after_step", about=f"WGAN-GP Fig 1b: weight clipping c = {c:g}, 12-layer MLPs, Swiss roll",
              **_deep) for c in (0.1, 0.01, 0.001)],
        Run("toy-deep-gp", objective="wgan-gp", opt_g=ADAM_GP, opt_d=ADAM_GP, gp_lambda=10.0,
            about="WGAN-GP Fig 1b: gradient penalty (λ = 10), 12-layer MLPs, Swiss roll", **_deep),
        *[Run(f"lsun-{arch}-{method}", generator=g, critic=d,
              about=f"WGAN-GP Fig 2: {arch} architecture trained as {method} (gan_64x64.py)"
                    + (", with its validation critic loss (Fig 5a)" if (arch, method) == FIG5A_RUN else ""),
              **{**_zoo, **settings, **(_fig5a if (arch, method) == FIG5A_RUN else {})})
          for arch, (g, d) in ZOO_ARCHITECTURES.items() for method, settings in ZOO_METHODS.items()],
        Run("mnist-gp", objective="wgan-gp", generator="mnist_g", critic="mnist_d", critic_norm="none",
            opt_g=ADAM_GP, opt_d=ADAM_GP, about="WGAN-GP Fig 5b left: gan_mnist.py MODE=wgan-gp on 1000 digits",
            **_mnist),
        Run("mnist-clip", objective="wgan", generator="mnist_g_bn", critic="mnist_d", opt_g=RMSPROP_TF_5E5,
            opt_d=RMSPROP_TF_5E5, clip_when="after_step",
            about="WGAN-GP Fig 5b right: gan_mnist.py MODE=wgan (weight clipping) on 1000 digits", **_mnist),
        Run("cifar-resnet", generator="resnet32_g", critic="resnet32_d",
            about="WGAN-GP Table 3 unsupervised: gan_cifar_resnet.py with CONDITIONAL = False (paper 7.86)",
            **_resnet),
        Run("cifar-resnet-acgan", generator="resnet32_cond_g", critic="resnet32_acgan_d", acgan_scales=(1.0, 0.1),
            about="WGAN-GP Table 3 supervised: gan_cifar_resnet.py defaults, conditional BN + AC-GAN (paper 8.42)",
            **_resnet),
        Run("lsun128-resnet", about="WGAN-GP Fig 4: the 128×128 ResNet (wgan_imagenet128.py) on LSUN bedrooms",
            **_lsun128),
        Run("language-gp", objective="wgan-gp", opt_g=ADAM_GP, opt_d=ADAM_GP, n_critic=10,
            about="WGAN-GP Table 4: gan_language.py, the character-level language model (WGAN-GP)", **_language),
        Run("language-gan", objective="gan", opt_g=ADAM_DCGAN_TF, opt_d=ADAM_DCGAN_TF, n_critic=1, gan_loss_halved=True,
            about="WGAN-GP Table 4's comparison: gan_language.py's nets trained as a standard GAN (MODE=dcgan)",
            **_language),
        *[_sweep_run(index, method) for index in range(SWEEP_SIZE) for method in ("gan", "wgan-gp")],
        *[_sweep_run(index, "wgan-gp-one-sided") for index in range(ONE_SIDED_SIZE)],
        *[_sweep_run(index, "wgan-gp-elu") for index in range(SWEEP_SIZE)
          if sample_architecture(index, SWEEP_SEED).smooth_elu],
    ]
}


# The toy experiments that train no generator (repro.toys), with the settings the papers leave open. A profile's
# `toys` key only caps their critic steps and widths.


@dataclass(frozen=True)
class ParallelLines:
    """WGAN Fig 1 (spec/wgan.md §1 Fig 1). The paper plots closed forms only; beside them we estimate each
    distance by a critic trained per θ on samples of P_0 and P_θ: Algorithm 1's clipped critic, WGAN-GP's critic
    and a DCGAN-recipe discriminator, all with 2 hidden ReLU layers of 64 (our choice)."""

    thetas: tuple[float, ...]
    fits: dict[str, CriticFit]
    eval_samples: int = 1024  # fresh points per distribution on which a trained critic's estimate is read


@dataclass(frozen=True)
class Gaussians1D:
    """WGAN Fig 2 (spec/wgan.md §1 Fig 2). The paper gives no setting; we pick two equal-variance Gaussians, for
    which the optimal 1-Lipschitz critic is exactly linear (f(x) = x between shifted equal-shape laws)."""

    real: tuple[float, float]  # mean, std
    fake: tuple[float, float]
    fits: dict[str, CriticFit]
    x_range: tuple[float, float] = (-5.0, 5.0)


@dataclass(frozen=True)
class ValueSurfaces:
    """WGAN-GP Fig 1a (spec/wgangp.md §1 Fig 1a, §2.5): critics trained against the fixed "generator"
    real + N(0, noise_std² I), drawn as contours on a `grid_points`² grid over [−grid_range, grid_range]²."""

    fits: dict[str, CriticFit]
    grid_range: float
    about: str
    noise_std: float = 1.0
    grid_points: int = 128


@dataclass(frozen=True)
class MinMax:
    """The bilinear game min_x max_y x·y under gradient steps of size `lr` from `start`: simultaneous updates
    spiral outward, alternating ones circle (the textbook picture of GAN training instability)."""

    lr: float = 0.1
    start: tuple[float, float] = (1.0, 1.0)
    steps: int = 200


# Steps: enough for each to converge (the clipped critic at Algorithm 1's rate is the slowest). PyTorch's Adam for
# the penalty critic too: this WGAN-paper figure follows no TensorFlow script.
_line_net = dict(batch_size=256, width=64, depth=3)
PARALLEL_LINES = ParallelLines(
    thetas=(-1.0, -0.6, -0.3, -0.1, 0.0, 0.1, 0.3, 0.6, 1.0),
    fits={"wgan": CriticFit("wgan", RMSPROP_5E5, 10_000, clip=0.01, **_line_net),
          "wgan-gp": CriticFit("wgan-gp", OptimSpec("adam", 1e-4, (0.5, 0.9)), 5000, gp_lambda=10.0, **_line_net),
          "gan": CriticFit("gan", ADAM_DCGAN, 2500, **_line_net)})

# Two Gaussians 8 standard deviations apart: N(2, 0.5²) real, N(−2, 0.5²) fake; gan_toy.py-shaped nets (3 hidden
# ReLU layers) at width 64; the clipped critic with Algorithm 1's settings, the discriminator with DCGAN's.
_gauss_net = dict(steps=5000, batch_size=256, width=64, depth=4)
GAUSSIANS_1D = Gaussians1D(
    real=(2.0, 0.5), fake=(-2.0, 0.5),
    fits={"wgan": CriticFit("wgan", RMSPROP_5E5, clip=0.01, **_gauss_net),
          "gan": CriticFit("gan", ADAM_DCGAN, **_gauss_net)})

VALUE_SURFACES = {
    # The maintainer's figure script (experiments/wgan/wgan_toy.py @ fb73b77, per issue #9): batch 1024, 10,000
    # iterations x 10 critic steps on one real batch, each step against fresh fakes (its real + N(0, I) "generator"
    # is built in the graph, so every session.run draws new noise), 2 hidden ReLU layers of 1024, λ = 10, grid
    # [-2, 2]².
    "figure": ValueSurfaces(
        fits={"wgan": CriticFit("wgan", RMSPROP_TF_5E5, 100_000, 1024, 1024, 3, clip=0.01, reuse=10),
              "wgan-gp": CriticFit("wgan-gp", ADAM_GP, 100_000, 1024, 1024, 3, gp_lambda=10.0, reuse=10)},
        grid_range=2.0, about="wgan_toy.py, the script behind the paper's Fig 1a (maintainer, issue #9)"),
    # gan_toy.py with FIXED_GENERATOR = True: 100,000 iterations x 5 critic steps on fresh batches of 256, 3 hidden
    # ReLU layers of 512, λ = 0.1, grid [-3, 3]².
    "official": ValueSurfaces(
        fits={"wgan": CriticFit("wgan", RMSPROP_TF_5E5, 500_000, 256, 512, 4, clip=0.01),
              "wgan-gp": CriticFit("wgan-gp", ADAM_GP, 500_000, 256, 512, 4, gp_lambda=0.1)},
        grid_range=3.0, about="gan_toy.py with FIXED_GENERATOR = True"),
}
SURFACE_DEFAULT = "figure"  # what produced the paper's figure

MINMAX = MinMax()


def get_run(name: str) -> Run:
    if name not in RUNS:
        raise ConfigError(f"unknown run {name!r}{did_you_mean(name, RUNS, n=3)}; `python -m repro runs` lists "
                          f"all {len(RUNS)}")
    return RUNS[name]
