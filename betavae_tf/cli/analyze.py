"""betavae-analyze: phases, a latent order parameter and Tc from a trained run and its data, for any model.

  betavae-analyze --workdir=runs/mine --out=runs/mine_analysis
  betavae-analyze --workdir=runs/L16 --workdir=runs/L32 --workdir=runs/L64 --out=runs/sizes   # Tc(L)
  betavae-analyze --workdir=runs/L16 --workdir=runs/L32 --workdir=runs/L16_s1 --workdir=runs/L32_s1 ...
      # several training seeds per size: the k-th run of each size is one set, combined over the sets

Only the configurations and their temperatures are used (observables the data
carry are correlated with the result, for the report); see
betavae_tf.analysis.discovery; every flag is a setting of its AnalyzeConfig.
"""

from betavae_tf.analysis import discovery
from betavae_tf.cli import common

run = common.console_script(__name__, discovery.AnalyzeConfig, discovery.analyze_command, "betavae-analyze")

if __name__ == "__main__":
    run()
