"""Clusters of latent codes: the BIC mixture, ordered branches, the ring test (betavae_tf.analysis.clusters)."""

import numpy as np
import pytest

from betavae_tf.analysis import clusters


def _arms(n=400, arms=4, seed=0):
    """A disordered blob at the origin (hot) and `arms` ordered blobs at radius 3 (cold)."""
    rng = np.random.default_rng(seed)
    z = [rng.normal(0, 0.3, (n, 2))]
    t = [np.full(n, 3.0)]
    for a in range(arms):
        phi = 2 * np.pi * a / arms
        z.append(rng.normal(0, 0.3, (n, 2)) + 3 * np.array([np.cos(phi), np.sin(phi)]))
        t.append(np.full(n, 1.0))
    return np.concatenate(z), np.concatenate(t)


@pytest.mark.parametrize("arms", [2, 3, 4])
def test_mixture_finds_the_phases(arms):
    z, t = _arms(arms=arms)
    mixture, bic = clusters.choose_mixture(z, max_clusters=7)
    assert mixture.n_components == arms + 1 and min(bic, key=bic.get) == arms + 1
    assign = mixture.predict(z)
    disordered, branches = clusters.group_clusters(z, assign, t, mixture.means_, mixture.covariances_)
    assert np.allclose(mixture.means_[disordered], 0, atol=0.1) and len(branches) == arms


def test_an_arm_cut_in_two_is_one_branch():
    rng = np.random.default_rng(1)
    z = np.concatenate(
        [
            rng.normal(0, 0.3, (300, 2)),
            rng.normal(0, 0.3, (300, 2)) + [2, 0],
            rng.normal(0, 0.3, (300, 2)) + [4, 0],
            rng.normal(0, 0.3, (300, 2)) + [0, 3],
        ]
    )
    t = np.repeat([3.0, 1.5, 1.0, 1.0], 300)
    centres = np.array([[0, 0], [2, 0], [4, 0], [0, 3]], float)
    covs = np.stack([0.09 * np.eye(2)] * 4)
    assign = np.repeat(np.arange(4), 300)
    disordered, branches = clusters.group_clusters(z, assign, t, centres, covs)
    assert disordered == 0 and sorted(map(sorted, branches)) == [[1, 2], [3]]


def test_ring_measure_tells_a_ring_from_branches():
    rng = np.random.default_rng(2)
    phi = rng.uniform(0, 2 * np.pi, 2000)
    ring = np.stack([np.cos(phi), np.sin(phi)], 1) * 3 + rng.normal(0, 0.1, (2000, 2))
    gap, resultant = clusters.ring_measure(ring, np.zeros(2))
    assert gap < 10 and resultant < 0.1
    z, _ = _arms(arms=4)
    gap, _ = clusters.ring_measure(z[400:], np.zeros(2))
    assert gap > clusters.RING_GAP  # four arms leave gaps of about 60 degrees
