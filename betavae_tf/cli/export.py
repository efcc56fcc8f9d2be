"""betavae-export: write the SavedModel of any checkpoint of a training workdir."""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "A betavae-train workdir (its config.json and checkpoints/).")
flags.DEFINE_string("checkpoint", None, "Checkpoint prefix (e.g. WORKDIR/checkpoints/ckpt-3); "
                    "default: the newest.")
flags.DEFINE_string("export_dir", None, "Export base directory; the SavedModel goes into its next numbered "
                    "version, EXPORT_DIR/N/ (default WORKDIR/export).")
flags.DEFINE_integer("version", None, "The version number (default: one above the highest present).")
flags.DEFINE_bool("overwrite", False, "Replace an existing version (--version=N) that holds only an export; "
                  "never anything else.")
flags.DEFINE_bool("allow_foreign_checkpoint", False, "Accept a --checkpoint from another workdir whose model or data "
                  "differ (the export's metadata then names where the weights came from).")


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.workdir:
        raise ValueError("--workdir is required: the training run to export.")
    import os

    from betavae_tf import checkpoints, export
    path, epoch, info = export.export_checkpoint(FLAGS.workdir, FLAGS.checkpoint,
                                                 FLAGS.export_dir or os.path.join(FLAGS.workdir, "export"),
                                                 version=FLAGS.version, overwrite=FLAGS.overwrite,
                                                 allow_foreign=FLAGS.allow_foreign_checkpoint)
    warning = checkpoints.unfinished_sentence(FLAGS.workdir, info)
    if warning:
        print(f"warning: {warning}")
    source = f" (weights from {info['checkpoint']})" if info["source"] != "this workdir" else ""
    print(f"exported epoch {epoch} of {FLAGS.workdir}{source} to {path}")


def run():
    common.run(main, "betavae-export")


if __name__ == "__main__":
    run()
