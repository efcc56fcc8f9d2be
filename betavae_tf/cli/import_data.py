"""betavae-import: configurations of any square-lattice model (.npy / .npz), or MNIST, as a dataset directory.

  betavae-import --input=spins.npz --out=DIR                 Ising spins {0,1} or {-1,+1}, or states 0..q-1
  betavae-import --input=angles.npz --kind=angles --out=DIR  angles in radians (stored as cos, sin)
  betavae-import --input=field.npy --kind=real --out=DIR     real channels as given
  betavae-import --mnist=PATH --mnist_split=train --out=DIR
      PATH is a directory with the four MNIST IDX files (optionally .gz) or
      Keras' mnist.npz; nothing is downloaded.

Per-sample arrays in the .npz (or --labels=FILE.npz): temperatures (needed to
locate a transition), couplings, fields, lattice_size, and any other named
1-D array, kept as an observable for the reports.
"""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("input", None, "A .npy (N, L, L) / (N, L, L, C) or .npz (configurations under 'spins', "
                    "'configurations', 'samples' or 'x', and per-sample arrays) file.")
flags.DEFINE_enum("kind", "auto", ["auto", "ising", "states", "angles", "real"],
                  "What the values are: ising ({0,1} or {-1,+1}), states (0..q-1, one-hot to the model), angles "
                  "(radians -> (cos, sin) channels), real (channels as given); auto tells ising from states and "
                  "asks for real values.")
flags.DEFINE_integer("q", None, "Number of states for --kind=states (default: the largest state + 1).")
flags.DEFINE_string("labels", None, "An .npz of per-sample arrays (temperatures, couplings, observables, ...).")
flags.DEFINE_string("temperatures", None, "A .npy of one temperature per sample (or one for all).")
flags.DEFINE_float("temperature", None, "One temperature for every sample.")
flags.DEFINE_string("model", "imported", "A name for the model the data come from (kept in the manifest).")
flags.DEFINE_string("mnist", None, "A directory with the MNIST IDX files, or mnist.npz (instead of --input).")
flags.DEFINE_enum("mnist_split", "train", ["train", "test", "all"], "Which MNIST images to import.")
flags.DEFINE_integer("limit", 0, "MNIST: keep only the first N images (0: all).")
flags.DEFINE_string("out", None, "Dataset directory to create.")
flags.DEFINE_bool("overwrite", False, "Replace an existing dataset directory (never anything else).")
flags.DEFINE_float("coupling", None, "Coupling J the data were made with (Ising: energies and phase labels from "
                   "Onsager's Tc); unknown if not given.")
flags.DEFINE_float("field", None, "Field h the data were made with (default 0).")
flags.DEFINE_integer("seed", 0, "Seed of the write-order shuffle.")
flags.DEFINE_integer("n_shards", 8, "TFRecord shards.")


def main(argv):
    common.reject_extra_args(argv)
    if bool(FLAGS.input) == bool(FLAGS.mnist):
        raise ValueError("give exactly one of --input (a .npy or .npz of configurations) and --mnist.")
    if not FLAGS.out:
        raise ValueError("--out is required: the dataset directory to write.")
    from betavae_tf.data import format as fmt
    if FLAGS.mnist:
        from betavae_tf.data.importer import import_mnist
        path = import_mnist(FLAGS.mnist, FLAGS.out, split=FLAGS.mnist_split, limit=FLAGS.limit,
                            seed=FLAGS.seed, n_shards=FLAGS.n_shards, overwrite=FLAGS.overwrite)
        print(fmt.summarize(path))
        return
    from betavae_tf.data.importer import TEMPERATURE_KEYS, _load_array, import_configurations
    if FLAGS.temperatures and FLAGS.temperature is not None:
        raise ValueError("give --temperatures (one per sample) or --temperature (one for all), not both.")
    temperature = FLAGS.temperature
    if FLAGS.temperatures:
        temperature, _ = _load_array(FLAGS.temperatures, TEMPERATURE_KEYS, "temperatures")
    path = import_configurations(FLAGS.input, FLAGS.out, kind=FLAGS.kind, q=FLAGS.q, labels_path=FLAGS.labels,
                                 temperature=temperature, coupling=FLAGS.coupling, field=FLAGS.field,
                                 model=FLAGS.model, seed=FLAGS.seed, n_shards=FLAGS.n_shards,
                                 overwrite=FLAGS.overwrite)
    print(fmt.summarize(path))


def run():
    common.run(main, "betavae-import")


if __name__ == "__main__":
    run()
