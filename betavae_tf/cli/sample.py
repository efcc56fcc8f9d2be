"""betavae-sample: exact Boltzmann samples with a trained model as the proposal (betavae_tf.sampling).

  betavae-sample --workdir=runs/fm --temperature=2.0,2.269,3.0 --out=runs/fm_exact
  betavae-sample --workdir=runs/fm --temperature=2.0 --local_sweeps=1      # model proposals + Metropolis

For each temperature: the acceptance rate of the model's proposals, tau_int,
energy per site, |order parameter|, specific heat and susceptibility with
errors, and the same from importance sampling with its effective sample size.
With --out: summary.json and one samples_T<T>.npz of integer states per temperature.
Every flag is a setting of betavae_tf.sample_run.SampleConfig.
"""

from absl import flags

from betavae_tf import config_flags
from betavae_tf.cli import common
from betavae_tf.sample_run import SampleConfig

FLAGS = flags.FLAGS


def main(argv):
    common.reject_extra_args(argv)
    from betavae_tf import sample_run

    sample_run.sample(config_flags.from_flags(SampleConfig, FLAGS).validate())


def run():
    config_flags.define(SampleConfig, FLAGS, module_name=__name__)
    common.run(main, "betavae-sample")


if __name__ == "__main__":
    run()
