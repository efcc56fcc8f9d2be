"""betavae-generate: sample a Monte Carlo (or the synthetic Z3) dataset and write it atomically.

--model ising | potts (--q) | xy | z3 (the paper's synthetic D = 3 set, Sec. V-A:
--samples_per_point per class, --polarization; temperatures and couplings unused).
Every flag is a setting of betavae_tf.data.generate.GenerateRequest.
"""

from absl import flags

from betavae_tf import config_flags
from betavae_tf.cli import common
from betavae_tf.data.generate import GenerateRequest

FLAGS = flags.FLAGS


def main(argv):
    common.reject_extra_args(argv)
    request = config_flags.from_flags(GenerateRequest, FLAGS)
    if not request.out:
        raise ValueError("--out is required: the dataset directory to write.")
    from betavae_tf.data import verify
    from betavae_tf.data.generate import generate

    path = generate(request.config(), request.out, overwrite=request.overwrite)
    print(verify.summarize(path))


def run():
    config_flags.define(GenerateRequest, FLAGS, module_name=__name__)
    common.run(main, "betavae-generate")


if __name__ == "__main__":
    run()
