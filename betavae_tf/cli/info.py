"""betavae-info: print the summary of a dataset directory."""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("data", None, "Dataset directory.")


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.data:
        raise ValueError("--data is required: the dataset directory to describe.")
    from betavae_tf.data.format import summarize
    print(summarize(FLAGS.data))


def run():
    common.run(main, "betavae-info")


if __name__ == "__main__":
    run()
