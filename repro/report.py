"""Where the Snakemake report (`snakemake report`) shows each figure and table: one category per paper, and under
it the paper's own figure or table number, so a reader finds WGAN-GP's Table 3 where the paper has it. The claims
come first: Snakemake lists categories alphabetically, hence the numbers."""

CATEGORIES = {
    "claims": "1. What reproduced",
    "wgan": "2. Wasserstein GAN (Arjovsky, Chintala, Bottou 2017)",
    "wgangp": "3. Improved Training of Wasserstein GANs (Gulrajani et al. 2017)",
    "suite": "4. Beyond the papers",
}

PLACES = {  # figure or table → (category, where in it); a place the paper has no figure for says so
    "claims": ("claims", "Every claim of both papers, judged by its rule"),
    "wgan-fig1": ("wgan", "Figure 1"), "wgan-fig2": ("wgan", "Figure 2"), "wgan-fig3": ("wgan", "Figure 3"),
    "wgan-fig4": ("wgan", "Figure 4"), "wgan-fig5": ("wgan", "Figure 5"), "wgan-fig6": ("wgan", "Figure 6"),
    "wgan-fig7": ("wgan", "Figure 7"), "wgan-fig8": ("wgan", "Figure 8"), "wgan-appF": ("wgan", "Appendix F"),
    "wgan-adam": ("wgan", "Section 4.2, Adam (no figure)"),
    "wgan-meaningful-loss": ("wgan", "Section 4.2, meaningful loss (no figure)"),
    "meaningful-loss": ("wgan", "Section 4.2, meaningful loss (no figure)"),
    "wgan-gan-baseline": ("wgan", "GAN baseline optimizer (no figure)"),
    "wgangp-fig1a": ("wgangp", "Figure 1a"), "wgangp-fig1b": ("wgangp", "Figure 1b"),
    "wgangp-fig2": ("wgangp", "Figure 2"), "wgangp-fig3": ("wgangp", "Figure 3"),
    "wgangp-fig4": ("wgangp", "Figure 4"), "wgangp-fig5a": ("wgangp", "Figure 5a"),
    "wgangp-fig5b": ("wgangp", "Figure 5b"), "wgangp-fig6": ("wgangp", "Figure 6"),
    "wgangp-table2": ("wgangp", "Table 2"), "wgangp-sweep": ("wgangp", "Table 2"),
    "wgangp-table3": ("wgangp", "Table 3"), "wgangp-table4": ("wgangp", "Table 4"),
    "wgangp-appC": ("wgangp", "Appendix C"), "wgangp-appD": ("wgangp", "Appendix D"),
    "wgangp-appH": ("wgangp", "Appendix H"), "wgangp-toy": ("wgangp", "gan_toy.py (code, no figure)"),
    "seed-minmax": ("suite", "Min-max game (closed form)"),
    "runs": ("suite", "Every run"), "summary": ("suite", "Every run"),
}


def category(name: str) -> str:
    return CATEGORIES[PLACES[name][0]]


def subcategory(name: str) -> str:
    return PLACES[name][1]
