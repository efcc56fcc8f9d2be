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
from libc.stdint cimport uint64_t, int64_t, int32_t, int8_t, uint8_t
from libc.math cimport exp, fabs
from cython.parallel cimport prange
from ._xoshiro cimport Xoshiro, xoshiro_next, uniform53, bounded

import numpy as np

cdef double TWO53 = 9007199254740992.0

cdef enum:
    ALGO_METROPOLIS = 0
    ALGO_WOLFF = 1
    ALGO_HYBRID = 2

ALGORITHM_CODES = {"metropolis": ALGO_METROPOLIS, "wolff": ALGO_WOLFF, "hybrid": ALGO_HYBRID}


cdef inline uint64_t _splitmix64(uint64_t* x) noexcept nogil:
    x[0] += 0x9E3779B97F4A7C15ULL
    cdef uint64_t z = x[0]
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL
    return z ^ (z >> 31)


cdef void _jump(Xoshiro* r) noexcept nogil:
    """Advance by 2^128 draws: consecutive jumps give non-overlapping streams."""
    cdef uint64_t JUMP[4]
    JUMP[0] = 0x180ec6d33cfd0abaULL
    JUMP[1] = 0xd5a61266f0c9392cULL
    JUMP[2] = 0xa9582618e03fc9aaULL
    JUMP[3] = 0x39abdc4529b1661cULL
    cdef uint64_t t0 = 0, t1 = 0, t2 = 0, t3 = 0
    cdef int i, b
    for i in range(4):
        for b in range(64):
            if JUMP[i] & (1ULL << b):
                t0 ^= r.s0
                t1 ^= r.s1
                t2 ^= r.s2
                t3 ^= r.s3
            xoshiro_next(r)
    r.s0 = t0
    r.s1 = t1
    r.s2 = t2
    r.s3 = t3


def seed_streams(uint64_t seed, Py_ssize_t n_streams):
    """States (n_streams, 4) uint64: splitmix64(seed), then one jump per stream."""
    out = np.empty((n_streams, 4), dtype=np.uint64)
    cdef uint64_t[:, ::1] st = out
    cdef uint64_t x = seed
    cdef Xoshiro r
    r.s0 = _splitmix64(&x)
    r.s1 = _splitmix64(&x)
    r.s2 = _splitmix64(&x)
    r.s3 = _splitmix64(&x)
    cdef Py_ssize_t c
    for c in range(n_streams):
        st[c, 0] = r.s0
        st[c, 1] = r.s1
        st[c, 2] = r.s2
        st[c, 3] = r.s3
        _jump(&r)
    return out


def random_spins(uint64_t[:, ::1] rng, int L):
    """Infinite-temperature start: each chain's spins drawn from its own stream."""
    cdef Py_ssize_t n_chains = rng.shape[0], c, k, N = L * L
    out = np.empty((n_chains, L, L), dtype=np.int8)
    cdef int8_t[:, :, ::1] s = out
    cdef Xoshiro r
    for c in range(n_chains):
        r.s0 = rng[c, 0]
        r.s1 = rng[c, 1]
        r.s2 = rng[c, 2]
        r.s3 = rng[c, 3]
        for k in range(N):
            s[c, k // L, k % L] = 1 if (xoshiro_next(&r) >> 63) else -1
        rng[c, 0] = r.s0
        rng[c, 1] = r.s1
        rng[c, 2] = r.s2
        rng[c, 3] = r.s3
    return out


cdef inline uint64_t _threshold(double p) noexcept nogil:
    """Accept a move of probability p when uniform53() < threshold."""
    if p >= 1.0:
        return <uint64_t>TWO53
    if p <= 0.0:
        return 0
    return <uint64_t>(p * TWO53)


cdef void _metropolis_sweep(int8_t* s, int L, const uint64_t* thr, Xoshiro* rng) noexcept nogil:
    """One checkerboard sweep: all even sites (i + j even), then all odd ones.

    thr[5 * (S_i + 1) / 2 + (nb + 4) / 2] is the tabulated acceptance
    min(1, exp(-2 S_i (J nb + h) / T)) scaled to 2^53, nb = sum of neighbours.
    The flip is branch-free: acceptance is unpredictable near Tc.
    """
    cdef Xoshiro r = rng[0]
    cdef int parity, i, j, row, up, down, left, right, nb, si, accept
    for parity in range(2):
        for i in range(L):
            row = i * L
            up = (L - 1 if i == 0 else i - 1) * L
            down = (0 if i == L - 1 else i + 1) * L
            j = (i + parity) & 1
            while j < L:
                left = L - 1 if j == 0 else j - 1
                right = 0 if j == L - 1 else j + 1
                nb = s[up + j] + s[down + j] + s[row + left] + s[row + right]
                si = s[row + j]
                accept = uniform53(&r) < thr[5 * ((si + 1) >> 1) + ((nb + 4) >> 1)]
                s[row + j] = <int8_t>(si - 2 * si * accept)
                j += 2
    rng[0] = r


cdef int64_t _wolff_cluster(int8_t* s, int L, int sgn_j, uint64_t p_add, int32_t* stack,
                            int32_t* mark, int32_t label, Xoshiro* r) noexcept nogil:
    """Grow and flip one Wolff cluster; returns its size.

    A bond (i, k) is satisfied when J S_i S_k > 0 (parallel for J > 0,
    antiparallel for J < 0) and is added with p_add = 1 - exp(-2 |J| / T).
    Sites are flipped as they join, so mark[] (== label) tells cluster
    membership; the test on the old spin -S_i stays correct for either sign.
    """
    cdef int N = L * L
    cdef int seed = bounded(r, N)
    cdef int top = 1, i, k, x, y, want, n
    cdef int nbrs[4]
    cdef int64_t size = 1
    stack[0] = seed
    mark[seed] = label
    s[seed] = -s[seed]
    while top > 0:
        top -= 1
        i = stack[top]
        # s[i] is already flipped: its old value is -s[i].
        want = -sgn_j * s[i]
        x = i // L
        y = i - x * L
        nbrs[0] = (N - L + i) if x == 0 else i - L
        nbrs[1] = (i + L - N) if x == L - 1 else i + L
        nbrs[2] = (i + L - 1) if y == 0 else i - 1
        nbrs[3] = (i - L + 1) if y == L - 1 else i + 1
        for n in range(4):
            k = nbrs[n]
            if mark[k] != label and s[k] == want and uniform53(r) < p_add:
                mark[k] = label
                s[k] = -s[k]
                stack[top] = k
                top += 1
                size += 1
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
                     int L, double J, double h, int sgn_j, const uint64_t* thr, uint64_t p_add,
                     int algorithm, Py_ssize_t clusters_per_step, Py_ssize_t n_steps,
                     double* trace, bint do_trace, uint8_t* rec, Py_ssize_t n_records,
                     Py_ssize_t record_every, int64_t* flipped) noexcept nogil:
    cdef Xoshiro r
    r.s0 = state[0]
    r.s1 = state[1]
    r.s2 = state[2]
    r.s3 = state[3]
    cdef Py_ssize_t step, k, cluster, n_rec = 0
    cdef int N = L * L
    for step in range(n_steps):
        if algorithm == ALGO_WOLFF or algorithm == ALGO_HYBRID:
            for cluster in range(clusters_per_step):
                if label[0] == 2147483647:
                    for k in range(N):
                        mark[k] = 0
                    label[0] = 0
                label[0] += 1
                flipped[0] += _wolff_cluster(s, L, sgn_j, p_add, stack, mark, label[0], &r)
        if algorithm == ALGO_METROPOLIS or algorithm == ALGO_HYBRID:
            _metropolis_sweep(s, L, thr, &r)
        if do_trace:
            _measure(s, L, J, h, trace + 3 * step)
        if n_rec < n_records and (step + 1) % record_every == 0:
            for k in range(N):
                rec[n_rec * N + k] = <uint8_t>((s[k] + 1) >> 1)
            n_rec += 1
    state[0] = r.s0
    state[1] = r.s1
    state[2] = r.s2
    state[3] = r.s3


def run_chains(int8_t[:, :, ::1] spins, uint64_t[:, ::1] rng, int32_t[:, ::1] mark,
               int32_t[::1] label, int32_t[:, ::1] stack, double coupling, double field,
               double temperature, int algorithm, Py_ssize_t clusters_per_step, Py_ssize_t n_steps,
               double[:, :, ::1] trace, uint8_t[:, :, :, ::1] records,
               Py_ssize_t record_every, int64_t[::1] flipped, int n_threads):
    """Advance every chain by n_steps in parallel over chains (no validation here).

    trace (chains, n_steps or 0, 3) receives (m, m_s, E/N) after each step when
    its second axis is n_steps; records (chains, n_records, L, L) receives sigma
    in {0, 1} after every record_every-th step.
    """
    cdef Py_ssize_t n_chains = spins.shape[0], c
    cdef int L = spins.shape[1]
    cdef uint64_t thr[10]
    cdef int si, nb
    for si in range(2):
        for nb in range(5):
            # dE = 2 S_i (J nb + h) for S_i = 2 si - 1 and nb = 2 nb - 4
            thr[5 * si + nb] = _threshold(exp(-2.0 * (2 * si - 1) * (coupling * (2 * nb - 4) + field)
                                              / temperature))
    cdef uint64_t p_add = _threshold(1.0 - exp(-2.0 * fabs(coupling) / temperature))
    cdef int sgn_j = 1 if coupling >= 0 else -1
    cdef bint do_trace = trace.shape[1] == n_steps and n_steps > 0
    cdef Py_ssize_t n_records = records.shape[1]
    for c in prange(n_chains, nogil=True, num_threads=n_threads, schedule="dynamic", chunksize=1):
        _run_chain(&spins[c, 0, 0], &rng[c, 0], &mark[c, 0], &label[c], &stack[c, 0],
                   L, coupling, field, sgn_j, thr, p_add, algorithm, clusters_per_step, n_steps,
                   &trace[c, 0, 0] if do_trace else NULL, do_trace,
                   &records[c, 0, 0, 0] if n_records > 0 else NULL, n_records, record_every,
                   &flipped[c])
