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
flags.DEFINE_bool("overwrite", False, "Replace an existing version, or an export_dir that is not an export "
                  "directory (never a dataset or a training workdir).")


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.workdir:
        raise ValueError("--workdir is required: the training run to export.")
    import os

    from betavae_tf import export
    path, epoch = export.export_checkpoint(FLAGS.workdir, FLAGS.checkpoint,
                                           FLAGS.export_dir or os.path.join(FLAGS.workdir, "export"),
                                           version=FLAGS.version, overwrite=FLAGS.overwrite)
    print(f"exported epoch {epoch} of {FLAGS.workdir} to {path}")


def run():
    common.run(main, "betavae-export")


if __name__ == "__main__":
    run()
