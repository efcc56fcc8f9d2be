"""One record per compiled kernel: what the generic chain driver of mc_ext.samplers needs from a model.

A kernel record names the model's algorithms, how its chains start (random
spins plus any scratch the kernel needs), what one call of its compiled
step does, the dtypes of its state and records and what its pilot traces.
A new model is its Cython kernel plus one record here.
"""

import dataclasses
from collections.abc import Callable

import numpy as np

from . import _ising, _potts, _xy
from .autocorr import integrated_autocorrelation_time

ALGORITHMS = ("auto", "metropolis", "wolff", "hybrid")
POTTS_ALGORITHMS = ("auto", "heatbath", "wolff", "hybrid")
XY_ALGORITHMS = ("auto", "metropolis", "wolff", "hybrid")


@dataclasses.dataclass(frozen=True)
class Kernel:
    """What one model's compiled kernel needs from the generic driver."""

    name: str
    algorithms: tuple[str, ...]  # the public names, "auto" first
    local: str  # the algorithm without clusters
    codes: dict[str, int]  # name -> the kernel's algorithm code
    spin_dtype: type  # chain state per site
    record_dtype: type  # what a recorded configuration holds per site
    trace_width: int  # numbers the kernel measures per step
    tau_of: Callable  # {observable: tau_int} of a (chains, steps, width) trace
    start: Callable  # (chains) -> random spins; adds any scratch the kernel needs
    step: Callable  # (chains, code, n_steps, n_threads, trace, records, record_every)
    tunes_window: bool = False  # a Metropolis window tuned in thermalization (XY)
    scratch_bytes_per_site: int = 0  # per chain, beyond the spins and the cluster stack


def _ising_tau(trace):
    """tau_int of |m|, |m_s| and E/N over a (chains, steps, 3) trace."""
    return {
        "abs_magnetization": integrated_autocorrelation_time(np.abs(trace[..., 0])),
        "abs_staggered_magnetization": integrated_autocorrelation_time(np.abs(trace[..., 1])),
        "energy": integrated_autocorrelation_time(trace[..., 2]),
    }


def _order_and_energy_tau(trace):
    """tau_int of |M| and E/N over a (chains, steps, 2) trace (Potts, XY)."""
    return {
        "abs_order_parameter": integrated_autocorrelation_time(trace[..., 0]),
        "energy": integrated_autocorrelation_time(trace[..., 1]),
    }


def _ising_start(chains):
    chains.mark = np.zeros((chains.rng.shape[0], chains.L * chains.L), dtype=np.int32)  # Wolff membership
    chains.label = np.zeros(chains.rng.shape[0], dtype=np.int32)  # (frustrated lattices)
    return _ising.random_spins(chains.rng, chains.L)


def _run_args(c, code, n_steps, trace, records, record_every):
    """The arguments every compiled run_chains takes after its model's own: code, steps, outputs, counters."""
    return (code, c.clusters_per_step, n_steps, trace, records, record_every, c.flipped)


def _ising_step(c, code, n_steps, n_threads, trace, records, record_every):
    coupling, field, temperature = c.params
    common = _run_args(c, code, n_steps, trace, records, record_every)
    _ising.run_chains(c.spins, c.rng, c.mark, c.label, c.stack, c.nbr, coupling, field, temperature, *common, n_threads)


def _potts_step(c, code, n_steps, n_threads, trace, records, record_every):
    q, coupling, temperature = c.params
    common = _run_args(c, code, n_steps, trace, records, record_every)
    _potts.run_chains(c.spins, c.rng, c.stack, c.nbr, q, coupling, temperature, *common, n_threads)


def _xy_step(c, code, n_steps, n_threads, trace, records, record_every):
    coupling, temperature = c.params
    # XY's kernel also takes its Metropolis window (before the code) and an acceptance counter.
    code_on = _run_args(c, code, n_steps, trace, records, record_every)
    _xy.run_chains(c.spins, c.rng, c.stack, c.nbr, coupling, temperature, c.delta, *code_on, c.accepted, n_threads)


ISING = Kernel(
    "ising",
    ALGORITHMS,
    "metropolis",
    _ising.ALGORITHM_CODES,
    np.int8,
    np.uint8,
    3,
    _ising_tau,
    start=_ising_start,
    step=_ising_step,
    scratch_bytes_per_site=4,
)
POTTS = Kernel(
    "potts",
    POTTS_ALGORITHMS,
    "heatbath",
    _potts.ALGORITHM_CODES,
    np.int8,
    np.uint8,
    2,
    _order_and_energy_tau,
    start=lambda c: _potts.random_states(c.rng, c.L, c.params[0]),
    step=_potts_step,
)
XY = Kernel(
    "xy",
    XY_ALGORITHMS,
    "metropolis",
    _xy.ALGORITHM_CODES,
    np.float64,
    np.float32,
    2,
    _order_and_energy_tau,
    start=lambda c: _xy.random_angles(c.rng, c.L),
    step=_xy_step,
    tunes_window=True,
)
