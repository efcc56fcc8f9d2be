"""betavae-reproduce: the paper's figures (2-7) and claims with one command, from any directory.

Figs. 2, 3, 4: the Ising beta sweep; 5: the multinomial decoder on the synthetic Z3
set and q = 3 Potts data; 6: the Gaussian decoder on MNIST (with --mnist) and XY
data; 7: the beta^2-VAE. Every flag is a setting of
betavae_tf.analysis.reproduce.ReproduceConfig.
"""

from absl import flags

from betavae_tf import config_flags
from betavae_tf.analysis.reproduce import ReproduceConfig
from betavae_tf.cli import common

FLAGS = flags.FLAGS


def main(argv):
    common.reject_extra_args(argv)
    from betavae_tf.analysis.reproduce import reproduce

    try:
        summary = reproduce(config_flags.from_flags(ReproduceConfig, FLAGS))
    except RuntimeError as e:  # e.g. a run that diverged
        common.fail("betavae-reproduce", str(e), code=1)
    for c in summary["claims"]:
        print(f"[{c['verdict']}] {c['claim']} ({c['evidence']})")


def run():
    config_flags.define(ReproduceConfig, FLAGS, module_name=__name__)
    common.run(main, "betavae-reproduce")


if __name__ == "__main__":
    run()
