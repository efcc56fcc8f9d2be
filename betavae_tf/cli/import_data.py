"""betavae-import: turn a .npy/.npz file of spin configurations, or MNIST, into a dataset directory.

  betavae-import --input=spins.npy --out=DIR            your own Ising configurations
  betavae-import --mnist=PATH --mnist_split=train --out=DIR
      PATH is a directory with the four MNIST IDX files (optionally .gz) or
      Keras' mnist.npz; nothing is downloaded.
"""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("input", None, "A .npy (N, L, L) or .npz (key 'spins', optional 'temperatures') file.")
flags.DEFINE_string("mnist", None, "A directory with the MNIST IDX files, or mnist.npz (instead of --input).")
flags.DEFINE_enum("mnist_split", "train", ["train", "test", "all"], "Which MNIST images to import.")
flags.DEFINE_integer("limit", 0, "MNIST: keep only the first N images (0: all).")
flags.DEFINE_string("temperatures", None, "Optional .npy of one temperature per sample (or one for all).")
flags.DEFINE_string("out", None, "Dataset directory to create.")
flags.DEFINE_bool("overwrite", False, "Replace an existing dataset directory.")
flags.DEFINE_float("coupling", 1.0, "Coupling J the data were made with (for energies and phase labels).")
flags.DEFINE_float("field", 0.0, "Field h the data were made with.")
flags.DEFINE_integer("seed", 0, "Seed of the write-order shuffle.")
flags.DEFINE_integer("n_shards", 8, "TFRecord shards.")


def main(argv):
    common.reject_extra_args(argv)
    if bool(FLAGS.input) == bool(FLAGS.mnist):
        raise ValueError("give exactly one of --input (a .npy or .npz of spins) and --mnist.")
    if not FLAGS.out:
        raise ValueError("--out is required: the dataset directory to write.")
    from betavae_tf.data import format as fmt
    if FLAGS.mnist:
        from betavae_tf.data.importer import import_mnist
        path = import_mnist(FLAGS.mnist, FLAGS.out, split=FLAGS.mnist_split, limit=FLAGS.limit,
                            seed=FLAGS.seed, n_shards=FLAGS.n_shards, overwrite=FLAGS.overwrite)
        print(fmt.summarize(path))
        return
    from betavae_tf.data.importer import import_numpy
    path = import_numpy(FLAGS.input, FLAGS.out, temperatures_path=FLAGS.temperatures,
                        coupling=FLAGS.coupling, field=FLAGS.field, seed=FLAGS.seed,
                        n_shards=FLAGS.n_shards, overwrite=FLAGS.overwrite)
    print(fmt.summarize(path))


def run():
    common.run(main, "betavae-import")


if __name__ == "__main__":
    run()
