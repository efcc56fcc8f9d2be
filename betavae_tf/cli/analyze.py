"""betavae-analyze: phases, a latent order parameter and Tc from a trained run and its data, for any model.

  betavae-analyze --workdir=runs/mine --out=runs/mine_analysis
  betavae-analyze --workdir=runs/L16 --workdir=runs/L32 --workdir=runs/L64 --out=runs/sizes   # Tc(L)
  betavae-analyze --workdir=runs/L16 --workdir=runs/L32 --workdir=runs/L16_s1 --workdir=runs/L32_s1 ...
      # several training seeds per size: the k-th run of each size is one set, combined over the sets

Only the configurations and their temperatures are used (observables the data
carry are correlated with the result, for the report); see
betavae_tf.analysis.discovery.
"""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("workdir", [], "A betavae-train workdir (repeat for runs at several lattice sizes, and for "
                           "several training seeds per size).")
flags.DEFINE_multi_string("data", [], "Dataset to analyse: one for every run, or one per --workdir (default: each "
                          "run's training data).")
flags.DEFINE_string("out", None, "Output directory: summary.json, figures, report.md / report.html.")
flags.DEFINE_integer("max_clusters", 8, "Largest number of mixture components tried (BIC picks one).")
flags.DEFINE_integer("n_bootstrap", 200, "Bootstrap resamples for the errors of Tc.")
flags.DEFINE_integer("pca_components", 0, "Principal components of the PCA baseline (0: the latent dimension).")
flags.DEFINE_integer("seed", 0, "Seed of the clustering and the bootstrap.")
flags.DEFINE_bool("overwrite", False, "Replace an earlier betavae-analyze output in --out (never other files).")
flags.DEFINE_float("collapse_window", 2.0, "Several sizes: the data collapse compares the points with "
                   "|T / Tc - 1| L^(1/nu) at most this (the critical region).")


def _tc(tr):
    steep = tr["steepest"]
    return f"{tr['tc']:.4f} +- {tr['error']:.4f} / {steep['tc']:.4f} +- {steep['error']:.4f}"


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.out:
        raise ValueError("--out is required: the directory for the report.")
    from betavae_tf.analysis.discovery import AnalyzeConfig, analyze
    result = analyze(AnalyzeConfig(workdirs=tuple(FLAGS.workdir), out=FLAGS.out, data_dirs=tuple(FLAGS.data),
                                   max_clusters=FLAGS.max_clusters, n_bootstrap=FLAGS.n_bootstrap,
                                   n_components_pca=FLAGS.pca_components, seed=FLAGS.seed,
                                   collapse_window=FLAGS.collapse_window, overwrite=FLAGS.overwrite))
    for warning in result["warnings"]:
        print(f"warning: {warning}")
    for run in result["runs"]:
        print(f"{run['workdir']}: {run['n_clusters']} clusters, {run['n_ordered_branches']} ordered branches; "
              f"Tc from the latent (logistic midpoint / steepest slope) {_tc(run['transition_latent'])}, "
              f"from PCA {_tc(run['transition_pca'])}")
    fs = result["finite_size"] or {}
    for c in fs.get("crossings", []):
        print(f"L = {c['sizes'][0]} / {c['sizes'][1]}: Binder-ratio crossing at {c['tc']:.4f} +- {c['error']:.4f}")
    for j, entry in [("all", fs)] + list((fs.get("by_coupling") or {}).items()):
        for key, name in (("crossing", "crossings combined"), ("crossing_seeds", "crossings combined over the seeds"),
                          ("collapse", "data collapse"), ("collapse_seeds", "data collapse over the seeds")):
            if key in entry:
                c = entry[key]
                exponents = f" (1/nu {c['inverse_nu']:.2f}, y {c['y']:.3f})" if key == "collapse" else ""
                print(f"J = {j}: {name} {c['tc']:.4f} +- {c['error']:.4f}{exponents}")


def run():
    common.run(main, "betavae-analyze")


if __name__ == "__main__":
    run()
