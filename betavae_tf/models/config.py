"""ModelConfig: what fixes a BetaVAE's shape and loss (no TensorFlow import, for fast flag checks)."""

import dataclasses

from betavae_tf.models.heads import HEADS


def check_lattice_size(lattice_size):
    if lattice_size < 4 or lattice_size % 4:
        raise ValueError(
            f"the lattice size must be a positive multiple of 4 (two stride-2 layers), got L = {lattice_size}."
        )


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Everything that fixes the network's shape and loss."""

    lattice_size: int = 32
    channels: int = 1
    latent_dim: int = 2
    decoder: str = "bernoulli"
    beta: float = 100.0
    learned_scale: bool = False  # Gaussian head only: the extension beyond Eq. 17
    seed: int = 0  # the reparameterisation noise stream

    def validate(self):
        check_lattice_size(self.lattice_size)
        if self.latent_dim < 1:
            raise ValueError(f"the latent dimension must be at least 1, got {self.latent_dim}.")
        if self.channels < 1:
            raise ValueError(f"the channel count must be at least 1, got {self.channels}.")
        if not 0 <= self.beta < float("inf"):  # also rejects NaN
            raise ValueError(f"beta must be a finite number >= 0, got {self.beta}.")
        if self.decoder not in HEADS:
            raise ValueError(f"unknown decoder {self.decoder!r}; expected one of {', '.join(HEADS)}.")
        head = HEADS[self.decoder]
        problem = head.check_channels(self.channels)
        if problem:
            raise ValueError(problem)
        if self.learned_scale and not head.learned_scale:
            scaled = ", ".join(h for h in HEADS if HEADS[h].learned_scale)
            raise ValueError(f"learned_scale applies only to the {scaled} decoder.")
        return self
