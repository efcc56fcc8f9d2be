"""Compiled Monte Carlo samplers for lattice spin models.

The public API lives in mc_ext.samplers (validating wrappers) and
mc_ext.autocorr (autocorrelation times, binning errors); the Cython kernels
(_ising, _potts, _xy, with the shared _lattice and _xoshiro pieces) are
private. Kernels are typed memoryviews that run without the GIL and spread
independent chains over OpenMP threads; every chain owns a xoshiro256++
stream, so a seed gives the same bits whatever the number of threads.
"""

import os

try:
    from . import _ising, _lattice, _potts, _xy  # noqa: F401
except ImportError as e:  # e.g. importing the source tree instead of the installed package
    raise ImportError(
        f"mc_ext's compiled kernels are not built in {os.path.dirname(__file__)}; install the package "
        "(make install, or pip install .) and import it from outside the source directory."
    ) from e
from .autocorr import binning_error, integrated_autocorrelation_time
from .critical import XY_BKT_TEMPERATURE, ising_critical_temperature, potts_critical_temperature
from .memory import available_memory, check_memory
from .samplers import (
    ALGORITHMS,
    MAX_POTTS_Q,
    POTTS_ALGORITHMS,
    XY_ALGORITHMS,
    resolve_algorithm,
    resolve_potts_algorithm,
    resolve_xy_algorithm,
    sample_ising,
    sample_potts,
    sample_xy,
)

__all__ = [
    "sample_ising",
    "sample_potts",
    "sample_xy",
    "ising_critical_temperature",
    "potts_critical_temperature",
    "XY_BKT_TEMPERATURE",
    "resolve_algorithm",
    "resolve_potts_algorithm",
    "resolve_xy_algorithm",
    "integrated_autocorrelation_time",
    "binning_error",
    "available_memory",
    "check_memory",
    "ALGORITHMS",
    "POTTS_ALGORITHMS",
    "XY_ALGORITHMS",
    "MAX_POTTS_Q",
]
