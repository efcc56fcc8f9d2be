"""Observables and exact results of lattice spin models, as pure functions."""

from betavae_tf.physics.exact import (
    ISING_CRITICAL_TEMPERATURE,
    enumerate_ising,
    finite_lattice_energy,
    onsager_energy,
    onsager_magnetization,
)
from betavae_tf.physics.observables import energy_per_site, magnetization, staggered_magnetization, to_spins

__all__ = [
    "ISING_CRITICAL_TEMPERATURE",
    "enumerate_ising",
    "finite_lattice_energy",
    "onsager_energy",
    "onsager_magnetization",
    "energy_per_site",
    "magnetization",
    "staggered_magnetization",
    "to_spins",
]
