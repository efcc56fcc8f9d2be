# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernels for the q-state Potts model on an L x L torus.

States are int8 in [0, q), stored row-major per chain, H = -J sum_<ij> delta(s_i, s_j).
Chains are independent (own spins, own xoshiro256++ stream, own cluster
stack), so results do not depend on the thread count. The validating public
API is mc_ext.sample_potts.

One "step" of each algorithm:
  heatbath: one sequential (typewriter) sweep; each site is redrawn from its
            conditional distribution p(a) ~ exp(J n_a / T), n_a = neighbours in
            state a (every single-site move keeps the Boltzmann weight, so any
            fixed visiting order is a valid Markov step);
  wolff:    a fixed number of Wolff clusters (caller-chosen, about N spins per
            step): a cluster grows over equal neighbours with
            p_add = 1 - exp(-J / T) and all of it moves to one uniformly drawn
            other state (needs J > 0);
  hybrid:   one wolff step, then one heatbath sweep.
"""
from libc.stdint cimport uint64_t, int64_t, int32_t, int8_t, uint8_t
from libc.math cimport exp, cos, sin, sqrt, M_PI
from cython.parallel cimport prange
from ._xoshiro cimport Xoshiro, xoshiro_next, bounded, uniform as _uniform, load_state, store_state

import numpy as np

DEF MAX_Q = 127

cdef enum:
    ALGO_HEATBATH = 0
    ALGO_WOLFF = 1
    ALGO_HYBRID = 2

ALGORITHM_CODES = {"heatbath": ALGO_HEATBATH, "wolff": ALGO_WOLFF, "hybrid": ALGO_HYBRID}


def random_states(uint64_t[:, ::1] rng, int L, int q):
    """Infinite-temperature start: uniform states from each chain's own stream."""
    cdef Py_ssize_t n_chains = rng.shape[0], c, k, N = L * L
    out = np.empty((n_chains, L, L), dtype=np.int8)
    cdef int8_t[:, :, ::1] s = out
    cdef Xoshiro r
    for c in range(n_chains):
        load_state(&r, &rng[c, 0])
        for k in range(N):
            s[c, k // L, k % L] = <int8_t>bounded(&r, q)
        store_state(&r, &rng[c, 0])
    return out


cdef void _heatbath_sweep(int8_t* s, int N, int q, const int32_t* nbr, const double* bw,
                          Xoshiro* r) noexcept nogil:
    """bw[n] = exp(J n / T) for n = 0..4 equal neighbours."""
    cdef int i, a, d
    cdef int count[MAX_Q]
    cdef double w[MAX_Q]
    cdef double total, u
    for i in range(N):
        for a in range(q):
            count[a] = 0
        for d in range(4):
            count[s[nbr[4 * i + d]]] += 1
        total = 0.0
        for a in range(q):
            w[a] = bw[count[a]]
            total += w[a]
        u = _uniform(r) * total
        a = 0
        while a < q - 1 and u >= w[a]:
            u -= w[a]
            a += 1
        s[i] = <int8_t>a


cdef int64_t _wolff_cluster(int8_t* s, int N, int q, const int32_t* nbr, double p_add,
                            int32_t* stack, Xoshiro* r) noexcept nogil:
    """Grow one cluster of equal states and move it to another state; returns its size.

    Sites change state as they join, so a cluster site (now `new`) never
    passes the s[k] == old test again: no membership marks are needed.
    """
    cdef int seed = bounded(r, N)
    cdef int8_t old = s[seed]
    cdef int8_t new = <int8_t>((old + 1 + bounded(r, q - 1)) % q)
    cdef Py_ssize_t top = 1, i, k
    cdef int n
    cdef int64_t size = 1
    stack[0] = seed
    s[seed] = new
    while top > 0:
        top -= 1
        i = stack[top]
        for n in range(4):
            k = nbr[4 * i + n]
            if s[k] == old and _uniform(r) < p_add:
                s[k] = new
                stack[top] = k
                top += 1
                size += 1
    return size


cdef void _measure(const int8_t* s, int L, int q, double J, const double* cq, const double* sq,
                   double* out) noexcept nogil:
    """out = (|M|, E/N), M = (1/N) sum_k exp(2 pi i s_k / q), E = -J (equal bonds)."""
    cdef int i, j, k, N = L * L
    cdef double mx = 0.0, my = 0.0
    cdef int64_t equal = 0
    for i in range(L):
        for j in range(L):
            k = i * L + j
            mx += cq[s[k]]
            my += sq[s[k]]
            equal += (s[k] == s[i * L + (0 if j == L - 1 else j + 1)])
            equal += (s[k] == s[(0 if i == L - 1 else i + 1) * L + j])
    out[0] = sqrt(mx * mx + my * my) / N
    out[1] = -J * equal / <double>N


cdef void _run_chain(int8_t* s, uint64_t* state, int32_t* stack, int L, int q, const int32_t* nbr,
                     double J, const double* bw, double p_add, const double* cq, const double* sq,
                     int algorithm, Py_ssize_t clusters_per_step, Py_ssize_t n_steps,
                     double* trace, bint do_trace, uint8_t* rec, Py_ssize_t n_records,
                     Py_ssize_t record_every, int64_t* flipped) noexcept nogil:
    cdef Xoshiro r
    load_state(&r, state)
    cdef Py_ssize_t step, k, cluster, n_rec = 0
    cdef int N = L * L
    cdef int64_t n_flipped = 0
    for step in range(n_steps):
        if algorithm == ALGO_WOLFF or algorithm == ALGO_HYBRID:
            for cluster in range(clusters_per_step):
                n_flipped += _wolff_cluster(s, N, q, nbr, p_add, stack, &r)
        if algorithm == ALGO_HEATBATH or algorithm == ALGO_HYBRID:
            _heatbath_sweep(s, N, q, nbr, bw, &r)
        if do_trace:
            _measure(s, L, q, J, cq, sq, trace + 2 * step)
        if n_rec < n_records and (step + 1) % record_every == 0:
            for k in range(N):
                rec[n_rec * N + k] = <uint8_t>s[k]
            n_rec += 1
    flipped[0] += n_flipped
    store_state(&r, state)


def run_chains(int8_t[:, :, ::1] spins, uint64_t[:, ::1] rng, int32_t[:, ::1] stack,
               const int32_t[:, ::1] nbr, int q,
               double coupling, double temperature, int algorithm, Py_ssize_t clusters_per_step,
               Py_ssize_t n_steps, double[:, :, ::1] trace, uint8_t[:, :, :, ::1] records,
               Py_ssize_t record_every, int64_t[::1] flipped, int n_threads):
    """Advance every chain by n_steps in parallel over chains (no validation here).

    trace (chains, n_steps or 0, 2) receives (|M|, E/N) after each step;
    records (chains, n_records, L, L) receives the states after every
    record_every-th step.
    """
    if not 2 <= q <= MAX_Q:
        raise ValueError(f"q must be in [2, {MAX_Q}]")
    cdef Py_ssize_t n_chains = spins.shape[0], c
    cdef int L = spins.shape[1], n, a
    cdef double bw[5]
    for n in range(5):
        bw[n] = exp(coupling * n / temperature)
    cdef double cq[MAX_Q]
    cdef double sq[MAX_Q]
    for a in range(q):
        cq[a] = cos(2.0 * M_PI * a / q)
        sq[a] = sin(2.0 * M_PI * a / q)
    cdef double p_add = 1.0 - exp(-coupling / temperature) if coupling > 0 else 0.0
    cdef bint do_trace = trace.shape[1] == n_steps and n_steps > 0
    cdef Py_ssize_t n_records = records.shape[1]
    for c in prange(n_chains, nogil=True, num_threads=n_threads, schedule="dynamic", chunksize=1):
        _run_chain(&spins[c, 0, 0], &rng[c, 0], &stack[c, 0], L, q, &nbr[0, 0], coupling, bw, p_add,
                   cq, sq, algorithm, clusters_per_step, n_steps,
                   &trace[c, 0, 0] if do_trace else NULL, do_trace,
                   &records[c, 0, 0, 0] if n_records > 0 else NULL, n_records, record_every,
                   &flipped[c])
