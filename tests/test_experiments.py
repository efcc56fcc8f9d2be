"""The reproduction's experiment records: each names a work and a report module with every part."""

import types

import pytest

from betavae_tf.analysis import experiments, ising, ising_report
from betavae_tf.analysis.reproduce import ReproduceConfig


def test_records_are_distinct_and_chosen_by_the_config():
    keys = [e.key for e in experiments.EXPERIMENTS]
    orders = [e.report_order for e in experiments.EXPERIMENTS]
    assert len(set(keys)) == len(keys) and sorted(orders) == list(range(len(orders)))
    chosen = experiments.chosen(ReproduceConfig(out="x", figures=(5, 7), finite_size=(16, 32)))
    assert [e.key for e in chosen] == ["sec5", "finite_size", "fig7"]
    summary = {"runs": {"100": {}}, "fig7": {"one_phase": {}}, "sec5": None}
    assert [e.key for e, _ in experiments.in_report_order(summary)] == ["runs", "fig7"]


def test_a_module_without_a_part_is_refused_by_name():
    work = types.ModuleType("incomplete")
    work.applies = work.flagfiles = work.planned_runs = lambda config: []
    with pytest.raises(TypeError, match=r"lacks incomplete\.run, incomplete\.NEEDS_THREE_PHASE"):
        experiments.Experiment("new", "A new experiment", work, ising_report, 5)
    assert experiments.Experiment("runs", "sweep", ising, ising_report, 0).needs_three_phase
