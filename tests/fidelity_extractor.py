"""Feature extractors for torch-fidelity in tests, registered through its own extension point
(`register_feature_extractor`, ANCHORS.md §5.7), so the metrics' whole calculate_metrics path runs without
Inception's weights. Importing this module registers both (a profile names it in `metrics.extractor_module`).

`repro-test-stats` takes uint8 N×3×H×W (any size, pooled to 16×16) and gives 'feat' (54 image statistics:
per-channel mean and std, mean and std of 16 fixed random 3×3 filters' rectified responses, a 4×4 map of mean
brightness) for FID/KID, and 'logits' (a fixed random linear map of 'feat' to 10 classes) for IS. Noise, blur,
colour and layout all move 'feat'. Its two buffers are seeded; `feature_extractor_weights_path` may give others (a
saved state dict).

`inception-v3-random` is torch-fidelity's own Inception-v3 (the graph, the resize to 299 and the layers FID, KID and
IS read) at seeded random weights: the real protocol's cost and code path, without the 100 MB download.
"""

import io

import torch
import torch.nn.functional as F
import torch_fidelity
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
from torch_fidelity.registry import FEATURE_EXTRACTORS_REGISTRY

NAME = "repro-test-stats"
RANDOM_INCEPTION = "inception-v3-random"
N_FEATURES = 54


class StatsExtractor(torch_fidelity.FeatureExtractorBase):
    def __init__(self, name, features_list, feature_extractor_weights_path=None, **kwargs):
        super().__init__(name, features_list)  # kwargs: every other calculate_metrics argument, unused
        self.register_buffer("filters", random_state(0)["filters"])
        self.register_buffer("head", random_state(0)["head"])
        if feature_extractor_weights_path:
            self.load_state_dict(torch.load(feature_extractor_weights_path, weights_only=True))

    @staticmethod
    def get_provided_features_list():
        return "feat", "logits"

    @staticmethod
    def get_default_feature_layer_for_metric(metric):
        return {"isc": "logits", "fid": "feat", "kid": "feat", "prc": "feat"}[metric]

    @staticmethod
    def can_be_compiled():
        return False

    @staticmethod
    def get_dummy_input_for_compile():
        return torch.zeros(1, 3, 16, 16, dtype=torch.uint8)

    def forward(self, x):
        assert x.dtype == torch.uint8 and x.dim() == 4 and x.shape[1] == 3, (x.dtype, x.shape)
        x = F.adaptive_avg_pool2d(x.float() / 127.5 - 1, 16)
        response = F.relu(F.conv2d(x, self.filters, padding=1))
        layout = F.adaptive_avg_pool2d(x.mean(1, keepdim=True), 4).flatten(1)
        feat = torch.cat([x.mean((2, 3)), x.std((2, 3)), response.mean((2, 3)), response.std((2, 3)), layout], 1)
        features = {"feat": feat, "logits": 4 * feat @ self.head}
        return tuple(features[name] for name in self.features_list)


def random_state(seed: int) -> dict:
    """The extractor's buffers drawn from `seed` (seed 0: the built-in ones)."""
    gen = torch.Generator().manual_seed(seed)
    return {"filters": torch.randn(16, 3, 3, 3, generator=gen) / 3,
            "head": torch.randn(N_FEATURES, 10, generator=gen) / N_FEATURES ** 0.5}


class RandomInception(FeatureExtractorInceptionV3):
    """torch-fidelity's Inception-v3 with PyTorch's initialisation drawn from seed 0 instead of the trained weights:
    it is handed an empty state dict, which it loads non-strictly."""

    def __init__(self, name, features_list, **kwargs):
        empty = io.BytesIO()
        torch.save({}, empty)
        empty.seek(0)
        with torch.random.fork_rng():
            torch.manual_seed(0)
            super().__init__(name, features_list, **{**kwargs, "feature_extractor_weights_path": empty})

    def load_state_dict(self, state_dict, strict=True, assign=False):
        return super().load_state_dict(state_dict, strict=False, assign=assign)


def register() -> str:
    """Registers both extractors once per process (a second registration would raise); returns the stats one's
    name."""
    for name, cls in ((NAME, StatsExtractor), (RANDOM_INCEPTION, RandomInception)):
        if name not in FEATURE_EXTRACTORS_REGISTRY:
            torch_fidelity.register_feature_extractor(name, cls)
    return NAME


register()
