# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernels for the classical XY model on an L x L torus.

Spins are angles theta in [0, 2 pi) (float64), H = -J sum_<ij> cos(theta_i - theta_j).
Chains are independent (own spins, own xoshiro256++ stream, own stack).
The validating public API is mc_ext.sample_xy.

One "step" of each algorithm:
  metropolis: one sequential sweep; theta' = theta + delta (2u - 1), accepted
              with min(1, exp(-dE / T)); delta is fixed by the caller (tuned
              during thermalization, then frozen);
  wolff:      a fixed number of embedded-Ising (Wolff 1989) clusters: a random
              mirror direction r; the cluster grows over bonds with
              p = 1 - exp(min(0, -2 J (r.s_i)(r.s_k) / T)) and every member is
              reflected, s -> s - 2 (r.s) r (needs J > 0);
  hybrid:     one wolff step, then one metropolis sweep.
"""
from libc.stdint cimport uint64_t, int64_t, int32_t
from libc.math cimport exp, cos, sin, sqrt, fmod, M_PI
from cython.parallel cimport prange
from ._xoshiro cimport Xoshiro, xoshiro_next, bounded, uniform as _uniform, load_state, store_state

import numpy as np

cdef double TWO_PI = 2.0 * M_PI

cdef enum:
    ALGO_METROPOLIS = 0
    ALGO_WOLFF = 1
    ALGO_HYBRID = 2

ALGORITHM_CODES = {"metropolis": ALGO_METROPOLIS, "wolff": ALGO_WOLFF, "hybrid": ALGO_HYBRID}


cdef inline double _wrap(double t) noexcept nogil:
    t = fmod(t, TWO_PI)
    return t + TWO_PI if t < 0 else t


def random_angles(uint64_t[:, ::1] rng, int L):
    """Infinite-temperature start: uniform angles from each chain's own stream."""
    cdef Py_ssize_t n_chains = rng.shape[0], c, k, N = L * L
    out = np.empty((n_chains, L, L), dtype=np.float64)
    cdef double[:, :, ::1] s = out
    cdef Xoshiro r
    for c in range(n_chains):
        load_state(&r, &rng[c, 0])
        for k in range(N):
            s[c, k // L, k % L] = TWO_PI * _uniform(&r)
        store_state(&r, &rng[c, 0])
    return out


cdef int64_t _metropolis_sweep(double* s, int N, const int32_t* nbr, double K, double delta,
                               Xoshiro* r) noexcept nogil:
    """One sequential sweep with K = J / T; returns the number of accepted moves."""
    cdef int i, d
    cdef double old, new, de
    cdef int64_t accepted = 0
    for i in range(N):
        old = s[i]
        new = _wrap(old + delta * (2.0 * _uniform(r) - 1.0))
        de = 0.0
        for d in range(4):
            de += cos(old - s[nbr[4 * i + d]]) - cos(new - s[nbr[4 * i + d]])
        # dE / T = K * de
        if K * de <= 0.0 or _uniform(r) < exp(-K * de):
            s[i] = new
            accepted += 1
    return accepted


cdef int64_t _wolff_cluster(double* s, int N, const int32_t* nbr, double K, int32_t* stack,
                            Xoshiro* r) noexcept nogil:
    """Grow and reflect one embedded-Ising cluster; returns its size.

    Members are reflected as they join, so their projection on r changes
    sign; a bond needs (r.s_i)(r.s_k) > 0 with the old projections, which a
    reflected member never satisfies again: no membership marks are needed.
    """
    cdef double phi = TWO_PI * _uniform(r)
    cdef int seed = bounded(r, N)
    cdef Py_ssize_t top = 1, i, k
    cdef int n
    cdef double pi_old, pk, prob
    cdef int64_t size = 1
    stack[0] = seed
    s[seed] = _wrap(2.0 * phi + M_PI - s[seed])
    while top > 0:
        top -= 1
        i = stack[top]
        pi_old = -cos(s[i] - phi)  # s[i] is reflected already
        for n in range(4):
            k = nbr[4 * i + n]
            pk = cos(s[k] - phi)
            if pi_old * pk > 0.0:
                prob = 1.0 - exp(-2.0 * K * pi_old * pk)
                if _uniform(r) < prob:
                    s[k] = _wrap(2.0 * phi + M_PI - s[k])
                    stack[top] = k
                    top += 1
                    size += 1
    return size


cdef void _measure(const double* s, int L, double J, double* out) noexcept nogil:
    """out = (|m|, E/N) with m = (1/N) sum_k (cos theta_k, sin theta_k)."""
    cdef int i, j, k, N = L * L
    cdef double mx = 0.0, my = 0.0, bonds = 0.0
    for i in range(L):
        for j in range(L):
            k = i * L + j
            mx += cos(s[k])
            my += sin(s[k])
            bonds += cos(s[k] - s[i * L + (0 if j == L - 1 else j + 1)])
            bonds += cos(s[k] - s[(0 if i == L - 1 else i + 1) * L + j])
    out[0] = sqrt(mx * mx + my * my) / N
    out[1] = -J * bonds / N


cdef void _run_chain(double* s, uint64_t* state, int32_t* stack, int L, const int32_t* nbr,
                     double J, double K, double delta, int algorithm, Py_ssize_t clusters_per_step,
                     Py_ssize_t n_steps, double* trace, bint do_trace, float* rec,
                     Py_ssize_t n_records, Py_ssize_t record_every, int64_t* flipped,
                     int64_t* accepted) noexcept nogil:
    cdef Xoshiro r
    load_state(&r, state)
    cdef Py_ssize_t step, k, cluster, n_rec = 0
    cdef int N = L * L
    cdef int64_t n_flipped = 0, n_accepted = 0
    for step in range(n_steps):
        if algorithm == ALGO_WOLFF or algorithm == ALGO_HYBRID:
            for cluster in range(clusters_per_step):
                n_flipped += _wolff_cluster(s, N, nbr, K, stack, &r)
        if algorithm == ALGO_METROPOLIS or algorithm == ALGO_HYBRID:
            n_accepted += _metropolis_sweep(s, N, nbr, K, delta, &r)
        if do_trace:
            _measure(s, L, J, trace + 2 * step)
        if n_rec < n_records and (step + 1) % record_every == 0:
            for k in range(N):
                rec[n_rec * N + k] = <float>s[k]
            n_rec += 1
    flipped[0] += n_flipped
    accepted[0] += n_accepted
    store_state(&r, state)


def run_chains(double[:, :, ::1] spins, uint64_t[:, ::1] rng, int32_t[:, ::1] stack,
               const int32_t[:, ::1] nbr, double coupling, double temperature, double delta,
               int algorithm, Py_ssize_t clusters_per_step, Py_ssize_t n_steps,
               double[:, :, ::1] trace, float[:, :, :, ::1] records, Py_ssize_t record_every,
               int64_t[::1] flipped, int64_t[::1] accepted, int n_threads):
    """Advance every chain by n_steps in parallel over chains (no validation here).

    trace (chains, n_steps or 0, 2) receives (|m|, E/N) after each step;
    records (chains, n_records, L, L) receives the angles after every
    record_every-th step.
    """
    cdef Py_ssize_t n_chains = spins.shape[0], c
    cdef int L = spins.shape[1]
    cdef double K = coupling / temperature
    cdef bint do_trace = trace.shape[1] == n_steps and n_steps > 0
    cdef Py_ssize_t n_records = records.shape[1]
    for c in prange(n_chains, nogil=True, num_threads=n_threads, schedule="dynamic", chunksize=1):
        _run_chain(&spins[c, 0, 0], &rng[c, 0], &stack[c, 0], L, &nbr[0, 0], coupling, K, delta,
                   algorithm, clusters_per_step, n_steps,
                   &trace[c, 0, 0] if do_trace else NULL, do_trace,
                   &records[c, 0, 0, 0] if n_records > 0 else NULL, n_records, record_every,
                   &flipped[c], &accepted[c])
