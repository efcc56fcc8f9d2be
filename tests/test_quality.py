"""The quality warnings of a phase-discovery result and the per-temperature table behind the report."""

import numpy as np
import pytest

from betavae_tf.analysis import quality, run_report
from betavae_tf.analysis import transition as tr


def _run(**overrides):
    run = {
        "rate": 3.0,
        "decoded_contrast": 0.4,
        "n_clusters": 3,
        "temperatures": [1.0, 1.5, 2.0, 2.5, 3.0, 3.5],
        "transition_latent": {"tc": 2.25, "error": 0.02, "steepest": {"tc": 2.3, "error": 0.05}},
        "transition_pca": {"tc": 2.4, "error": 0.01},
        "clusters": [
            {"cluster": 0, "role": "disordered", "mean_temperature": 3.0},
            {"cluster": 1, "role": "ordered branch 0", "mean_temperature": 1.4},
            {"cluster": 2, "role": "ordered branch 1", "mean_temperature": 1.6},
        ],
    }
    run.update(overrides)
    return run


HISTORY = [{"epoch": e, "val_loss": v} for e, v in enumerate([10.0, 8.0, 7.0, 6.9, 6.95], 1)]


def test_a_sound_run_gets_no_warning():
    assert quality.run_warnings(_run(), HISTORY) == []


@pytest.mark.parametrize(
    "overrides, history, words",
    [
        ({"rate": 0.2}, HISTORY, "0.20 nat"),
        ({"decoded_contrast": 0.03}, HISTORY, "hardly differ"),
        ({}, HISTORY + [{"epoch": 6, "val_loss": 7.1}, {"epoch": 7, "val_loss": 7.2}], "rose from 6.9 (epoch 4)"),
        ({"temperatures": [1.0, 1.5, 2.0, 2.5, 3.0]}, HISTORY, "Only 2 of the 5 temperatures lie above"),
        (
            {"clusters": _run()["clusters"] + [{"cluster": 3, "role": "ordered branch 0", "mean_temperature": 2.6}]},
            HISTORY,
            "Cluster 3 (ordered branch 0, mean T 2.6) lies above",
        ),
    ],
)
def test_each_reason_gives_one_sentence(overrides, history, words):
    warnings = quality.run_warnings(_run(**overrides), history)
    assert len(warnings) == 1 and words in warnings[0], warnings
    assert warnings[0].count(". ") == 0 and warnings[0].endswith(".")


def test_a_small_rise_or_a_recent_best_is_not_overfitting():
    small = HISTORY + [{"epoch": 6, "val_loss": 6.95}, {"epoch": 7, "val_loss": 7.0}]  # +1.4% of the best
    recent = HISTORY[:-1] + [{"epoch": 5, "val_loss": 6.8}, {"epoch": 6, "val_loss": 9.0}]  # best one epoch back
    assert quality.run_warnings(_run(), small) == [] and quality.run_warnings(_run(), recent) == []


def test_temperature_table_against_numpy():
    rng = np.random.default_rng(0)
    t = np.repeat([1.0, 2.0, 4.0], 50)
    r = rng.random(150) + (t < 3)
    table = tr.temperature_table(t, r, n_sites=64)
    assert table["temperature"] == [1.0, 2.0, 4.0] and table["n"] == [50, 50, 50]
    for i, g in enumerate([1.0, 2.0, 4.0]):
        x = r[t == g]
        assert table["mean"][i] == pytest.approx(x.mean())
        assert table["standard_error"][i] == pytest.approx(x.std(ddof=1) / np.sqrt(50))
        assert table["susceptibility"][i] == pytest.approx(64 * (np.mean(x**2) - x.mean() ** 2) / g)
    # a constant radius has U = 1 - 1/3 (no fluctuations), as the ordered limit of the Binder ratio
    assert tr.temperature_table(np.ones(5), np.full(5, 2.0), 4)["binder"] == [pytest.approx(2 / 3)]


def test_the_headline_names_the_estimator_and_the_deviation():
    text = run_report.headline(_run(reference_tc={"tc": 2.269, "source": "--known_tc"}))
    assert "**Tc = 2.250 ± 0.020**" in text and "logistic step" in text and "PCA baseline" in text
    assert "deviation -0.8% (1.0 sigma)" in text
    missing = _run(transition_latent={"tc": float("nan"), "error": float("nan"), "note": "fewer than 4"})
    assert "could not be located" in run_report.headline(missing)
