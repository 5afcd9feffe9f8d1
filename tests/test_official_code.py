"""Each run follows its official script's protocol, as read in the code (spec/wgangp.md §3, §7): the optimizer's
arithmetic, the loss scaling, the batch statistics and the real data's scaling."""

from repro.registry import GAUSSIANS_1D, PARALLEL_LINES, RUNS, VALUE_SURFACES


def _adam_kinds(runs) -> set[str]:
    return {opt.name for run in runs for opt in (run.opt_g, run.opt_d) if opt.name.startswith("adam")}


def test_every_wgangp_run_steps_tensorflow1_adam_and_the_wgan_paper_pytorch_adam():
    """Every WGAN-GP script is TensorFlow 1 (tf.train.AdamOptimizer); the WGAN paper's code is PyTorch."""
    assert _adam_kinds(r for r in RUNS.values() if r.paper == "wgangp") == {"adam_tf"}
    assert _adam_kinds(r for r in RUNS.values() if r.paper == "wgan") == {"adam"}
    assert {run.opt_d.name for run in RUNS.values() if run.objective == "gan" and run.paper == "wgangp"} == {"adam_tf"}
    assert VALUE_SURFACES["figure"].fits["wgan-gp"].opt.name == "adam_tf"  # wgan_toy.py, TF1
    assert VALUE_SURFACES["official"].fits["wgan-gp"].opt.name == "adam_tf"  # gan_toy.py, TF1
    assert {f.opt.name for f in (*PARALLEL_LINES.fits.values(), *GAUSSIANS_1D.fits.values())} <= {"adam", "rmsprop"}


def test_the_gan_loss_is_halved_where_the_script_halves_it():
    """gan_cifar.py, gan_64x64.py, gan_mnist.py (the toys' MODE dcgan) and the 32×32 template wgan_imagenet32_stab.py
    divide the discriminator cost by 2; the WGAN paper's baselines follow the DCGAN recipe, which sums."""
    halved = {name for name, run in RUNS.items() if run.gan_loss_halved}
    gans = {name for name, run in RUNS.items() if run.objective == "gan"}
    assert halved <= gans
    expected = {"cifar-dcgan"} | {f"lsun-{a}-dcgan" for a in ("dcgan", "const-g", "mlp-g", "no-norm", "gated", "tanh",
                                                                "resnet101")} \
        | {f"toy-{d}-gan" for d in ("8gaussians", "25gaussians", "swissroll")} \
        | {f"randarch-{i:03d}-gan" for i in range(200)}
    assert halved == expected
    assert gans - halved == {"gan-dcgan", "gan-mlpg", "gan-mlp", "gan-nobn", "gan-dcgan-alg1"}
