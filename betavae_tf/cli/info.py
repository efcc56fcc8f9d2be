"""betavae-info: print the summary of a dataset directory (--verify: check every record)."""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("data", None, "Dataset directory.")
flags.DEFINE_bool("verify", False, "Read every shard: checksums, record counts, indices and sample sizes.")


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.data:
        raise ValueError("--data is required: the dataset directory to describe.")
    from betavae_tf.data.format import summarize, verify_dataset
    print(summarize(FLAGS.data))
    if FLAGS.verify:
        print(verify_dataset(FLAGS.data))


def run():
    common.run(main, "betavae-info")


if __name__ == "__main__":
    run()
