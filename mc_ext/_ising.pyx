# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Private kernels for the 2D Ising model on an L x L torus.

Spins are int8 in {-1, +1}, stored row-major per chain, H = -J sum_<ij> S_i S_j
- h sum_i S_i. All chains are independent: each owns its spins, its xoshiro256++
stream and its Wolff scratch space, so the result does not depend on how the
chains are spread over threads. The validating public API is mc_ext.sample_ising.

One "step" of each algorithm (the unit of every count passed in here):
  metropolis: one checkerboard sweep (every site visited once);
  wolff:      a fixed number of Wolff clusters (chosen by the caller so that
              about N spins flip per step; it must not depend on the cluster
              sizes drawn in the step itself, or the state seen after a
              step would be biased towards configurations that grow large
              clusters);
  hybrid:     one wolff step followed by one metropolis sweep.
"""
from libc.stdint cimport uint64_t, uint32_t, int64_t, int32_t, int8_t, uint8_t
from libc.math cimport exp, fabs
from cython.parallel cimport prange
from ._xoshiro cimport Xoshiro, xoshiro_next, bounded, load_state, store_state

import numpy as np

cdef double TWO32 = 4294967296.0

cdef enum:
    ALGO_METROPOLIS = 0
    ALGO_WOLFF = 1
    ALGO_HYBRID = 2

ALGORITHM_CODES = {"metropolis": ALGO_METROPOLIS, "wolff": ALGO_WOLFF, "hybrid": ALGO_HYBRID}


def random_spins(uint64_t[:, ::1] rng, int L):
    """Infinite-temperature start: each chain's spins drawn from its own stream."""
    cdef Py_ssize_t n_chains = rng.shape[0], c, k, N = L * L
    out = np.empty((n_chains, L, L), dtype=np.int8)
    cdef int8_t[:, :, ::1] s = out
    cdef Xoshiro r
    for c in range(n_chains):
        load_state(&r, &rng[c, 0])
        for k in range(N):
            s[c, k // L, k % L] = 1 if (xoshiro_next(&r) >> 63) else -1
        store_state(&r, &rng[c, 0])
    return out


cdef inline uint64_t _threshold(double p, double scale) noexcept nogil:
    """Accept a move of probability p when a uniform integer in [0, scale) < threshold."""
    if p >= 1.0:
        return <uint64_t>scale
    if p <= 0.0:
        return 0
    return <uint64_t>(p * scale)


cdef inline void _metropolis_site(int8_t* row, const int8_t* up, const int8_t* down, Py_ssize_t j,
                                  Py_ssize_t left, Py_ssize_t right, const uint64_t* thr,
                                  uint64_t u) noexcept nogil:
    """Metropolis update of row[j] with a 32-bit uniform u; branch-free, as
    acceptance is unpredictable near Tc."""
    cdef int si = row[j]
    cdef int nb = up[j] + down[j] + row[left] + row[right]
    cdef int accept = u < thr[5 * si + nb + 9]
    row[j] = <int8_t>(si - 2 * si * accept)


cdef void _metropolis_sweep(int8_t* s, Py_ssize_t L, const uint64_t* thr_in, Xoshiro* rng) noexcept nogil:
    """One checkerboard sweep: all even sites (i + j even), then all odd ones.

    thr[5 S_i + nb + 9] (S_i = +-1, nb = sum of the four neighbours) is the
    tabulated acceptance min(1, exp(-2 S_i (J nb + h) / T)) scaled to 2^32.
    Sites are taken in pairs (j, j + 2) that share one 64-bit draw, one
    32-bit half each (acceptance exact to 2^-32); a row's wrap-around is
    only tested where it can occur. Indices are Py_ssize_t: with int they
    cost a sign extension at every pointer offset (20% of the sweep).
    """
    cdef Xoshiro r = rng[0]
    cdef uint64_t thr[19]
    cdef uint64_t x
    cdef int parity, k
    cdef Py_ssize_t i, j
    cdef int8_t* row
    cdef int8_t* up
    cdef int8_t* down
    for k in range(19):
        thr[k] = thr_in[k]
    for parity in range(2):
        for i in range(L):
            row = s + i * L
            up = s + (L - 1 if i == 0 else i - 1) * L
            down = s + (0 if i == L - 1 else i + 1) * L
            j = (i + parity) & 1
            while j + 2 < L:
                x = xoshiro_next(&r)
                _metropolis_site(row, up, down, j, L - 1 if j == 0 else j - 1, j + 1, thr, x & 0xFFFFFFFFULL)
                _metropolis_site(row, up, down, j + 2, j + 1, 0 if j + 3 == L else j + 3, thr, x >> 32)
                j += 4
            if j < L:
                x = xoshiro_next(&r)
                _metropolis_site(row, up, down, j, L - 1 if j == 0 else j - 1,
                                 0 if j == L - 1 else j + 1, thr, x & 0xFFFFFFFFULL)
    rng[0] = r


cdef int64_t _wolff_cluster(int8_t* s, int L, const int32_t* nbr, int sgn_j, uint64_t p_add,
                            int32_t* stack, int32_t* mark, int32_t label, bint use_mark,
                            Xoshiro* rng) noexcept nogil:
    """Grow and flip one Wolff cluster; returns its size.

    A bond (i, k) is satisfied when J S_i S_k > 0 (parallel for J > 0,
    antiparallel for J < 0) and is added with p_add = 1 - exp(-2 |J| / T)
    (a threshold on a 32-bit uniform, exact to 2^-32).
    Sites are flipped as they join, so the test on the old spin -S_i never
    re-adds a cluster site when the lattice is bipartite (any J > 0, or even
    L): a cluster neighbour then had the opposite old bond state and now
    fails the test. Only J < 0 on an odd torus (frustrated) needs mark[]
    (== label) to tell cluster membership; use_mark switches it on.
    nbr[4 i + d] are the four neighbours of site i (a table, no divisions).
    """
    cdef Xoshiro local = rng[0]  # a local copy stays in registers (int8 stores alias)
    cdef Xoshiro* r = &local
    cdef int N = L * L
    cdef int seed = bounded(r, N)
    cdef Py_ssize_t top = 1, i, k
    cdef int want, n, join
    cdef uint64_t x0, x1, u
    cdef int64_t size = 1
    stack[0] = seed
    if use_mark:
        mark[seed] = label
    s[seed] = -s[seed]
    while top > 0:
        top -= 1
        i = stack[top]
        # s[i] is already flipped: its old value is -s[i].
        want = -sgn_j * s[i]
        # Branch-free: whether a bond joins is unpredictable, so every
        # neighbour gets a 32-bit uniform (two per draw) and a masked update.
        x0 = xoshiro_next(r)
        x1 = xoshiro_next(r)
        for n in range(4):
            k = nbr[4 * i + n]
            u = (x0 >> (32 * n)) & 0xFFFFFFFFULL if n < 2 else (x1 >> (32 * (n - 2))) & 0xFFFFFFFFULL
            join = (s[k] == want) & (u < p_add)
            if use_mark:
                join = join & (mark[k] != label)
                mark[k] = label if join else mark[k]
            s[k] = <int8_t>(s[k] - 2 * s[k] * join)
            stack[top] = k
            top += join
            size += join
    rng[0] = local
    return size


cdef void _measure(const int8_t* s, int L, double J, double h, double* out) noexcept nogil:
    """out = (m, m_s, E/N); m_s uses the sign (-1)^(i + j), + at the origin."""
    cdef int i, j, si, right, down
    cdef int64_t total = 0, staggered = 0, bonds = 0
    cdef double n_sites = L * L
    for i in range(L):
        down = (0 if i == L - 1 else i + 1) * L
        for j in range(L):
            si = s[i * L + j]
            right = 0 if j == L - 1 else j + 1
            total += si
            staggered += si if ((i + j) & 1) == 0 else -si
            bonds += si * (s[i * L + right] + s[down + j])
    out[0] = total / n_sites
    out[1] = staggered / n_sites
    out[2] = (-J * bonds - h * total) / n_sites


cdef void _run_chain(int8_t* s, uint64_t* state, int32_t* mark, int32_t* label, int32_t* stack,
                     int L, const int32_t* nbr, double J, double h, int sgn_j, const uint64_t* thr, uint64_t p_add,
                     int algorithm, Py_ssize_t clusters_per_step, Py_ssize_t n_steps,
                     double* trace, bint do_trace, uint8_t* rec, Py_ssize_t n_records,
                     Py_ssize_t record_every, int64_t* flipped) noexcept nogil:
    cdef Xoshiro r
    load_state(&r, state)
    cdef Py_ssize_t step, k, cluster, n_rec = 0
    cdef int N = L * L
    # Per-chain counters live in locals: neighbouring chains' entries share a
    # cache line, and writing them per cluster would bounce it between threads.
    cdef int32_t current_label = label[0]
    cdef bint use_mark = sgn_j < 0 and L % 2 == 1
    cdef int64_t n_flipped = 0
    for step in range(n_steps):
        if algorithm == ALGO_WOLFF or algorithm == ALGO_HYBRID:
            for cluster in range(clusters_per_step):
                if use_mark and current_label == 2147483647:
                    for k in range(N):
                        mark[k] = 0
                    current_label = 0
                current_label += 1
                n_flipped += _wolff_cluster(s, L, nbr, sgn_j, p_add, stack, mark, current_label,
                                            use_mark, &r)
        if algorithm == ALGO_METROPOLIS or algorithm == ALGO_HYBRID:
            _metropolis_sweep(s, L, thr, &r)
        if do_trace:
            _measure(s, L, J, h, trace + 3 * step)
        if n_rec < n_records and (step + 1) % record_every == 0:
            for k in range(N):
                rec[n_rec * N + k] = <uint8_t>((s[k] + 1) >> 1)
            n_rec += 1
    label[0] = current_label
    flipped[0] += n_flipped
    store_state(&r, state)


def run_chains(int8_t[:, :, ::1] spins, uint64_t[:, ::1] rng, int32_t[:, ::1] mark,
               int32_t[::1] label, int32_t[:, ::1] stack, const int32_t[:, ::1] nbr, double coupling, double field,
               double temperature, int algorithm, Py_ssize_t clusters_per_step, Py_ssize_t n_steps,
               double[:, :, ::1] trace, uint8_t[:, :, :, ::1] records,
               Py_ssize_t record_every, int64_t[::1] flipped, int n_threads):
    """Advance every chain by n_steps in parallel over chains (no validation here).

    nbr is mc_ext._lattice.neighbour_table(L). trace (chains, n_steps or 0, 3)
    receives (m, m_s, E/N) after each step when its second axis is n_steps; records (chains, n_records, L, L) receives sigma
    in {0, 1} after every record_every-th step.
    """
    cdef Py_ssize_t n_chains = spins.shape[0], c
    cdef int L = spins.shape[1]
    cdef uint64_t thr[19]
    cdef int si, nb
    for si in range(19):
        thr[si] = 0
    for si in range(-1, 2, 2):
        for nb in range(-4, 5, 2):
            # dE = 2 S_i (J nb + h); the sweep looks the threshold up at 5 S_i + nb + 9.
            thr[5 * si + nb + 9] = _threshold(exp(-2.0 * si * (coupling * nb + field) / temperature), TWO32)
    cdef uint64_t p_add = _threshold(1.0 - exp(-2.0 * fabs(coupling) / temperature), TWO32)
    cdef int sgn_j = 1 if coupling >= 0 else -1
    cdef bint do_trace = trace.shape[1] == n_steps and n_steps > 0
    cdef Py_ssize_t n_records = records.shape[1]
    for c in prange(n_chains, nogil=True, num_threads=n_threads, schedule="dynamic", chunksize=1):
        _run_chain(&spins[c, 0, 0], &rng[c, 0], &mark[c, 0], &label[c], &stack[c, 0],
                   L, &nbr[0, 0], coupling, field, sgn_j, thr, p_add, algorithm, clusters_per_step, n_steps,
                   &trace[c, 0, 0] if do_trace else NULL, do_trace,
                   &records[c, 0, 0, 0] if n_records > 0 else NULL, n_records, record_every,
                   &flipped[c])
