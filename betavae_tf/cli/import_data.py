"""betavae-import: turn a .npy/.npz file of spin configurations into a dataset directory."""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("input", None, "A .npy (N, L, L) or .npz (key 'spins', optional 'temperatures') file.")
flags.DEFINE_string("temperatures", None, "Optional .npy of one temperature per sample (or one for all).")
flags.DEFINE_string("out", None, "Dataset directory to create.")
flags.DEFINE_bool("overwrite", False, "Replace an existing dataset directory.")
flags.DEFINE_float("coupling", 1.0, "Coupling J the data were made with (for energies and phase labels).")
flags.DEFINE_float("field", 0.0, "Field h the data were made with.")
flags.DEFINE_integer("seed", 0, "Seed of the write-order shuffle.")
flags.DEFINE_integer("n_shards", 8, "TFRecord shards.")


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.input:
        raise ValueError("--input is required: the .npy or .npz file to import.")
    if not FLAGS.out:
        raise ValueError("--out is required: the dataset directory to write.")
    from betavae_tf.data import format as fmt
    from betavae_tf.data.importer import import_numpy
    path = import_numpy(FLAGS.input, FLAGS.out, temperatures_path=FLAGS.temperatures,
                        coupling=FLAGS.coupling, field=FLAGS.field, seed=FLAGS.seed,
                        n_shards=FLAGS.n_shards, overwrite=FLAGS.overwrite)
    print(fmt.summarize(path))


def run():
    common.run(main, "betavae-import")


if __name__ == "__main__":
    run()
