"""ModelConfig: what fixes a BetaVAE's shape and loss (no TensorFlow import, for fast flag checks)."""
import dataclasses

HEADS = ("bernoulli", "multinomial", "gaussian", "temperature")


def check_lattice_size(lattice_size):
    if lattice_size < 4 or lattice_size % 4:
        raise ValueError(f"the lattice size must be a positive multiple of 4 (two stride-2 "
                         f"layers), got L = {lattice_size}.")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """Everything that fixes the network's shape and loss."""
    lattice_size: int = 32
    channels: int = 1
    latent_dim: int = 2
    decoder: str = "bernoulli"
    beta: float = 100.0
    learned_scale: bool = False  # Gaussian head only: the extension beyond Eq. 17
    seed: int = 0                # the reparameterisation noise stream

    def validate(self):
        check_lattice_size(self.lattice_size)
        if self.latent_dim < 1:
            raise ValueError(f"the latent dimension must be at least 1, got {self.latent_dim}.")
        if self.channels < 1:
            raise ValueError(f"the channel count must be at least 1, got {self.channels}.")
        if not 0 <= self.beta < float("inf"):  # also rejects NaN
            raise ValueError(f"beta must be a finite number >= 0, got {self.beta}.")
        if self.decoder not in HEADS:
            raise ValueError(f"unknown decoder {self.decoder!r}; expected one of "
                             f"{', '.join(HEADS)}.")
        if self.decoder == "bernoulli" and self.channels != 1:
            raise ValueError(f"the bernoulli decoder models one binary channel, but the data have "
                             f"{self.channels} channels; use the multinomial decoder for one-hot "
                             "data or the gaussian decoder for real values.")
        if self.decoder == "multinomial" and self.channels < 2:
            raise ValueError("the multinomial decoder needs one-hot data with D >= 2 channels, but "
                             "the data have 1 channel; use the bernoulli decoder for spins in {0,1}.")
        if self.learned_scale and self.decoder != "gaussian":
            raise ValueError("learned_scale applies only to the gaussian decoder.")
        return self
