"""wgan-repro: the experiments of "Wasserstein GAN" and "Improved Training of Wasserstein GANs", regenerated."""

__version__ = "0.1.0"
