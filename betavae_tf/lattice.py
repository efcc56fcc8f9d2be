"""Lattice models: one record per model, read by data generation, imports and the analysis.

A record says how the model is sampled (a Sampler: its mc_ext sampler and algorithms),
how a sample is stored (encoding and channels), what its phases are and how
a sample at (T, J) is labelled, its transition temperature where one is
known, and what one Monte Carlo step of each algorithm is. Code elsewhere
asks the record instead of testing model names, so a new model is one
record here (plus its kernel in mc_ext, when it needs a new one):

    MODELS["clock"] = LatticeModel(name="clock", ...)

Temperatures and couplings are in units with k_B = 1; Tc(J) scales with |J|.
"""

import dataclasses
from collections.abc import Callable

import numpy as np

import mc_ext
from betavae_tf import phases as ph
from betavae_tf.physics import ISING_CRITICAL_TEMPERATURE, energy_per_site, magnetization, staggered_magnetization
from betavae_tf.physics import potts as potts_physics
from betavae_tf.physics import xy as xy_physics


@dataclasses.dataclass(frozen=True)
class Sampler:
    """How a lattice model is sampled: its mc_ext sampler, algorithms and what one step of each is."""

    # (L, T, n, coupling, seed, config, common kwargs) -> (raw samples, info)
    sample: Callable
    algorithms: tuple[str, ...]  # the sampler's algorithm names, "auto" first
    resolve_algorithm: Callable  # (algorithm, T, coupling, field) -> concrete algorithm
    step_definitions: dict[str, str]  # what one step of each algorithm is
    cluster_needs_ferromagnet: bool = True  # Wolff / hybrid only for J > 0
    has_field: bool = False  # the sampler takes a field h
    even_size_algorithms: tuple[str, ...] = ()  # algorithms that need an even L (a checkerboard)


def steps(local, sweep, sweep_name=None, clusters="Wolff clusters"):
    """step_definitions of a sampler with a local algorithm, Wolff clusters and their hybrid."""
    return {
        local: sweep,
        "wolff": f"clusters_per_step {clusters} (about N spins)",
        "hybrid": f"one wolff step then one {sweep_name or local} sweep",
    }


@dataclasses.dataclass(frozen=True)
class LatticeModel:
    """What the rest of the package needs to know about one lattice model."""

    name: str
    description: str
    sampler: Sampler
    encoding: str  # the dataset encoding (data.format.ENCODINGS)
    # (config) -> channels, phases map; (coupling, config) -> Tc or None
    channels: Callable
    phase_map: Callable
    critical_temperature: Callable
    # (raw samples, T, coupling, config) -> (stored samples, {energy, magnetization, staggered_magnetization, phase})
    label: Callable
    order_parameter: str = "magnetization"  # what the "magnetization" label holds
    transition_is_exact: bool = True
    # For discrete models, on integer states [n, L, L] (0/1 for Ising, 0..q-1 for Potts) and (coupling, field):
    # energy -> E/N per configuration; local_energy -> [n, L, L] the energy of the bonds (and field) of each
    # site. betavae_tf.sampling uses them for exact sampling with a trained model; None where not defined.
    energy: Callable | None = None
    local_energy: Callable | None = None
    # (config) -> None, raising ValueError for a setting this model refuses (e.g. Potts q out of range)
    check: Callable | None = None
    manifest: Callable = lambda config: {}  # (config) -> the model's own entries of a dataset manifest


def _neighbour_sum(a):
    """The sum over the four nearest neighbours on the torus, per site."""
    return np.roll(a, 1, axis=-1) + np.roll(a, -1, axis=-1) + np.roll(a, 1, axis=-2) + np.roll(a, -1, axis=-2)


# -- Ising ---------------------------------------------------------------------------
def _ising_local_energy(states, coupling, field=0.0):
    s = 2.0 * np.asarray(states, dtype=np.float64) - 1.0
    return -s * (coupling * _neighbour_sum(s) + field)


def _potts_local_energy(states, coupling, field=0.0):
    s = np.asarray(states)
    equal = sum((s == np.roll(s, shift, axis=axis)) for shift in (1, -1) for axis in (-1, -2))
    return -coupling * equal.astype(np.float64)


def _ising_phase(temperature, coupling, critical_temperature=ISING_CRITICAL_TEMPERATURE):
    """FM (J > 0) or AFM (J < 0) below Tc(|J|), PM above; UNKNOWN where T is NaN."""
    t = np.asarray(temperature, dtype=np.float64)
    j = np.broadcast_to(np.asarray(coupling, dtype=np.float64), t.shape)
    ordered = (t < critical_temperature * np.abs(j)) & (j != 0)
    phase = np.where(ordered, np.where(j > 0, ph.FM, ph.AFM), ph.PM)
    return np.where(np.isnan(t), ph.UNKNOWN, phase).astype(np.int64)


def _ising_label(spins, temperature, coupling, config):
    field = getattr(config, "field", 0.0)
    return spins, {
        "energy": energy_per_site(spins, coupling, field),
        "magnetization": magnetization(spins),
        "staggered_magnetization": staggered_magnetization(spins),
        "phase": np.full(len(spins), _ising_phase(temperature, coupling)),
    }


ISING = LatticeModel(
    name="ising",
    description="2D Ising model, H = -J sum S_i S_j - h sum S_i; sigma in {0, 1}",
    sampler=Sampler(
        sample=lambda L, t, n, coupling, seed, config, **kw: mc_ext.sample_ising(
            L, t, n, coupling=coupling, field=config.field, seed=seed, return_info=True, **kw
        ),
        algorithms=mc_ext.ALGORITHMS,
        resolve_algorithm=mc_ext.resolve_algorithm,
        step_definitions=steps("metropolis", "one checkerboard sweep"),
        cluster_needs_ferromagnet=False,
        has_field=True,
        even_size_algorithms=("metropolis", "hybrid"),
    ),
    encoding="bits",
    channels=lambda config: 1,
    phase_map=lambda config: dict(ph.ISING),
    critical_temperature=lambda coupling, config=None: ISING_CRITICAL_TEMPERATURE * abs(coupling),
    label=_ising_label,
    energy=lambda states, coupling, field=0.0: energy_per_site(np.asarray(states, dtype=np.int8), coupling, field),
    local_energy=_ising_local_energy,
)


# -- q-state Potts -------------------------------------------------------------------
def _potts_check(config):
    if not 2 <= config.q <= mc_ext.MAX_POTTS_Q:
        raise ValueError(f"q must be in [2, {mc_ext.MAX_POTTS_Q}], got {config.q}.")


def _potts_label(states, temperature, coupling, config):
    q = config.q
    ordered = coupling > 0 and temperature < potts_physics.potts_critical_temperature(q, coupling)
    majority = np.argmax(potts_physics.potts_state_fractions(states, q), axis=1)
    phase = ph.ordered_state(majority) if ordered else np.full(len(states), ph.PM)
    return states, {
        "energy": potts_physics.potts_energy_per_site(states, coupling),
        "magnetization": potts_physics.potts_order_parameter(states, q),
        "staggered_magnetization": np.full(len(states), np.nan),
        "phase": phase,
    }


POTTS = LatticeModel(
    name="potts",
    description="q-state Potts model, H = -J sum delta(s_i, s_j); one-hot states",
    sampler=Sampler(
        sample=lambda L, t, n, coupling, seed, config, **kw: mc_ext.sample_potts(
            L, t, n, q=config.q, coupling=coupling, seed=seed, return_info=True, **kw
        ),
        algorithms=mc_ext.POTTS_ALGORITHMS,
        resolve_algorithm=lambda algorithm, t, coupling=1.0, field=0.0: mc_ext.resolve_potts_algorithm(
            algorithm, coupling
        ),
        step_definitions=steps("heatbath", "one sequential heat-bath sweep", "heat-bath"),
    ),
    encoding="categorical",
    channels=lambda config: config.q,
    phase_map=lambda config: ph.q_state(config.q),
    critical_temperature=lambda coupling, config: (
        potts_physics.potts_critical_temperature(config.q, coupling) if coupling > 0 else None
    ),
    label=_potts_label,
    order_parameter="Potts order parameter |M|",
    energy=lambda states, coupling, field=0.0: potts_physics.potts_energy_per_site(states, coupling),
    local_energy=_potts_local_energy,
    check=_potts_check,
    manifest=lambda config: {"q": config.q},
)


# -- XY ------------------------------------------------------------------------------
def _xy_label(angles, temperature, coupling, config):
    # J < 0 on an even torus is the same model after rotating one sublattice by pi.
    ordered = temperature < xy_physics.XY_BKT_TEMPERATURE * abs(coupling)
    return xy_physics.xy_channels(angles), {
        "energy": xy_physics.xy_energy_per_site(angles, coupling),
        "magnetization": xy_physics.xy_magnetization(angles),
        "staggered_magnetization": np.full(len(angles), np.nan),
        "phase": np.full(len(angles), ph.QLRO if ordered else ph.PM),
    }


XY = LatticeModel(
    name="xy",
    description="classical XY model, H = -J sum cos(theta_i - theta_j); (cos, sin) channels",
    sampler=Sampler(
        sample=lambda L, t, n, coupling, seed, config, **kw: mc_ext.sample_xy(
            L, t, n, coupling=coupling, seed=seed, return_info=True, **kw
        ),
        algorithms=mc_ext.XY_ALGORITHMS,
        resolve_algorithm=lambda algorithm, t, coupling=1.0, field=0.0: mc_ext.resolve_xy_algorithm(
            algorithm, coupling
        ),
        step_definitions=steps(
            "metropolis",
            "one sequential Metropolis sweep (window tuned in thermalization)",
            clusters="embedded-Ising Wolff clusters",
        ),
    ),
    encoding="float32",
    channels=lambda config: 2,
    phase_map=lambda config: dict(ph.XY),
    critical_temperature=lambda coupling, config=None: xy_physics.XY_BKT_TEMPERATURE * abs(coupling),
    label=_xy_label,
    order_parameter="|m|",
    transition_is_exact=False,
)


MODELS: dict[str, LatticeModel] = {m.name: m for m in (ISING, POTTS, XY)}


def get(name) -> LatticeModel:
    if name not in MODELS:
        raise ValueError(f"unknown lattice model {name!r}; expected one of {', '.join(MODELS)}.")
    return MODELS[name]


def phase_of(temperature, coupling, critical_temperature: float | None = ISING_CRITICAL_TEMPERATURE):
    """Ising phase codes from the generating T and J (imports use it with their own Tc)."""
    return _ising_phase(temperature, coupling, critical_temperature)
