"""betavae-reproduce: the paper's figures (2-7) and claims with one command, from any directory.

Figs. 2, 3, 4: the Ising beta sweep; 5: the multinomial decoder on the synthetic Z3
set and q = 3 Potts data; 6: the Gaussian decoder on MNIST (with --mnist) and XY
data; 7: the beta^2-VAE.
"""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_list("figures", ["2", "3", "4"], "Figures to reproduce: any of 2, 3, 4, 5, 6, 7.")
flags.DEFINE_string("mnist", "", "For figure 6: a directory with the four MNIST IDX files, or mnist.npz "
                    "(nothing is downloaded; without it the MNIST runs are skipped and reported so).")
flags.DEFINE_list("finite_size", [], "Lattice sizes (e.g. 16,32,64) for the Tc(L) extrapolation: the quick "
                  "grid at each L, beta = 100 (L/32)^2, Tc from the latent, fitted with Tc + a/L.")
flags.DEFINE_list("seeds", [], "Training seeds (e.g. 0,1,2,3,4) for repeating the beta = 100 run on the same "
                  "data; the report says at how many seeds each beta = 100 claim holds.")
flags.DEFINE_string("scale", "quick", "quick (12,800 samples, 8 epochs) or paper (100,000 samples).")
flags.DEFINE_string("out", None, "Output directory: data, one workdir per beta, figures, report.")
flags.DEFINE_list("betas", ["1", "10", "100", "2000"], "The beta sweep of Figs. 2-3.")
flags.DEFINE_string("flags_dir", "", "A flags directory with the data/, train/, repro/ layout (default: the "
                    "flagfiles shipped with the package).")
flags.DEFINE_multi_string("data_flag", [], "Extra betavae-generate flag for every dataset (repeatable).")
flags.DEFINE_multi_string("train_flag", [], "Extra betavae-train flag for every run (repeatable).")
flags.DEFINE_integer("n_generated", 1000, "Maps decoded from the prior for the phase fractions.")
flags.DEFINE_integer("seed", 0, "Seed of training and evaluation.")
flags.DEFINE_bool("overwrite", False, "Start over: replace what an earlier betavae-reproduce wrote in --out "
                  "(refused if it holds anything else). Without it, finished steps there are reused.")
flags.DEFINE_integer("exact_steps", 0, "Figure 7: measured steps of the exact-sampling chains (0: the scale's "
                     "default, 200 quick, 1000 paper; a quarter of them more are burn-in).")


def _ints(name, what, values):
    try:
        return tuple(int(v) for v in values)
    except ValueError:
        raise ValueError(f"--{name} must list integer {what}, got {values}.") from None


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.out:
        raise ValueError("--out is required: the directory for runs, figures and the report.")
    from betavae_tf.analysis.reproduce import ReproduceConfig, reproduce
    try:
        figures = tuple(int(f) for f in FLAGS.figures)
    except ValueError:
        raise ValueError(f"--figures must be a list of figure numbers, got {FLAGS.figures}.") from None
    config = ReproduceConfig(out=FLAGS.out, figures=figures, scale=FLAGS.scale,
                             betas=common.float_list("betas", FLAGS.betas), flags_dir=FLAGS.flags_dir,
                             data_flags=tuple(FLAGS.data_flag), train_flags=tuple(FLAGS.train_flag),
                             n_generated=FLAGS.n_generated, seed=FLAGS.seed, mnist=FLAGS.mnist,
                             exact_steps=FLAGS.exact_steps, overwrite=FLAGS.overwrite,
                             finite_size=_ints("finite_size", "lattice sizes", FLAGS.finite_size),
                             seeds=_ints("seeds", "seeds", FLAGS.seeds))
    try:
        summary = reproduce(config)
    except RuntimeError as e:  # e.g. a run that diverged
        common.fail("betavae-reproduce", str(e), code=1)
    for c in summary["claims"]:
        print(f"[{c['verdict']}] {c['claim']} ({c['evidence']})")


def run():
    common.run(main, "betavae-reproduce")


if __name__ == "__main__":
    run()
