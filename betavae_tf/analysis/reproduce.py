"""Reproduce the paper's results (Figs. 2-7) and write a report: a thin orchestrator.

Each experiment lives in its own module with its evaluation, claims and report
blocks: ising (Figs. 2-4, the beta sweep), sec5 (Figs. 5-6), fig7 (the
beta^2-VAE), finite_size (Tc(L)) and seed_study (beta = 100 at other seeds);
each is a record of betavae_tf.analysis.experiments, which reproduce() iterates.
reproduce() makes their data and runs in this process from the flagfiles in
the package's flags directory (betavae_tf.analysis.context), evaluates every
model on its whole dataset and writes OUT/report.md, OUT/report.html and
OUT/summary.json.
"""

import dataclasses
import json
import os
import shutil

from absl import logging

from betavae_tf import config_flags, fileio, flagfiles, places, train_lib
from betavae_tf.analysis import experiments, ising
from betavae_tf.analysis import report as report_lib
from betavae_tf.analysis.context import Context
from betavae_tf.config_flags import setting
from betavae_tf.data.generate import GenerateRequest
from betavae_tf.progress import Progress

BETAS = ising.BETAS
FIGURES = (2, 3, 4, 5, 6, 7)
SCALES = tuple(ising.SCALES)


@dataclasses.dataclass
class ReproduceConfig:
    """betavae-reproduce's settings (its flags are made from them)."""

    out: str | None = setting(None, "Output directory: data, one workdir per beta, figures, report.")
    figures: tuple = setting((2, 3, 4), "Figures to reproduce: any of 2, 3, 4, 5, 6, 7.", kind="ints")
    scale: str = setting("quick", "quick (12,800 samples, 8 epochs) or paper (100,000 samples).")
    betas: tuple = setting(BETAS, "The beta sweep of Figs. 2-3.", kind="floats")
    flags_dir: str = setting(
        "", "A flags directory with the data/, train/, repro/ layout (default: the flagfiles shipped with the package)."
    )
    data_flags: tuple = setting(
        (), "Extra betavae-generate flag for every dataset (repeatable).", kind="multi", flag="data_flag"
    )
    train_flags: tuple = setting(
        (), "Extra betavae-train flag for every run (repeatable).", kind="multi", flag="train_flag"
    )
    n_generated: int = setting(1000, "Maps decoded from the prior for the phase fractions.")
    seed: int = setting(0, "Seed of training and evaluation.")
    mnist: str = setting(
        "",
        "For figure 6: a directory with the four MNIST IDX files, or mnist.npz (nothing is "
        "downloaded; without it the MNIST runs are skipped and reported so).",
    )
    finite_size: tuple = setting(
        (),
        "Lattice sizes (e.g. 16,32,64) for the Tc(L) extrapolation: the quick grid at "
        "each L, beta = 100 (L/32)^2, Tc from the latent, fitted with Tc + a/L.",
        kind="ints",
    )
    seeds: tuple = setting(
        (),
        "Training seeds (e.g. 0,1,2,3,4) for repeating the beta = 100 run on the same data; "
        "the report says at how many seeds each beta = 100 claim holds.",
        kind="ints",
    )
    exact_steps: int = setting(
        0,
        "Figure 7: measured steps of the exact-sampling chains (0: the scale's default, "
        "200 quick, 1000 paper; a quarter of them more are burn-in).",
    )
    overwrite: bool = setting(
        False,
        "Start over: replace what an earlier betavae-reproduce wrote in --out (refused "
        "if it holds anything else). Without it, finished steps there are reused.",
    )

    def validate(self):
        if not self.out:
            raise ValueError("--out is required: the directory for runs, figures and the report.")
        if self.scale not in SCALES:
            raise ValueError(f"unknown scale {self.scale!r}; expected quick or paper.")
        bad = [f for f in self.figures if f not in FIGURES]
        if bad or not self.figures:
            raise ValueError(f"figures must be among {FIGURES}, got {list(self.figures)}.")
        if not self.betas or any(not 0 <= b < float("inf") for b in self.betas):
            raise ValueError(f"betas must be finite numbers >= 0, got {list(self.betas)}.")
        if 4 in self.figures and 100.0 not in self.betas:
            raise ValueError("figure 4 is the beta = 100 model; include 100 in the betas.")
        if self.finite_size:
            bad = [L for L in self.finite_size if L < 4 or L % 4]
            if bad or len(set(self.finite_size)) < 2:
                raise ValueError(
                    f"finite_size needs at least two distinct lattice sizes, each a positive multiple "
                    f"of 4, got {list(self.finite_size)}."
                )
        if self.seeds and (len(set(self.seeds)) < 2 or any(s < 0 for s in self.seeds)):
            raise ValueError(f"seeds needs at least two distinct seeds >= 0, got {list(self.seeds)}.")
        if self.seeds and (not any(f in self.figures for f in (2, 3, 4)) or 100.0 not in self.betas):
            raise ValueError(
                "seeds repeats the beta = 100 run of figures 2-4; include one of those figures and beta 100."
            )
        if self.mnist and not os.path.exists(self.mnist):
            raise FileNotFoundError(
                f"--mnist {self.mnist} does not exist: give the directory with the four MNIST IDX files or mnist.npz."
            )
        if self.exact_steps and self.exact_steps < 4:
            raise ValueError(f"exact_steps must be 0 (the default) or at least 4, got {self.exact_steps}.")
        if self.n_generated < 16:
            raise ValueError(f"n_generated must be at least 16, got {self.n_generated}.")
        # Extra flags fail now, not after the first dataset was made.
        config_flags.parse(GenerateRequest, list(self.data_flags), "betavae-generate")
        config_flags.parse(train_lib.TrainConfig, list(self.train_flags), "betavae-train")
        root = os.path.abspath(self.flags_dir) if self.flags_dir else flagfiles.flags_root()
        for name in self.flagfiles():
            path = os.path.join(root, name)
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    f"flagfile {path} not found; pass --flags_dir=DIR with the flags/ layout "
                    "(data/, train/, repro/), or leave it unset for the package's own."
                )
        return self

    def flagfiles(self):
        """Every flagfile (relative to the flags directory) this reproduction will read."""
        names = list(ising.SCALES[self.scale])  # the three-phase data and the beta = 100 training flags
        for experiment in experiments.chosen(self):
            names += [n for n in experiment.flagfiles(self) if n not in names]
        return names

    def planned_runs(self):
        """The training runs this reproduction makes (or reuses), for the progress and its ETA."""
        return [name for experiment in experiments.chosen(self) for name in experiment.planned_runs(self)]


def prepare_output(path, overwrite=False):
    """The reproduction directory, resolved: new, empty, or an earlier reproduction's (reused; replaced with overwrite).

    A directory that holds anything a reproduction does not write is refused,
    naming the first such entry. A reproduction directory from before the
    marker existed is recognised by its contents (datasets, workdirs,
    figures and the report only) and marked.
    """
    out = places.resolve(path)
    unmarked = os.path.isdir(out) and os.listdir(out) and places.marker_kind(out) is None
    if unmarked and places.kind_of(out) is None and places.first_foreign(out, "reproduction") is None:
        places.write_marker(out, "reproduction")
    out, existing = places.check_output(out, "reproduction", overwrite, reuse=True)
    if existing and overwrite:
        aside = fileio.temp_sibling(out, "old")
        os.rename(out, aside)
        os.makedirs(out)
        places.write_marker(out, "reproduction")
        shutil.rmtree(aside, ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    if places.marker_kind(out) is None:
        places.write_marker(out, "reproduction")
    return out


def reproduce(config: ReproduceConfig, log=logging.info) -> dict:
    """Run (or reuse) data, training and evaluation; write figures and the report.

    log(format, *args) receives the progress: one line per epoch of every
    training run and one per finished run with the ETA of the whole call.
    Returns the report's data: {"runs": {beta: metrics}, "claims": [...], ...}.
    """
    config.validate()
    out = prepare_output(config.out, config.overwrite)
    planned = config.planned_runs()
    ctx = Context(config=config, out=out, log=log, progress=Progress(len(planned), "reproduce: run", log=log))
    log("reproduce: %d training runs planned (%s)", len(planned), ", ".join(planned))
    summary = {
        "config": dataclasses.asdict(config),
        "runs": {},
        "claims": [],
        "fig7": None,
        "sec5": None,
        "finite_size": None,
        "seed_study": None,
        "dataset": None,
    }
    chosen = experiments.chosen(config)
    shared = {}
    if any(e.needs_three_phase for e in chosen):
        data_dir, data = ising.three_phase_data(ctx)
        shared["three_phase"] = (data_dir, data)
        summary["dataset"] = {
            "dir": data_dir,
            "n_samples": int(len(data["samples"])),
            "lattice_size": int(data["samples"].shape[1]),
        }
    for experiment in chosen:
        summary[experiment.key] = experiment.run(ctx, shared)
        summary["claims"] += experiment.claims(summary[experiment.key])
    ctx.progress.close()
    summary["timings_seconds"] = ctx.timings
    summary["figures"] = {k: os.path.relpath(v, out) for k, v in ctx.figures.items()}
    fileio.write_text_atomic(os.path.join(out, "summary.json"), json.dumps(summary, indent=2, default=float) + "\n")
    report_lib.write_report(summary, out)
    log("report: %s and report.html", os.path.join(out, "report.md"))
    return summary


def reproduce_command(config, echo=print):
    """betavae-reproduce: reproduce(config), then one line per claim with its verdict and evidence."""
    for c in reproduce(config)["claims"]:
        echo(f"[{c['verdict']}] {c['claim']} ({c['evidence']})")
