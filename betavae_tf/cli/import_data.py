"""betavae-import: configurations of any square-lattice model (.npy / .npz), or MNIST, as a dataset directory.

  betavae-import --input=spins.npz --out=DIR                 Ising spins {0,1} or {-1,+1}, or states 0..q-1
  betavae-import --input=angles.npz --kind=angles --out=DIR  angles in radians (stored as cos, sin)
  betavae-import --input=field.npy --kind=real --out=DIR     real channels as given
  betavae-import --mnist=PATH --mnist_split=train --out=DIR
      PATH is a directory with the four MNIST IDX files (optionally .gz) or
      Keras' mnist.npz; nothing is downloaded.

Per-sample arrays in the .npz (or --labels=FILE.npz): temperatures (needed to
locate a transition), couplings, fields, lattice_size, and any other named
1-D array, kept as an observable for the reports. Every flag is a setting of
betavae_tf.commands.ImportRequest.
"""

from absl import flags

from betavae_tf import commands, config_flags
from betavae_tf.cli import common

FLAGS = flags.FLAGS


def main(argv):
    common.reject_extra_args(argv)
    commands.import_data(config_flags.from_flags(commands.ImportRequest, FLAGS))


def run():
    config_flags.define(commands.ImportRequest, FLAGS, module_name=__name__)
    common.run(main, "betavae-import")


if __name__ == "__main__":
    run()
