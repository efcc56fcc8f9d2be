"""betavae-export: write the SavedModel of any checkpoint of a training workdir.

  betavae-export --workdir=runs/fm                                   # the newest checkpoint, next version
  betavae-export --workdir=runs/fm --checkpoint=runs/fm/checkpoints/ckpt-3 --export_dir=/models/fm

Every flag is a setting of betavae_tf.commands.ExportRequest.
"""

from absl import flags

from betavae_tf import commands, config_flags
from betavae_tf.cli import common

FLAGS = flags.FLAGS


def main(argv):
    common.reject_extra_args(argv)
    commands.export(config_flags.from_flags(commands.ExportRequest, FLAGS))


def run():
    config_flags.define(commands.ExportRequest, FLAGS, module_name=__name__)
    common.run(main, "betavae-export")


if __name__ == "__main__":
    run()
