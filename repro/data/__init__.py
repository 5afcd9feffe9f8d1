"""Datasets: preparation into image stores (lsun, vision), the stores (store), toy sets (toy), batches (sampler)."""
