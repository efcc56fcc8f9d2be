"""The reproduction's experiments as registered records: what each needs, runs, claims and reports.

reproduce() and the report iterate EXPERIMENTS instead of naming the
experiment modules, as the heads (betavae_tf.models.heads) and the lattice
models (betavae_tf.lattice) are records. A record names an experiment's two
modules; each module holds the parts of one kind (work or rendering), under
fixed names:

- the work module: ``applies(config)`` (whether a ReproduceConfig asks for
  it), ``flagfiles(config)`` (the shipped flagfiles it reads, checked before
  any work), ``planned_runs(config)`` (the names of its training runs, for the
  progress), ``run(ctx, shared)`` (its work, returning its JSON-ready result)
  and ``NEEDS_THREE_PHASE`` (whether it uses the Ising three-phase dataset that
  is made once for all). ``shared`` carries the three-phase data
  ("three_phase": (data_dir, data)) and the beta sweep's runs ("runs",
  {beta: metrics}) to the experiments after the sweep;
- the report module: ``claims(result)`` (the paper's claims it judges) and
  ``blocks(result)`` (its report blocks, betavae_tf.analysis.render).

The record's ``key`` is where its result lives in summary.json. Records run in
the order listed and are reported in ``report_order``; a new experiment is its
two modules plus one record here.
"""

import dataclasses
from types import ModuleType

from betavae_tf.analysis import fig7, fig7_report, finite_size, ising, ising_report, sec5, sec5_report, seed_study


@dataclasses.dataclass(frozen=True)
class Experiment:
    key: str
    title: str
    work: ModuleType
    report: ModuleType
    report_order: int

    WORK_PARTS = ("applies", "flagfiles", "planned_runs", "run", "NEEDS_THREE_PHASE")
    REPORT_PARTS = ("claims", "blocks")

    def __post_init__(self):
        missing = [f"{self.work.__name__}.{n}" for n in self.WORK_PARTS if not hasattr(self.work, n)]
        missing += [f"{self.report.__name__}.{n}" for n in self.REPORT_PARTS if not hasattr(self.report, n)]
        if missing:
            raise TypeError(
                f"experiment {self.key!r} lacks {', '.join(missing)} (see betavae_tf.analysis.experiments)."
            )

    def applies(self, config):
        return self.work.applies(config)

    def flagfiles(self, config):
        return self.work.flagfiles(config)

    def planned_runs(self, config):
        return self.work.planned_runs(config)

    def run(self, ctx, shared):
        return self.work.run(ctx, shared)

    @property
    def needs_three_phase(self):
        return self.work.NEEDS_THREE_PHASE

    def claims(self, result):
        return self.report.claims(result)

    def blocks(self, result):
        return self.report.blocks(result)


EXPERIMENTS = (
    Experiment("runs", "Figs. 2-4: the beta sweep on the Ising three-phase set", ising, ising_report, 0),
    Experiment("sec5", "Figs. 5-6: multinomial and Gaussian decoders", sec5, sec5_report, 1),
    Experiment("finite_size", "Tc(L) at several lattice sizes", finite_size, finite_size, 3),
    Experiment("seed_study", "beta = 100 at other training seeds", seed_study, seed_study, 4),
    Experiment("fig7", "Fig. 7: the beta^2-VAE", fig7, fig7_report, 2),
)


def chosen(config):
    """The experiments a ReproduceConfig asks for, in run order."""
    return [e for e in EXPERIMENTS if e.applies(config)]


def in_report_order(summary):
    """(experiment, result) of every experiment with a result in summary, in report order."""
    done = [e for e in EXPERIMENTS if summary.get(e.key)]
    return [(e, summary[e.key]) for e in sorted(done, key=lambda e: e.report_order)]
