"""The reproduction's experiments as registered records: what each needs, runs, claims and reports.

reproduce() and the report iterate EXPERIMENTS instead of naming the
experiment modules, as the heads (betavae_tf.models.heads) and the lattice
models (betavae_tf.lattice) are records. A record says

- ``key``: where its result lives in summary.json;
- ``applies(config)``: whether a ReproduceConfig asks for it;
- ``flagfiles(config)``: the shipped flagfiles it reads (checked before any work);
- ``planned_runs(config)``: the names of the training runs it makes (for the progress);
- ``needs_three_phase``: whether it uses the Ising three-phase dataset that is made once for all;
- ``run(ctx, shared)``: its work, returning its JSON-ready result; ``shared`` carries the
  three-phase data ("three_phase": (data_dir, data)) and the beta sweep's runs ("runs",
  {beta: metrics}) to the experiments after the sweep;
- ``claims(result)``: the paper's claims it judges (a list of claim records);
- ``blocks(result)``: its report blocks (betavae_tf.analysis.render), at ``report_order``.

Records run in the order listed; a new experiment is a module plus one record here.
"""

import dataclasses
from collections.abc import Callable

from betavae_tf.analysis import fig7, fig7_report, finite_size, ising, ising_report, sec5, sec5_report, seed_study


@dataclasses.dataclass(frozen=True)
class Experiment:
    key: str
    title: str
    applies: Callable
    flagfiles: Callable
    planned_runs: Callable
    run: Callable
    blocks: Callable
    claims: Callable = lambda result: []
    needs_three_phase: bool = False
    report_order: int = 0


def _sweep_run(ctx, shared):
    data_dir, data = shared["three_phase"]
    runs = ising.run(ctx, data_dir, data)["runs"]
    shared["runs"] = runs
    return {f"{b:g}": r for b, r in runs.items()}


def _sec5_flagfiles(config):
    names = [sec5.EPOCH_FLAGS[config.scale]]
    if 5 in config.figures:
        names += [sec5.DATA_FLAGS[config.scale][d] for d in ("z3", "potts")]
        names += [f for _, _, _, f in sec5.FIG5_RUNS]
    if 6 in config.figures:
        names.append(sec5.DATA_FLAGS[config.scale]["xy"])
        names += [f for runs in sec5.FIG6_RUNS.values() for _, _, f in runs]
    return names


def _fig7_flagfiles(config):
    data, train = fig7.SCALES[config.scale]
    return list(data.values()) + [train, fig7.AR_TRAIN[config.scale]]


def _fig7_run(ctx, shared):
    data_dir, data = shared["three_phase"]
    return fig7.run(ctx, data_dir, data, shared.get("runs", {}).get(100.0))


EXPERIMENTS = (
    Experiment(
        key="runs",
        title="Figs. 2-4: the beta sweep on the Ising three-phase set",
        applies=lambda config: bool(ising.sweep_betas(config)),
        flagfiles=lambda config: list(ising.SCALES[config.scale]),
        planned_runs=lambda config: [ising.beta_name(b) for b in ising.sweep_betas(config)],
        run=_sweep_run,
        claims=lambda result: ising_report.claims({float(b): r for b, r in result.items()}),
        blocks=ising_report.blocks,
        needs_three_phase=True,
        report_order=0,
    ),
    Experiment(
        key="sec5",
        title="Figs. 5-6: multinomial and Gaussian decoders",
        applies=lambda config: 5 in config.figures or 6 in config.figures,
        flagfiles=_sec5_flagfiles,
        planned_runs=sec5.planned_runs,
        run=lambda ctx, shared: sec5.run(ctx),
        claims=sec5_report.claims,
        blocks=sec5_report.blocks,
        report_order=1,
    ),
    Experiment(
        key="finite_size",
        title="Tc(L) at several lattice sizes",
        applies=lambda config: bool(config.finite_size),
        flagfiles=lambda config: [],
        planned_runs=finite_size.planned_runs,
        run=lambda ctx, shared: finite_size.run(ctx),
        claims=finite_size.claims,
        blocks=finite_size.blocks,
        report_order=3,
    ),
    Experiment(
        key="seed_study",
        title="beta = 100 at other training seeds",
        applies=lambda config: bool(config.seeds),
        flagfiles=lambda config: [],
        planned_runs=seed_study.planned_runs,
        run=lambda ctx, shared: seed_study.run(ctx, *shared["three_phase"], shared.get("runs", {})),
        blocks=seed_study.blocks,
        needs_three_phase=True,
        report_order=4,
    ),
    Experiment(
        key="fig7",
        title="Fig. 7: the beta^2-VAE",
        applies=lambda config: 7 in config.figures,
        flagfiles=_fig7_flagfiles,
        planned_runs=fig7.planned_runs,
        run=_fig7_run,
        claims=fig7_report.claims,
        blocks=fig7_report.blocks,
        needs_three_phase=True,
        report_order=2,
    ),
)


def chosen(config):
    """The experiments a ReproduceConfig asks for, in run order."""
    return [e for e in EXPERIMENTS if e.applies(config)]


def in_report_order(summary):
    """(experiment, result) of every experiment with a result in summary, in report order."""
    done = [e for e in EXPERIMENTS if summary.get(e.key)]
    return [(e, summary[e.key]) for e in sorted(done, key=lambda e: e.report_order)]
