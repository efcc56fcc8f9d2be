"""betavae-reproduce: the paper's figures (2-7) and claims with one command, from any directory.

  betavae-reproduce --scale=quick --figures=2,3,4 --betas=100 --out=runs/demo
  betavae-reproduce --scale=quick --figures=5,6 --out=runs/sec5

Figs. 2, 3, 4: the Ising beta sweep; 5: the multinomial decoder on the synthetic Z3
set and q = 3 Potts data; 6: the Gaussian decoder on MNIST (with --mnist) and XY
data; 7: the beta^2-VAE. Every flag is a setting of
betavae_tf.analysis.reproduce.ReproduceConfig.
"""

from betavae_tf.analysis import reproduce
from betavae_tf.cli import common

run = common.console_script(
    __name__, reproduce.ReproduceConfig, reproduce.reproduce_command, "betavae-reproduce", run_failed=(RuntimeError,)
)

if __name__ == "__main__":
    run()
