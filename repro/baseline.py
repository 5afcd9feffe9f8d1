"""The official codes' training loop, kept only to time ours against it (`python -m repro bench train`).

Written the way WGAN's main.py writes it (and the common PyTorch port of WGAN-GP's penalty): batches from
torchvision's `LSUN` through `DataLoader` workers that decode a JPEG per image per step and copy it to the
device, critic parameters clamped one at a time, real, fake (and penalty) back-propagated in separate passes, and
the losses fetched to the host after every generator step (the code's print). It starts from copies of an
Engine's freshly built nets, with the same optimizers, batch and n_critic, so only the loop differs.
"""

import contextlib
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from repro.engine import Engine, build_net
from repro.errors import ConfigError
from repro.objectives import gradient_penalty
from repro.optim import make_optimizer


def official_lsun_loader(lmdb_path: Path, size: int, batch_size: int, workers: int, scratch: Path) -> DataLoader:
    """torchvision `LSUN` with the official transform, shuffled, full batches; its key cache goes to `scratch`
    (torchvision writes it into the working directory)."""
    from torchvision import datasets, transforms

    with contextlib.chdir(scratch):
        dataset = datasets.LSUN(str(lmdb_path.parent), classes=[lmdb_path.name.removesuffix("_lmdb")],
                                transform=transforms.Compose([
                                    transforms.Resize(size), transforms.CenterCrop(size), transforms.ToTensor(),
                                    transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
    return DataLoader(dataset, batch_size=batch_size, shuffle=True, num_workers=workers, drop_last=True)


class OfficialLoop:
    """One generator iteration at a time, as main.py runs it; WGAN (clipping) and WGAN-GP runs only."""

    def __init__(self, engine: Engine, loader: DataLoader):
        cfg = engine.cfg
        if cfg.objective not in ("wgan", "wgan-gp") or cfg.acgan_scales:
            raise ConfigError(f"run {cfg.run}: the baseline loop times unconditional WGAN and WGAN-GP runs only")
        self.cfg, self.device, self.loader = cfg, engine.device, loader
        self.G, self.D = (self._eager_copy(engine, role, net) for role, net in (("generator", engine.G),
                                                                                 ("critic", engine.D)))
        self.opt_g = make_optimizer(cfg.opt_g, self.G.parameters())
        self.opt_d = make_optimizer(cfg.opt_d, self.D.parameters())
        self.batches = iter(loader)
        self.noise = torch.Generator(self.device).manual_seed(cfg.seed)
        self.one = torch.tensor(1.0, device=self.device)
        self.printed: tuple[float, ...] = ()

    @staticmethod
    def _eager_copy(engine: Engine, role: str, net: torch.nn.Module) -> torch.nn.Module:
        """A fresh, uncompiled net of the engine's run holding `net`'s current weights."""
        twin = build_net(engine.cfg, role, engine.data.shape).to(engine.device)
        twin.load_state_dict(net.state_dict())
        return twin

    def _real(self) -> torch.Tensor:
        try:
            images, _ = next(self.batches)
        except StopIteration:  # a new epoch: main.py re-creates the iterator
            self.batches = iter(self.loader)
            images, _ = next(self.batches)
        return images.to(self.device)

    def _z(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.cfg.nz, generator=self.noise, device=self.device)

    def iteration(self) -> int:
        """n_critic critic steps, one generator step, the print; returns the critic steps."""
        cfg, D = self.cfg, self.D
        for p in D.parameters():
            p.requires_grad = True
        for _ in range(cfg.n_critic):
            if cfg.objective == "wgan":
                for p in D.parameters():
                    p.data.clamp_(-cfg.clip, cfg.clip)
            D.zero_grad()
            real = self._real()
            err_real = D(real).mean()
            err_real.backward(-self.one)
            with torch.no_grad():
                fake = self.G(self._z(cfg.batch_size))
            err_fake = D(fake).mean()
            err_fake.backward(self.one)
            if cfg.objective == "wgan-gp":
                (cfg.gp_lambda * gradient_penalty(D, real, fake, self.noise)).backward()
            self.opt_d.step()
        for p in D.parameters():
            p.requires_grad = False
        self.G.zero_grad()
        err_g = D(self.G(self._z(cfg.batch_size * cfg.gen_batch_multiple))).mean()
        err_g.backward(-self.one)
        self.opt_g.step()
        self.printed = ((err_fake - err_real).item(), -err_g.item(), -err_real.item(), -err_fake.item())
        return cfg.n_critic
