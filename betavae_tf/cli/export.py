"""betavae-export: write the SavedModel of any checkpoint of a training workdir.

  betavae-export --workdir=runs/fm                                   # the newest checkpoint, next version
  betavae-export --workdir=runs/fm --checkpoint=runs/fm/checkpoints/ckpt-3 --export_dir=/models/fm

Every flag is a setting of betavae_tf.commands.ExportRequest.
"""

from betavae_tf import commands
from betavae_tf.cli import common

run = common.console_script(__name__, commands.ExportRequest, commands.export, "betavae-export")

if __name__ == "__main__":
    run()
