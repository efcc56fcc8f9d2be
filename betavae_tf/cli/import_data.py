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

from betavae_tf import commands
from betavae_tf.cli import common

run = common.console_script(__name__, commands.ImportRequest, commands.import_data, "betavae-import")

if __name__ == "__main__":
    run()
