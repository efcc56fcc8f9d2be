"""betavae-info: print the summary of a dataset directory (--verify: check every record).

  betavae-info --data=runs/data --verify

Every flag is a setting of betavae_tf.commands.InfoRequest.
"""

from absl import flags

from betavae_tf import commands, config_flags
from betavae_tf.cli import common

FLAGS = flags.FLAGS


def main(argv):
    common.reject_extra_args(argv)
    commands.info(config_flags.from_flags(commands.InfoRequest, FLAGS))


def run():
    config_flags.define(commands.InfoRequest, FLAGS, module_name=__name__)
    common.run(main, "betavae-info")


if __name__ == "__main__":
    run()
