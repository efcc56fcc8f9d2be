"""betavae-sample: exact Boltzmann samples with a trained model as the proposal (betavae_tf.sampling).

  betavae-sample --workdir=runs/fm --temperature=2.0,2.269,3.0 --out=runs/fm_exact
  betavae-sample --workdir=runs/fm --temperature=2.0 --local_sweeps=1      # model proposals + Metropolis

For each temperature: the acceptance rate of the model's proposals, tau_int,
energy per site, |order parameter|, specific heat and susceptibility with
errors, and the same from importance sampling with its effective sample size.
With --out: summary.json and one samples_T<T>.npz of integer states per temperature.
"""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "A betavae-train workdir (its config.json and checkpoints/).")
flags.DEFINE_string("checkpoint", None, "Checkpoint prefix (default: the newest).")
flags.DEFINE_string("model", "ising", "The lattice model whose Boltzmann distribution is sampled "
                    "(betavae_tf.lattice.MODELS with an energy: ising, potts).")
flags.DEFINE_list("temperature", None, "Temperatures (comma-separated).")
flags.DEFINE_float("coupling", 1.0, "J of the target model.")
flags.DEFINE_float("field", 0.0, "h of the target model (Ising).")
flags.DEFINE_integer("n_chains", 64, "Independent chains (one batch through the model per step).")
flags.DEFINE_integer("n_steps", 1000, "Measured chain steps (one model proposal per chain each).")
flags.DEFINE_integer("burn_in", 100, "Unmeasured steps at the start.")
flags.DEFINE_integer("local_sweeps", 0, "Checkerboard Metropolis sweeps between model proposals (0: none).")
flags.DEFINE_integer("seed", 0, "Seed of proposals and acceptance.")
flags.DEFINE_string("out", None, "Directory for summary.json and the samples (optional; new or empty).")
flags.DEFINE_bool("overwrite", False, "Replace an earlier betavae-sample output in --out (never other files).")
flags.DEFINE_bool("allow_foreign_checkpoint", False, "Accept a --checkpoint from another workdir whose model or data "
                  "differ (summary.json then names where the weights came from).")


def _temperatures():
    if not FLAGS.temperature:
        raise ValueError("--temperature is required (one or more, comma-separated).")
    values = common.float_list("temperature", FLAGS.temperature)
    if any(t <= 0 for t in values):
        raise ValueError(f"--temperature must be positive, got {','.join(FLAGS.temperature)}.")
    return values


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.workdir:
        raise ValueError("--workdir is required: the trained run whose model proposes.")
    import os

    import numpy as np
    from absl import logging

    from betavae_tf import checkpoints, export, fileio, lattice, places, sampling
    temperatures = _temperatures()
    lattice.get(FLAGS.model)
    out = None
    if FLAGS.out:
        out, _ = places.check_output(FLAGS.out, "samples", FLAGS.overwrite)
        places.check_apart(out, "samples output", [(FLAGS.workdir, "workdir")])
        fileio.check_writable(os.path.dirname(out), "samples")
    model, epoch, info = export.load_workdir_model(FLAGS.workdir, FLAGS.checkpoint, FLAGS.allow_foreign_checkpoint)
    warning = checkpoints.unfinished_sentence(FLAGS.workdir, info)
    if warning:
        print(f"warning: {warning}")
    for t in temperatures:  # every setting checked before the first chain runs
        sampling.check_settings(model, FLAGS.model, t, FLAGS.coupling, FLAGS.field, FLAGS.n_chains, FLAGS.n_steps,
                                FLAGS.burn_in, FLAGS.local_sweeps)
    results, states = [], {}
    for t in temperatures:
        r = sampling.exact_sample(model, lattice_model=FLAGS.model, temperature=t, coupling=FLAGS.coupling,
                                  field=FLAGS.field, n_chains=FLAGS.n_chains, n_steps=FLAGS.n_steps,
                                  burn_in=FLAGS.burn_in, local_sweeps=FLAGS.local_sweeps, seed=FLAGS.seed,
                                  keep_states=bool(out), log=logging.info)
        obs = r.observables
        print(f"T = {t:g}: acceptance {r.acceptance:.4f}, tau_int(E) {r.tau_int['energy']:.1f} steps, "
              f"E/N {obs['energy'][0]:.5f} +- {obs['energy'][1]:.5f}, |m| {obs['abs_order_parameter'][0]:.4f} "
              f"+- {obs['abs_order_parameter'][1]:.4f}, C {obs['specific_heat'][0]:.3f} +- "
              f"{obs['specific_heat'][1]:.3f}; importance sampling E/N {r.importance['energy'][0]:.5f} +- "
              f"{r.importance['energy'][1]:.5f}, ESS {r.ess:.1f} of {r.n_proposals}; "
              f"{r.independent_per_second:.1f} independent samples/s")
        results.append(r.summary())
        if out:
            states[f"samples_T{t:g}.npz"] = (r.states.reshape(-1, *r.states.shape[2:]),
                                             np.tile(np.arange(r.n_chains), r.n_steps))
    if out:
        # All or nothing: the directory is filled as a hidden temporary and renamed into place.
        with fileio.staged_directory(out, replace=os.path.lexists(out),
                                     before_replace=lambda: places.check_output(out, "samples", FLAGS.overwrite)) as tmp:
            for name, (kept, chain) in states.items():
                with open(os.path.join(tmp, name), "wb") as f:
                    np.savez_compressed(f, states=kept, chain=chain)
            fileio.write_json_atomic(os.path.join(tmp, "summary.json"),
                                     {"workdir": FLAGS.workdir, "epoch": epoch, "training": info, "results": results})
            places.write_marker(tmp, "samples")
        print(f"wrote {out}/summary.json")


def run():
    common.run(main, "betavae-sample")


if __name__ == "__main__":
    run()
