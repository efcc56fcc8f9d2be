"""betavae-sample's work as a library call: exact Boltzmann samples of a lattice model with a trained run as proposal.

SampleConfig holds the settings (the command's flags are made from it);
sample(config) loads the run's model, checks every setting before the first
chain starts, samples each temperature with betavae_tf.sampling.exact_sample
and, with an output directory, writes summary.json and one
samples_T<T>.npz of integer states per temperature, all or nothing.
"""

import dataclasses
import os

from absl import logging

from betavae_tf import thermo
from betavae_tf.config_flags import setting


@dataclasses.dataclass(frozen=True)
class SampleConfig:
    workdir: str | None = setting(None, "A betavae-train workdir (its config.json and checkpoints/).")
    checkpoint: str | None = setting(None, "Checkpoint prefix (default: the newest).")
    model: str = setting(
        "ising",
        "The lattice model whose Boltzmann distribution is sampled "
        "(betavae_tf.lattice.MODELS with an energy: ising, potts).",
    )
    temperatures: tuple[float, ...] | None = setting(
        None, "Temperatures (comma-separated).", kind="floats", flag="temperature"
    )
    coupling: float = setting(1.0, "J of the target model.")
    field: float = setting(0.0, "h of the target model (Ising).")
    n_chains: int = setting(64, "Independent chains (one batch through the model per step).")
    n_steps: int = setting(1000, "Measured chain steps (one model proposal per chain each).")
    burn_in: int = setting(100, "Unmeasured steps at the start.")
    local_sweeps: int = setting(0, "Checkerboard Metropolis sweeps between model proposals (0: none).")
    seed: int = setting(0, "Seed of proposals and acceptance.")
    out: str | None = setting(None, "Directory for summary.json and the samples (optional; new or empty).")
    overwrite: bool = setting(False, "Replace an earlier betavae-sample output in --out (never other files).")
    allow_foreign_checkpoint: bool = setting(
        False,
        "Accept a --checkpoint from another workdir whose model or data differ (summary.json then names "
        "where the weights came from).",
    )

    def chains(self):
        """The chain settings of betavae_tf.sampling.exact_sample."""
        names = ("n_chains", "n_steps", "burn_in", "local_sweeps", "seed")
        return {name: getattr(self, name) for name in names}

    def target(self, temperature):
        """The distribution sampled at one temperature (betavae_tf.sampling.Target)."""
        from betavae_tf import sampling

        return sampling.Target(temperature, self.model, self.coupling, self.field)

    def validate(self):
        if not self.workdir:
            raise ValueError("--workdir is required: the trained run whose model proposes.")
        if not self.temperatures:
            raise ValueError("--temperature is required (one or more, comma-separated).")
        if any(t <= 0 for t in self.temperatures):
            raise ValueError(f"--temperature must be positive, got {','.join(f'{t:g}' for t in self.temperatures)}.")
        from betavae_tf import lattice

        lattice.get(self.model)
        return self


def line(r):
    """One temperature's result in one line."""
    obs = r.observables
    return (
        f"T = {r.temperature:g}: acceptance {r.acceptance:.4f}, tau_int(E) {r.tau_int['energy']:.1f} steps, "
        f"E/N {obs['energy'][0]:.5f} +- {obs['energy'][1]:.5f}, |m| {obs['abs_order_parameter'][0]:.4f} "
        f"+- {obs['abs_order_parameter'][1]:.4f}, C {obs['specific_heat'][0]:.3f} +- "
        f"{obs['specific_heat'][1]:.3f}; importance sampling E/N {r.importance['energy'][0]:.5f} +- "
        f"{r.importance['energy'][1]:.5f}, ESS {r.ess:.1f} of {r.n_proposals}; "
        f"{r.independent_per_second:.1f} independent samples/s"
    )


def sample(config: SampleConfig, echo=print, log=logging.info):
    """Sample every temperature of config; echo(text) gets a warning (if any) and one line per temperature.

    Returns {"workdir", "epoch", "training", "results": [summary per temperature], "out"}.
    """
    import numpy as np

    from betavae_tf import checkpoints, export, fileio, places, sampling

    config.validate()
    out = None
    if config.out:
        out, _ = places.check_output(config.out, "samples", config.overwrite)
        places.check_apart(out, "samples output", [(config.workdir, "workdir")])
        fileio.check_writable(os.path.dirname(out), "samples")
    model, epoch, info = export.load_workdir_model(config.workdir, config.checkpoint, config.allow_foreign_checkpoint)
    warning = checkpoints.unfinished_sentence(config.workdir, info)
    if warning:
        echo(f"warning: {warning}")
    chains = {k: v for k, v in config.chains().items() if k != "seed"}
    for t in config.temperatures:  # every setting checked before the first chain runs
        sampling.check_settings(model, config.target(t), **chains)
    results, states = [], {}
    for t in config.temperatures:
        r = sampling.exact_sample(model, config.target(t), keep_states=bool(out), log=log, **config.chains())
        echo(line(r))
        echo(f"T = {t:g}: thermodynamics from the proposals' weights: {thermo.line(r.thermodynamics)}")
        results.append(r.summary())
        if out:
            states[f"samples_T{t:g}.npz"] = (
                r.states.reshape(-1, *r.states.shape[2:]),
                np.tile(np.arange(r.n_chains), r.n_steps),
            )
    summary = {"workdir": config.workdir, "epoch": epoch, "training": info, "results": results}
    if out:
        # All or nothing: the directory is filled as a hidden temporary and renamed into place.
        with fileio.staged_directory(
            out,
            replace=os.path.lexists(out),
            before_replace=lambda: places.check_output(out, "samples", config.overwrite),
        ) as tmp:
            for name, (kept, chain) in states.items():
                with open(os.path.join(tmp, name), "wb") as f:
                    np.savez_compressed(f, states=kept, chain=chain)
            fileio.write_json_atomic(os.path.join(tmp, "summary.json"), summary)
            places.write_marker(tmp, "samples")
        echo(f"wrote {out}/summary.json")
    return dict(summary, out=out)
