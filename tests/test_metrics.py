"""Analysis metrics on constructed inputs with known answers."""

import numpy as np
import pytest

from betavae_tf.analysis import metrics as mt

L = 8
CHECKER = (np.add.outer(np.arange(L), np.arange(L)) % 2 == 0).astype(float)


def _configs():
    up, down = np.ones((L, L)), np.zeros((L, L))
    gray = np.full((L, L), 0.5)
    rng = np.random.default_rng(0)
    random = (rng.random((L, L)) < 0.5).astype(float)
    half = np.concatenate([np.ones((L // 2, L)), np.zeros((L // 2, L))])  # a domain wall: m = 0
    return np.stack([up, down, CHECKER, 1 - CHECKER, gray, random, half])


def test_order_parameters_and_phases():
    m, ms = mt.order_parameters(_configs())
    np.testing.assert_allclose(m[:5], [1, -1, 0, 0, 0])
    np.testing.assert_allclose(ms[:5], [0, 0, 1, -1, 0])
    phases = mt.classify_phase(_configs())
    names = [{v: k for k, v in mt.PHASE_CODES.items()}[p] for p in phases]
    assert names[:5] == ["FM", "FM", "AFM", "AFM", "PM"]
    assert names[6] == "PM"  # two domains of opposite sign have m = 0, m_s = 0
    # A map ordered on both order parameters at once is neither phase.
    both = np.where(CHECKER > 0, 1.0, 0.5)[None]
    assert mt.classify_phase(both)[0] == mt.PHASE_CODES["mixed"]
    fr = mt.phase_fractions(phases)
    assert fr["FM"] == pytest.approx(2 / 7) and sum(fr.values()) == pytest.approx(1)
    # Global spin flip keeps the phase; the channel axis is accepted.
    np.testing.assert_array_equal(mt.classify_phase(1 - _configs()), phases)
    np.testing.assert_array_equal(mt.classify_phase(_configs()[..., None]), phases)
    with pytest.raises(ValueError, match=r"\[N, L, L\]"):
        mt.classify_phase(np.zeros((3, 4, 5)))


def test_correlations_and_alignment():
    rng = np.random.default_rng(1)
    m, ms = rng.normal(size=500), rng.normal(size=500)
    aligned = np.stack([m, ms + 0.01 * rng.normal(size=500)], axis=1)
    c = mt.latent_correlations(aligned, {"m": m, "ms": ms})
    assert c["pearson"]["m"][0] == pytest.approx(1.0) and abs(c["pearson"]["m"][1]) < 0.15
    assert c["spearman"]["ms"][1] > 0.99
    a, b, score = mt.axis_alignment(c["pearson"]["m"], c["pearson"]["ms"])
    assert (a, b) == (0, 1) and score > 0.85
    # Swapped axes are found; a 45 degree rotation shares both on both axes.
    a, b, _ = mt.axis_alignment(c["pearson"]["m"][::-1], c["pearson"]["ms"][::-1])
    assert (a, b) == (1, 0)
    rot = aligned @ (np.array([[1, -1], [1, 1]]) / np.sqrt(2))
    cr = mt.latent_correlations(rot, {"m": m, "ms": ms})["pearson"]
    assert mt.axis_alignment(cr["m"], cr["ms"])[2] < 0.1
    const = mt.latent_correlations(np.zeros((500, 2)), {"m": m})
    assert const["pearson"]["m"] == [0.0, 0.0]


def _three_phase_latent(angle, n=300, seed=0):
    rng = np.random.default_rng(seed)
    u = np.array([1.0, 0.0])
    v = np.array([np.cos(angle), np.sin(angle)])
    sign = rng.choice([-1, 1], n)
    fm = 3 * sign[:, None] * u + 0.1 * rng.normal(size=(n, 2))
    afm = 3 * sign[:, None] * v + 0.1 * rng.normal(size=(n, 2))
    pm = 0.1 * rng.normal(size=(n, 2))
    return np.concatenate([fm, afm, pm]), np.repeat([0, 1, 2], n)


@pytest.mark.parametrize("angle,expected", [(np.pi / 2, 0.0), (np.pi / 3, 0.5), (0.0, 1.0)])
def test_fm_afm_cosine(angle, expected):
    z, phase = _three_phase_latent(angle)
    assert mt.fm_afm_cosine(z, phase) == pytest.approx(expected, abs=0.03)


def test_mmd():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20000, 3))
    assert mt.mmd2(x, x) == 0.0
    assert mt.mmd2(x, x + np.array([1.0, 2.0, 0.0])) == pytest.approx(5.0, rel=1e-9)
    assert mt.mmd2(x[:10000], x[10000:]) < 0.002  # two draws of one distribution: O(d / N)
    with pytest.raises(ValueError, match="different dimension"):
        mt.mmd2(x, x[:, :2])


def test_mmd_isometry_of_an_exact_scaling():
    # FM +/- at m = +-1 and PM at m = 0; latent = a linear image that scales all distances alike.
    n = 50
    spins = np.concatenate([np.ones((n, L, L)), np.zeros((n, L, L)), np.full((n, L, L), 0.5)])
    m = np.concatenate([np.ones(n), -np.ones(n), np.zeros(n)])
    phase = np.repeat([0, 0, 2], n)
    latent = np.stack([0.5 * m, np.zeros_like(m)], axis=1)
    out = mt.mmd_isometry(spins, latent, m, phase)
    assert out["+,-"]["input"] == pytest.approx(2 * L)  # ||2 * 1||_2 over L^2 sites
    assert out["+,PM"]["input"] == pytest.approx(L)
    assert out["ratio_spread"] == pytest.approx(1.0)
    bent = latent.copy()
    bent[2 * n :, 1] = 1.0  # PM moved off the FM axis: distances no longer scale alike
    assert mt.mmd_isometry(spins, bent, m, phase)["ratio_spread"] > 1.2


def test_cosine_similarity_matrix():
    z = np.array([[1.0, 0.0], [2.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])
    s = mt.cosine_similarity_matrix(z)
    np.testing.assert_allclose(np.diag(s), 1.0)
    assert s[0, 1] == pytest.approx(1.0) and s[0, 2] == pytest.approx(0.0) and s[0, 3] == pytest.approx(-1.0)


def test_mig_identity_high_constant_zero():
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 4, 4000), rng.integers(0, 2, 4000)
    identity = np.stack([a + 0.05 * rng.normal(size=4000), b + 0.05 * rng.normal(size=4000)], 1)
    high = mt.mutual_information_gap(identity, {"a": a, "b": b})
    assert high["mig"] > 0.9
    assert mt.mutual_information_gap(np.zeros((4000, 2)), {"a": a, "b": b})["mig"] == pytest.approx(0.0)
    # Both factors mixed into both axes equally: the gap is small.
    mixed = np.stack([a + 4 * b, a + 4 * b], 1) + 0.05 * rng.normal(size=(4000, 2))
    assert mt.mutual_information_gap(mixed, {"a": a, "b": b})["mig"] < 0.2


def test_local_fields_are_logits():
    m = np.stack([np.full((L, L), 0.9), np.full((L, L), 0.5), np.where(CHECKER > 0, 0.8, 0.2)])
    out = mt.local_field_stats(m)
    assert out["FM"]["mean_h"] == pytest.approx(np.log(9))
    assert out["PM"]["mean_abs_h"] == pytest.approx(0.0, abs=1e-9)
    assert out["AFM"]["mean_h"] == pytest.approx(0.0, abs=1e-9)
    assert out["AFM"]["spatial_std_h"] == pytest.approx(np.log(4))


# -- Sec. V cluster metrics ---------------------------------------------------------------
def test_kmeans_purity_separated_and_uninformative_codes():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), 100)
    centres = np.array([[0, 0], [5, 0], [0, 5], [5, 5]], float)
    z = centres[labels] + 0.3 * rng.normal(size=(400, 2))
    purity, per_class, assign = mt.kmeans_purity(z, labels)
    assert purity == 1.0 and all(v == 1.0 for v in per_class.values()) and len(set(assign)) == 4
    noise = rng.normal(size=(400, 2))
    purity, _, _ = mt.kmeans_purity(noise, labels)
    assert purity < 0.45  # chance is 1/4 plus what k-means can carve out of noise


def test_distance_spread_tetrahedron_and_block_diagonality():
    # A regular tetrahedron: PM at one vertex, three polarized at the others.
    tet = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)
    centres = dict(enumerate(tet))
    d, spread = mt.distance_spread(centres, 0, [1, 2, 3])
    assert spread == pytest.approx(0.0, abs=1e-12) and d[0] == pytest.approx(np.sqrt(8))
    ratio, volume = mt.tetrahedron_ratio(tet)
    assert ratio == pytest.approx(1.0) and volume == pytest.approx(1.0)
    flat = np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], float)
    ratio, volume = mt.tetrahedron_ratio(flat)
    assert ratio == pytest.approx(np.sqrt(2)) and volume == pytest.approx(0.0, abs=1e-12)
    centres[3] = 2 * tet[3] - tet[0]  # twice as far from PM
    _, spread = mt.distance_spread(centres, 0, [1, 2, 3])
    assert spread == pytest.approx((2 - 1) / (4 / 3))
    # Orthogonal class directions: cosine 1 within, 0 across.
    labels = np.repeat(np.arange(3), 5)
    z = np.eye(3)[labels]
    contrast, within, across = mt.block_diagonality(mt.cosine_similarity_matrix(z), labels)
    assert (contrast, within, across) == (1.0, 1.0, 0.0)
    shuffled = np.random.default_rng(1).permutation(labels)
    assert abs(mt.block_diagonality(mt.cosine_similarity_matrix(z), shuffled)[0]) < 0.3


def test_classify_categorical():
    probs = np.zeros((3, 4, 4, 3))
    probs[0] = [0.9, 0.05, 0.05]
    probs[1] = 1 / 3
    probs[2] = [0.5, 0.5, 0.0]
    assert mt.classify_categorical(probs).tolist() == [3, 2, -2]


def test_angle_alignment_up_to_rotation_and_reflection():
    rng = np.random.default_rng(0)
    phi = rng.uniform(0, 2 * np.pi, 500)
    v = np.stack([np.cos(phi), np.sin(phi)], axis=1) * rng.uniform(0.5, 1, (500, 1))
    rotated = np.stack([np.cos(phi + 1.0), np.sin(phi + 1.0)], axis=1) * 3 + 5
    r, s, offset = mt.angle_alignment(rotated, v, centre=[5, 5])
    assert r == pytest.approx(1.0) and s == 1 and offset == pytest.approx(1.0)
    reflected = np.stack([np.cos(-phi), np.sin(-phi)], axis=1)
    r, s, _ = mt.angle_alignment(reflected, v, centre=[0, 0])
    assert r == pytest.approx(1.0) and s == -1
    r, _, _ = mt.angle_alignment(rng.normal(size=(500, 2)), v, centre=[0, 0])
    assert r < 0.15  # unrelated angles: about 1/sqrt(500) = 0.045
