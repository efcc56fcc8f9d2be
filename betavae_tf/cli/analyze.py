"""betavae-analyze: phases, a latent order parameter and Tc from a trained run and its data, for any model.

  betavae-analyze --workdir=runs/mine --out=runs/mine_analysis
  betavae-analyze --workdir=runs/L16 --workdir=runs/L32 --workdir=runs/L64 --out=runs/sizes   # Tc(L)
  betavae-analyze --workdir=runs/L16 --workdir=runs/L32 --workdir=runs/L16_s1 --workdir=runs/L32_s1 ...
      # several training seeds per size: the k-th run of each size is one set, combined over the sets

Only the configurations and their temperatures are used (observables the data
carry are correlated with the result, for the report); see
betavae_tf.analysis.discovery; every flag is a setting of its AnalyzeConfig.
"""

from absl import flags

from betavae_tf import config_flags
from betavae_tf.analysis.discovery import AnalyzeConfig
from betavae_tf.cli import common

FLAGS = flags.FLAGS


def _tc(tr):
    steep = tr["steepest"]
    return f"{tr['tc']:.4f} +- {tr['error']:.4f} / {steep['tc']:.4f} +- {steep['error']:.4f}"


def main(argv):
    common.reject_extra_args(argv)
    from betavae_tf.analysis.discovery import analyze

    result = analyze(config_flags.from_flags(AnalyzeConfig, FLAGS))
    for warning in result["warnings"]:
        print(f"warning: {warning}")
    for run in result["runs"]:
        print(
            f"{run['workdir']}: {run['n_clusters']} clusters, {run['n_ordered_branches']} ordered branches; "
            f"Tc from the latent (logistic midpoint / steepest slope) {_tc(run['transition_latent'])}, "
            f"from PCA {_tc(run['transition_pca'])}"
        )
    fs = result["finite_size"] or {}
    for c in fs.get("crossings", []):
        print(f"L = {c['sizes'][0]} / {c['sizes'][1]}: Binder-ratio crossing at {c['tc']:.4f} +- {c['error']:.4f}")
    for j, entry in [("all", fs)] + list((fs.get("by_coupling") or {}).items()):
        for key, name in (
            ("crossing", "crossings combined"),
            ("crossing_seeds", "crossings combined over the seeds"),
            ("collapse", "data collapse"),
            ("collapse_seeds", "data collapse over the seeds"),
        ):
            if key in entry:
                c = entry[key]
                exponents = f" (1/nu {c['inverse_nu']:.2f}, y {c['y']:.3f})" if key == "collapse" else ""
                print(f"J = {j}: {name} {c['tc']:.4f} +- {c['error']:.4f}{exponents}")


def run():
    config_flags.define(AnalyzeConfig, FLAGS, module_name=__name__)
    common.run(main, "betavae-analyze")


if __name__ == "__main__":
    run()
