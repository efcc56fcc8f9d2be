"""The generic chain driver: independent chains of one kernel (mc_ext.kernels), run in interruptible pieces.

Chains holds the spins, random streams and scratch space of a set of chains;
sample_chains thermalizes them, measures tau_int in a pilot run and records
every spacing-th configuration (see mc_ext.samplers for the whole procedure).
"""

import math
import time
import warnings

import numpy as np

from . import _lattice

MAX_PILOT_STEPS = 1 << 16
MIN_PILOT_STEPS = 256
PILOT_LENGTH_IN_TAU = 50
CALIBRATION_STEPS = 10
XY_CALIBRATION_ACCEPTANCE = 0.5
# A piece of a long run takes about this long, so Ctrl-C is honoured quickly.
INTERRUPT_SECONDS = 0.25


class Chains:
    """Spins, random streams and scratch space of a set of independent chains of one model.

    params are the model's couplings as the kernel takes them: Ising (J, h, T),
    Potts (q, J, T), XY (J, T).
    """

    def __init__(self, kernel, L, n_chains, seed, params):
        self.kernel, self.L, self.params = kernel, L, params
        self.rng = _lattice.seed_streams(seed, n_chains)
        self.nbr = _lattice.neighbour_table(L)
        self.spins = kernel.start(self)
        self.stack = np.zeros((n_chains, L * L), dtype=np.int32)
        self.flipped = np.zeros(n_chains, dtype=np.int64)
        self.accepted = np.zeros(n_chains, dtype=np.int64)
        self.clusters_per_step = 1
        self.delta = math.pi  # XY Metropolis window

    @property
    def n_chains(self):
        return self.spins.shape[0]

    def _step(self, algorithm, n_steps, n_threads, trace, records, record_every):
        """One kernel call: n_steps on every chain, into the given trace and records views."""
        self.kernel.step(self, self.kernel.codes[algorithm], n_steps, n_threads, trace, records, record_every)

    def run(self, algorithm, n_steps, n_threads, trace=False, n_records=0, record_every=1):
        """Advance n_steps, optionally tracing every step and recording every record_every-th.

        The steps are run in pieces of about INTERRUPT_SECONDS whose lengths
        are multiples of record_every: the kernel counts record boundaries
        from the start of each call, so the pieces record exactly what one
        call would, and Python can raise KeyboardInterrupt between them.
        Returns (trace (chains, n_steps or 0, width), records (chains, n_records, L, L)).
        """
        n_chains, L, width = self.n_chains, self.L, self.kernel.trace_width
        trace_buf = np.zeros((n_chains, n_steps if trace else 0, width))
        records = np.zeros((n_chains, n_records, L, L), dtype=self.kernel.record_dtype)
        done, piece = 0, record_every
        while done < n_steps:
            k = min(piece, n_steps - done)
            start = time.perf_counter()
            # The kernels take C-contiguous buffers: each piece gets its own, copied into place.
            piece_trace = np.zeros((n_chains, k if trace else 0, width))
            first, last = done // record_every, (done + k) // record_every
            piece_records = np.zeros(
                (n_chains, (last - first) if n_records else 0, L, L), dtype=self.kernel.record_dtype
            )
            self._step(algorithm, k, n_threads, piece_trace, piece_records, record_every)
            if trace:
                trace_buf[:, done : done + k] = piece_trace
            if n_records:
                records[:, first:last] = piece_records
            done += k
            elapsed = time.perf_counter() - start
            # Aim the next piece at INTERRUPT_SECONDS, at most doubling it.
            scale = min(2.0, INTERRUPT_SECONDS / max(elapsed, 1e-6))
            piece = max(record_every, int(k * scale) // record_every * record_every)
        return trace_buf, records

    def thermalize(self, algorithm, n_steps, n_threads):
        """Run n_steps, recalibrating clusters_per_step (cluster algorithms) to about N flipped
        spins per step and the Metropolis window (XY) to about 50% acceptance, every
        CALIBRATION_STEPS steps; both are frozen afterwards, so every later step is the same
        Markov move (a cluster count that depended on the clusters drawn in the step itself
        would bias the state towards configurations that grow large clusters)."""
        n_sites, done = self.L * self.L, 0
        while done < n_steps:
            chunk = min(CALIBRATION_STEPS, n_steps - done)
            flipped, accepted = self.flipped.sum(), self.accepted.sum()
            self.run(algorithm, chunk, n_threads)
            if algorithm != self.kernel.local:
                mean_cluster = (self.flipped.sum() - flipped) / (chunk * self.clusters_per_step * self.n_chains)
                self.clusters_per_step = max(1, int(round(n_sites / mean_cluster)))
            if algorithm != "wolff" and self.kernel.tunes_window:
                rate = (self.accepted.sum() - accepted) / (chunk * n_sites * self.n_chains)
                self.delta = float(np.clip(self.delta * max(rate, 0.05) / XY_CALIBRATION_ACCEPTANCE, 0.01, math.pi))
            done += chunk


def sample_chains(chains, algorithm, n_samples, n_thermalize, spacing, n_threads, what):
    """Thermalize, measure tau_int with a doubling pilot, record every `spacing` steps.

    The pilot is doubled until it is at least 50 tau_int long (the largest
    tau_int the kernel's trace gives, pooled over chains), and spacing
    defaults to ceil(2 tau_int).
    """
    kernel, n_chains = chains.kernel, chains.n_chains
    chains.thermalize(algorithm, n_thermalize, n_threads)
    pilot_steps = MIN_PILOT_STEPS
    while True:
        trace, _ = chains.run(algorithm, pilot_steps, n_threads, trace=True)
        taus = kernel.tau_of(trace)
        tau = max(taus.values())
        if pilot_steps >= PILOT_LENGTH_IN_TAU * tau:
            break
        if pilot_steps >= MAX_PILOT_STEPS:
            warnings.warn(
                f"{what}: tau_int = {tau:.0f} steps is too long for a reliable estimate "
                f"from a {pilot_steps}-step pilot; samples may be correlated.",
                RuntimeWarning,
                stacklevel=3,
            )
            break
        pilot_steps *= 2
    if spacing is None:
        spacing = max(1, math.ceil(2.0 * tau))
    per_chain = -(-n_samples // n_chains)
    flipped_before = chains.flipped.sum()
    _, records = chains.run(algorithm, per_chain * spacing, n_threads, n_records=per_chain, record_every=spacing)
    L = chains.L
    samples = np.ascontiguousarray(records.transpose(1, 0, 2, 3).reshape(-1, L, L)[:n_samples])
    clusters = algorithm != kernel.local
    info = {
        "algorithm": algorithm,
        "n_chains": n_chains,
        "n_thermalize": n_thermalize,
        "pilot_steps": pilot_steps,
        "tau_int": taus,
        "spacing": spacing,
        "production_steps_per_chain": per_chain * spacing,
        "clusters_per_step": chains.clusters_per_step if clusters else 0,
        "mean_flipped_per_step": (
            float(chains.flipped.sum() - flipped_before) / (n_chains * per_chain * spacing) if clusters else 0.0
        ),
    }
    return samples, info
