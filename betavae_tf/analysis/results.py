"""Typed records that the analysis modules hand each other in memory.

summary.json keeps their plain-number form (Transition.summary()); the
modules that compute (transition, discovery) return these records and the
modules that read them (scaling, the figures) take them, so a renamed or
missing field fails where it is read, not as a KeyError deep in a report.
"""

import dataclasses
from typing import NamedTuple

import numpy as np


class Estimate(NamedTuple):
    """A temperature located by one estimator: its value, bootstrap error and the curve it was read from."""

    tc: float
    error: float
    curve: dict  # {"temperatures", "mean"} (logistic midpoint) or {"temperatures", "slope"} (steepest slope)


@dataclasses.dataclass(frozen=True)
class Transition:
    """Tc of one order parameter against T (transition.transition): the logistic midpoint and the steepest slope.

    note says why nothing was located (fewer than 4 temperatures); tc and
    error are then NaN and the curves None.
    """

    tc: float
    error: float
    curve: dict | None
    steepest: Estimate | None
    note: str | None = None

    def summary(self) -> dict:
        """The plain numbers summary.json holds."""
        steepest = self.steepest or Estimate(float("nan"), float("nan"), None)
        out = {
            "tc": self.tc,
            "error": self.error,
            "curve": self.curve,
            "steepest": {"tc": steepest.tc, "error": steepest.error, "slope": steepest.curve},
        }
        if self.note is not None:
            out["note"] = self.note
        return out


@dataclasses.dataclass(frozen=True, kw_only=True)
class OrderParameterRun:
    """One run's latent order parameter as the finite-size study (scaling.finite_size) reads it.

    Per configuration: its temperature, coupling (NaN where unknown) and r;
    per run: L, the transition located from r, and with data at several
    couplings the transition at each (keyed "1", "-1", ...).
    """

    lattice_size: int
    temperature: np.ndarray
    r: np.ndarray
    coupling: np.ndarray
    transition: Transition
    by_coupling: dict[str, Transition] = dataclasses.field(default_factory=dict)

    @property
    def temperatures(self) -> np.ndarray:
        """The temperature grid: the distinct finite temperatures, ascending."""
        return np.unique(self.temperature[np.isfinite(self.temperature)])


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunArrays(OrderParameterRun):
    """One analysed run in memory (discovery.analyze_run), beside its summary's plain numbers.

    Per configuration: z (posterior means), its mixture cluster (assign), its
    ordered branch (branch_of, -1 outside every branch), r_pca (the PCA
    baseline's radius), with temperature, coupling and r as in
    OrderParameterRun; per cluster: centres in z and decoded_centres (the
    decoder's mean maps at the centres).
    """

    z: np.ndarray
    assign: np.ndarray
    branch_of: np.ndarray
    r_pca: np.ndarray
    centres: np.ndarray
    decoded_centres: np.ndarray
