"""WGAN-GP Fig 1b measured on a trained critic: gradient norms through its layers, and its weights.

Layer k = 1…depth−1 is the output of hidden layer k (input side first) and layer `depth` the critic's output,
so the paper's x axis (13 … 1 for 12 hidden layers) reads from the output back towards the input, the direction
gradients travel. The norm is that of ∂L/∂a_k over a batch, L = mean D(fake) − mean D(real) the critic loss
without its penalty; it is computed in float64, because the c = 0.001 critic's gradients fall below float32's
range within a few layers.
"""

import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


def layer_gradient_norms(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor) -> np.ndarray:
    """‖∂L/∂a_k‖ for k = 1…depth, input side first (see the module docstring)."""
    x = torch.cat([real, fake]).double()
    activations = []
    for module in copy.deepcopy(critic).double().main:
        x = F.relu(x) if isinstance(module, nn.ReLU) else module(x)
        if isinstance(module, nn.ReLU):
            x.retain_grad()
            activations.append(x)
    x.retain_grad()
    activations.append(x)
    n = len(real)
    loss = x[n:].mean() - x[:n].mean()
    loss.backward()
    return np.array([float(a.grad.norm()) for a in activations])


def critic_weights(critic: nn.Module) -> np.ndarray:
    """Every weight of the critic's linear layers (biases excluded), flattened."""
    return torch.cat([m.weight.detach().flatten() for m in critic.modules() if isinstance(m, nn.Linear)]).numpy()


def piled_at_clip(weights: np.ndarray, c: float, tolerance: float = 0.05) -> float:
    """Share of weights within `tolerance`·c of ±c."""
    return float((np.abs(np.abs(weights) - c) <= tolerance * c).mean())
