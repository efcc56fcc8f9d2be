"""betavae-analyze: phases, a latent order parameter and Tc from a trained run and its data, for any model.

  betavae-analyze --workdir=runs/mine --out=runs/mine_analysis
  betavae-analyze --workdir=runs/L16 --workdir=runs/L32 --workdir=runs/L64 --out=runs/sizes   # Tc(L)

Only the configurations and their temperatures are used (observables the data
carry are correlated with the result, for the report); see
betavae_tf.analysis.discovery.
"""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("workdir", [], "A betavae-train workdir (repeat for runs at several lattice sizes).")
flags.DEFINE_multi_string("data", [], "Dataset to analyse: one for every run, or one per --workdir (default: each "
                          "run's training data).")
flags.DEFINE_string("out", None, "Output directory: summary.json, figures, report.md / report.html.")
flags.DEFINE_integer("max_clusters", 8, "Largest number of mixture components tried (BIC picks one).")
flags.DEFINE_integer("n_bootstrap", 200, "Bootstrap resamples for the errors of Tc.")
flags.DEFINE_integer("pca_components", 0, "Principal components of the PCA baseline (0: the latent dimension).")
flags.DEFINE_integer("seed", 0, "Seed of the clustering and the bootstrap.")


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.out:
        raise ValueError("--out is required: the directory for the report.")
    from betavae_tf.analysis.discovery import AnalyzeConfig, analyze
    result = analyze(AnalyzeConfig(workdirs=tuple(FLAGS.workdir), out=FLAGS.out, data_dirs=tuple(FLAGS.data),
                                   max_clusters=FLAGS.max_clusters, n_bootstrap=FLAGS.n_bootstrap,
                                   n_components_pca=FLAGS.pca_components, seed=FLAGS.seed))
    for run in result["runs"]:
        print(f"{run['workdir']}: {run['n_clusters']} clusters, {run['n_ordered_branches']} ordered branches; "
              f"Tc from the latent {run['transition_latent']['tc']:.4f} +- {run['transition_latent']['error']:.4f}, "
              f"from PCA {run['transition_pca']['tc']:.4f} +- {run['transition_pca']['error']:.4f}")
    for c in (result["finite_size"] or {}).get("crossings", []):
        print(f"L = {c['sizes'][0]} / {c['sizes'][1]}: Binder-ratio crossing at {c['tc']:.4f} +- {c['error']:.4f}")


def run():
    common.run(main, "betavae-analyze")


if __name__ == "__main__":
    run()
