"""betavae-sample: exact Boltzmann samples with a trained model as the proposal (betavae_tf.sampling).

  betavae-sample --workdir=runs/fm --temperature=2.0,2.269,3.0 --out=runs/fm_exact
  betavae-sample --workdir=runs/fm --temperature=2.0 --local_sweeps=1      # model proposals + Metropolis

For each temperature: the acceptance rate of the model's proposals, tau_int,
energy per site, |order parameter|, specific heat and susceptibility with
errors, and the same from importance sampling with its effective sample size.
With --out: summary.json and one samples_T<T>.npz of integer states per temperature.
Every flag is a setting of betavae_tf.sample_run.SampleConfig.
"""

from betavae_tf import sample_run
from betavae_tf.cli import common

run = common.console_script(__name__, sample_run.SampleConfig, sample_run.sample, "betavae-sample")

if __name__ == "__main__":
    run()
