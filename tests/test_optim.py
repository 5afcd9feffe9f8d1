"""TF1 RMSProp and Adam semantics (spec/wgangp.md §7) against the formulas written out by hand."""

import pytest
import torch

from repro.optim import RMSpropTF, linear_decay, make_optimizer
from repro.registry import OptimSpec


def test_rmsprop_tf_matches_tensorflow_update_rule():
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5]))
    opt = RMSpropTF([w], lr=0.1)
    ms, expected = torch.ones(3), w.detach().clone()
    for step in range(3):
        g = torch.tensor([0.3, -1.5, 2.0]) * (step + 1)
        w.grad = g.clone()
        opt.step()
        ms = 0.9 * ms + 0.1 * g * g  # accumulator starts at ONE, not zero
        expected = expected - 0.1 * g / torch.sqrt(ms + 1e-10)  # ε inside the root
        assert torch.allclose(w.detach(), expected, rtol=1e-6)


def test_rmsprop_tf_differs_from_pytorch_rmsprop_on_the_first_step():
    a, b = torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(1))
    for p in (a, b):
        p.grad = torch.ones(1)
    make_optimizer(OptimSpec("rmsprop_tf", 0.1), [a]).step()
    make_optimizer(OptimSpec("rmsprop", 0.1), [b]).step()
    # TF: 1 − 0.1/√(0.9+0.1) = 0.9; PyTorch (zero init, α 0.99): 1 − 0.1/√0.01 = 0.0
    assert abs(a.item() - 0.9) < 1e-6 and abs(b.item()) < 1e-5


def test_adam_tf_matches_tensorflow1_update_rule():
    """tf.train.AdamOptimizer: lr_t = lr·√(1−β₂ᵗ)/(1−β₁ᵗ), w ← w − lr_t·m/(√v + ε), ε = 1e-8 added to the
    uncorrected root."""
    w = torch.nn.Parameter(torch.tensor([1.0, -2.0, 0.5, 0.0]))
    opt = make_optimizer(OptimSpec("adam_tf", 0.1, (0.5, 0.9)), [w])
    m, v, expected = torch.zeros(4, dtype=torch.float64), torch.zeros(4, dtype=torch.float64), w.detach().double()
    for t in range(1, 4):
        g = torch.tensor([0.3, -1.5, 2.0, 1e-9], dtype=torch.float64) * t
        w.grad = g.float()
        opt.step()
        m, v = 0.5 * m + 0.5 * g, 0.9 * v + 0.1 * g * g
        expected = expected - 0.1 * (1 - 0.9**t) ** 0.5 / (1 - 0.5**t) * m / (v.sqrt() + 1e-8)
        torch.testing.assert_close(w.detach().double(), expected, rtol=1e-6, atol=1e-9)
        if t == 1:  # by hand: a gradient far above ε moves by lr exactly, 1e-9 by 0.1·√0.1/0.5·5e-10/(√1e-19 + 1e-8)
            assert w.detach()[:3].tolist() == pytest.approx([0.9, -1.9, 0.4], rel=1e-6)
            assert w.detach()[3].item() == pytest.approx(-3.0651e-3, rel=1e-4)


def test_adam_tf_differs_from_pytorch_adam_where_the_gradient_is_near_epsilon():
    """PyTorch adds ε to the bias-corrected root: on a gradient of 1e-9 its first step is lr/(1−β₁)·m/(√(v/(1−β₂))
    + ε) = 0.2·5e-10/(1e-9 + 1e-8) = 9.09e-3, three times TF1's 3.07e-3; far above ε the two agree."""
    a, b = torch.nn.Parameter(torch.tensor([0.0, 0.0])), torch.nn.Parameter(torch.tensor([0.0, 0.0]))
    for p in (a, b):
        p.grad = torch.tensor([1e-9, 1.0])
    make_optimizer(OptimSpec("adam_tf", 0.1, (0.5, 0.9)), [a]).step()
    make_optimizer(OptimSpec("adam", 0.1, (0.5, 0.9)), [b]).step()
    assert a[0].item() == pytest.approx(-3.0651e-3, rel=1e-4) and b[0].item() == pytest.approx(-9.0909e-3, rel=1e-4)
    assert a[1].item() == pytest.approx(b[1].item(), rel=1e-6) == pytest.approx(-0.1, rel=1e-6)


def test_linear_decay_reaches_zero_at_the_last_iteration():
    w = torch.nn.Parameter(torch.zeros(1))
    opt = make_optimizer(OptimSpec("adam", 2e-4, (0.0, 0.9)), [w])
    assert opt.param_groups[0]["betas"] == (0.0, 0.9)
    sched = linear_decay(opt, total_iters=4)
    lrs = []
    for _ in range(4):
        opt.step()
        sched.step()
        lrs.append(opt.param_groups[0]["lr"])
    assert lrs == pytest.approx([1.5e-4, 1e-4, 0.5e-4, 0.0])


@pytest.mark.parametrize("name", ["adam", "adam_tf", "rmsprop", "rmsprop_tf"])
def test_weight_decay_adds_wd_times_w_to_the_gradient(name):
    """Coupled L2 (WGAN-GP App. B's discriminator weight decay): decaying with wd equals stepping on g + wd·w."""
    w = torch.tensor([1.0, -2.0, 0.5])
    decayed, plain = torch.nn.Parameter(w.clone()), torch.nn.Parameter(w.clone())
    opt_decayed = make_optimizer(OptimSpec(name, 0.01, (0.5, 0.9), weight_decay=1e-3), [decayed])
    opt_plain = make_optimizer(OptimSpec(name, 0.01, (0.5, 0.9)), [plain])
    for step in range(2):
        g = torch.tensor([0.3, -1.5, 2.0]) * (step + 1)
        decayed.grad, plain.grad = g.clone(), g + 1e-3 * plain.detach()
        opt_decayed.step()
        opt_plain.step()
        torch.testing.assert_close(decayed.detach(), plain.detach(), rtol=1e-6, atol=1e-7)
    assert not torch.equal(decayed.detach(), w)
