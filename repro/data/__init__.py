"""Datasets: preparation into image stores (lsun, vision) and text stores (text), the stores (store), toy sets
(toy), downloads (download), batches (sampler)."""

# The toy sets a registry run can train on (gan_toy.py's), by name; repro.data.toy samples them. Named here, without
# PyTorch, for the profile's checks.
TOY_SOURCES = ("8gaussians", "25gaussians", "swissroll")
# The logical datasets of text stores (repro.data.text): WGAN-GP Table 4's Billion Word sentences.
TEXT_DATASETS = ("billion-word",)
