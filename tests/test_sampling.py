"""Exact sampling with a model as the proposal: checked against exact enumeration on the 4 x 4 torus.

The models here are untrained (a deliberately poor proposal: every site is close
to a fair coin whatever z), so only the Metropolis-Hastings correction can make
the chains Boltzmann distributed.
"""

import numpy as np
import pytest
from scipy import stats

from betavae_tf import lattice, sampling
from betavae_tf.physics import enumerate_ising
from betavae_tf.physics.potts import potts_finite_lattice_energy

L = 4


@pytest.fixture(scope="module")
def ising_model():
    from betavae_tf.models import BetaVAE

    return BetaVAE(lattice_size=L, channels=1, latent_dim=2, decoder="bernoulli", beta=1.0, seed=0)


def _levels(temperature):
    """Exact distribution of the total energy over all 2^16 states of the 4 x 4 Ising torus."""
    codes = np.arange(2 ** (L * L), dtype=np.int64)
    states = ((codes[:, None] >> np.arange(L * L)) & 1).astype(np.int8).reshape(-1, L, L)
    energy = np.rint(L * L * lattice.ISING.energy(states, 1.0)).astype(np.int64)
    levels, index = np.unique(energy, return_inverse=True)
    weights = np.exp(-(energy - energy.min()) / temperature)
    return levels, np.bincount(index, weights=weights) / weights.sum()


def _chi_square(states, temperature, inflation=1.0):
    """Pearson chi-square of the energy histogram against the exact one, divided by the variance
    inflation 2 tau_int of correlated draws; returns (statistic, degrees of freedom, p-value)."""
    levels, p = _levels(temperature)
    energy = np.rint(L * L * lattice.ISING.energy(states.reshape(-1, L, L), 1.0)).astype(np.int64)
    counts = np.array([(energy == level).sum() for level in levels])
    expected = counts.sum() * p
    keep = expected >= 5
    statistic = float(((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum()) / inflation
    dof = int(keep.sum()) - 1
    return statistic, dof, float(stats.chi2.sf(statistic, dof))


def test_chain_matches_the_exact_energy_distribution_with_a_poor_proposal(ising_model):
    temperature = 6.0
    # The proposal alone is far from Boltzmann: its energy histogram fails the test outright ...
    x, _ = sampling.ModelTerms(ising_model).draw(6000, [5, 0])
    _, _, p_raw = _chi_square(sampling.states_of(x), temperature)
    assert p_raw < 1e-6
    # ... while the independence Metropolis-Hastings chain on (x, z) passes it. At T = 6 the largest
    # Boltzmann / proposal ratio is about 130, so 300 burn-in steps forget the start.
    result = sampling.exact_sample(
        ising_model, sampling.Target(temperature), n_chains=128, n_steps=400, burn_in=300, seed=3, keep_states=True
    )
    statistic, dof, p_chain = _chi_square(result.states, temperature, 2 * result.tau_int["energy"])
    assert p_chain > 1e-3, (statistic, dof)
    exact = enumerate_ising(L, temperature)
    energy, error = result.observables["energy"]
    assert abs(energy - exact["energy"]) < 4 * error
    assert 0 < result.acceptance < 1
    # Importance sampling with the same weights: unbiased up to its error, with an ESS well below the draws.
    is_energy, is_error = result.importance["energy"]
    assert abs(is_energy - exact["energy"]) < 4 * is_error
    assert 1 < result.ess < result.n_proposals


def test_local_sweeps_keep_the_chain_exact(ising_model):
    """Checkerboard Metropolis sweeps plus a Gibbs draw of z between proposals, at T = 2.5 (ordered side)."""
    temperature = 2.5
    result = sampling.exact_sample(
        ising_model, sampling.Target(temperature), n_chains=64, n_steps=120, burn_in=30, local_sweeps=1, seed=4
    )
    exact = enumerate_ising(L, temperature)
    for name, key in (("energy", "energy"), ("abs_order_parameter", "abs_magnetization")):
        value, error = result.observables[name]
        assert abs(value - exact[key]) < 4 * error, (name, value, error, exact[key])
    heat, heat_error = result.observables["specific_heat"]
    assert abs(heat - exact["specific_heat"]) < 4 * heat_error


def test_potts_chain_with_local_sweeps_matches_the_transfer_matrix():
    from betavae_tf.models import BetaVAE

    model = BetaVAE(lattice_size=L, channels=3, latent_dim=2, decoder="multinomial", beta=1.0, seed=1)
    result = sampling.exact_sample(
        model, sampling.Target(1.0, "potts"), n_chains=64, n_steps=100, burn_in=30, local_sweeps=1, seed=5
    )
    value, error = result.observables["energy"]
    assert abs(value - potts_finite_lattice_energy(L, 1.0, q=3)) < 4 * error


def test_metropolis_sweep_alone_is_boltzmann():
    rng = np.random.default_rng(0)
    states = np.zeros((256, L, L), dtype=np.int8)
    energies = []
    for sweep in range(400):
        sampling.metropolis_sweep(states, lattice.ISING.local_energy, 3.0, 1.0, 0.0, 2, rng)
        if sweep >= 100:
            energies.append(lattice.ISING.energy(states, 1.0))
    e = np.stack(energies, axis=1)
    error = e.mean(axis=1).std(ddof=1) / np.sqrt(len(e))
    assert abs(e.mean() - enumerate_ising(L, 3.0)["energy"]) < 4 * error


def test_refusals(ising_model):
    from betavae_tf.models import BetaVAE

    with pytest.raises(ValueError, match="positive number"):
        sampling.exact_sample(ising_model, sampling.Target(0.0))
    with pytest.raises(ValueError, match="n_steps must be an integer >= 4"):
        sampling.exact_sample(ising_model, sampling.Target(2.0), n_steps=2)
    with pytest.raises(ValueError, match="one-hot over q >= 2"):
        sampling.exact_sample(ising_model, sampling.Target(1.0, "potts"))
    with pytest.raises(ValueError, match="not the gaussian head"):
        sampling.exact_sample(BetaVAE(lattice_size=L, decoder="gaussian"), sampling.Target(2.0))
    with pytest.raises(ValueError, match="defines none"):
        sampling.exact_sample(BetaVAE(lattice_size=L, channels=2, decoder="gaussian"), sampling.Target(1.0, "xy"))


def test_sample_cli(train_data_dir, tmp_path):
    import json
    import os
    import subprocess
    import sys

    from conftest import subprocess_env

    from betavae_tf import train_lib

    workdir = str(tmp_path / "run")
    train_lib.train_and_evaluate(
        train_lib.TrainConfig(
            data_dir=train_data_dir,
            batch_size=32,
            epochs=1,
            steps_per_epoch=2,
            verbose=0,
            summary_images=False,
            export=False,
        ),
        workdir,
    )
    command = os.path.join(os.path.dirname(sys.executable), "betavae-sample")
    out = tmp_path / "exact"
    result = subprocess.run(
        [
            command,
            f"--workdir={workdir}",
            "--temperature=2.0,3.0",
            "--n_chains=8",
            "--n_steps=8",
            "--burn_in=2",
            "--local_sweeps=1",
            f"--out={out}",
        ],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "T = 2: acceptance" in result.stdout and "T = 3: acceptance" in result.stdout
    summary = json.load(open(out / "summary.json"))
    assert [r["temperature"] for r in summary["results"]] == [2.0, 3.0]
    states = np.load(out / "samples_T2.npz")["states"]
    assert states.shape == (64, 8, 8) and set(np.unique(states)) <= {0, 1}
    assert [f for f in os.listdir(out) if f.startswith(".")] == [".betavae_tf.json"]  # its marker, no temporaries
    bad = subprocess.run(
        [command, f"--workdir={workdir}", "--temperature=hot"],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1] == (
        "betavae-sample: error: --temperature must be a comma-separated list of numbers, got 'hot'."
    )
