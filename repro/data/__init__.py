"""Datasets: preparation into image stores (lsun, vision), the stores (store), toy sets (toy), batches (sampler)."""

# The toy sets a registry run can train on (gan_toy.py's), by name; repro.data.toy samples them. Named here, without
# PyTorch, for the profile's checks.
TOY_SOURCES = ("8gaussians", "25gaussians", "swissroll")
