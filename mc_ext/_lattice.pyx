# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Pieces every kernel shares: per-chain random streams and the torus neighbour table.

Stream c is the seed's splitmix64 state jumped c times by 2^128 xoshiro256++
draws, so chains never overlap and a seed gives the same bits whatever the
number of threads.
"""
from libc.stdint cimport uint64_t, int32_t
from ._xoshiro cimport Xoshiro, xoshiro_next

import numpy as np


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


def neighbour_table(int L):
    """(L*L, 4) int32: up, down, left, right neighbours of each site on the torus."""
    out = np.empty((L * L, 4), dtype=np.int32)
    cdef int32_t[:, ::1] nbr = out
    cdef int x, y
    for x in range(L):
        for y in range(L):
            nbr[x * L + y, 0] = ((x - 1 + L) % L) * L + y
            nbr[x * L + y, 1] = ((x + 1) % L) * L + y
            nbr[x * L + y, 2] = x * L + (y - 1 + L) % L
            nbr[x * L + y, 3] = x * L + (y + 1) % L
    return out
