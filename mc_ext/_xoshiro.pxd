# Per-chain xoshiro256++ generator (Blackman & Vigna), shared by the kernels.
# The state lives in a small struct that each kernel copies into a local
# variable, so the compiler keeps it in registers: spins are int8 and a char
# store may alias any memory, which would otherwise force reloads.
from libc.stdint cimport uint64_t

cdef struct Xoshiro:
    uint64_t s0
    uint64_t s1
    uint64_t s2
    uint64_t s3


cdef inline uint64_t _rotl(uint64_t x, int k) noexcept nogil:
    return (x << k) | (x >> (64 - k))


cdef inline uint64_t xoshiro_next(Xoshiro* r) noexcept nogil:
    cdef uint64_t result = _rotl(r.s0 + r.s3, 23) + r.s0
    cdef uint64_t t = r.s1 << 17
    r.s2 ^= r.s0
    r.s3 ^= r.s1
    r.s1 ^= r.s2
    r.s0 ^= r.s3
    r.s2 ^= t
    r.s3 = _rotl(r.s3, 45)
    return result


cdef inline int bounded(Xoshiro* r, int n) noexcept nogil:
    """A uniform integer in [0, n) by Lemire's multiply-shift (bias < n / 2^32)."""
    return <int>(((xoshiro_next(r) >> 32) * <uint64_t>n) >> 32)


cdef inline double uniform(Xoshiro* r) noexcept nogil:
    """A uniform double in [0, 1) from the top 53 bits of one draw."""
    return (xoshiro_next(r) >> 11) * (1.0 / 9007199254740992.0)


cdef inline void load_state(Xoshiro* r, const uint64_t* state) noexcept nogil:
    """A chain's stored state (4 uint64) into a local generator."""
    r.s0 = state[0]
    r.s1 = state[1]
    r.s2 = state[2]
    r.s3 = state[3]


cdef inline void store_state(const Xoshiro* r, uint64_t* state) noexcept nogil:
    state[0] = r.s0
    state[1] = r.s1
    state[2] = r.s2
    state[3] = r.s3
