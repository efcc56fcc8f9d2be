"""betavae-train: train (or resume) a beta-VAE from a flagfile; see train_lib.

  betavae-train --flagfile=train/ising_beta100.flags --data_dir=runs/data --workdir=runs/beta100
  betavae-train --data_dir=runs/potts --workdir=runs/potts_run --epochs=20     # run again to resume

Every flag but --workdir is a setting of train_lib.TrainConfig (defaults and
help are defined there once; betavae_tf.config_flags makes the flags).
"""

from absl import flags

from betavae_tf import config_flags
from betavae_tf.cli import common
from betavae_tf.train_lib import TrainConfig

FLAGS = flags.FLAGS


def define_flags(flag_values):
    flags.DEFINE_string(
        "workdir",
        None,
        "Run directory: config, checkpoints, TensorBoard, export.",
        flag_values=flag_values,
        module_name=__name__,
    )
    config_flags.define(TrainConfig, flag_values, module_name=__name__)


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.workdir:
        raise ValueError("--workdir is required: the run directory to create or resume.")
    from betavae_tf import train_lib

    config = config_flags.from_flags(TrainConfig, FLAGS)
    train_lib.validate(config)  # before TensorFlow starts: a bad flag costs nothing
    try:
        result = train_lib.train_and_evaluate(
            config, FLAGS.workdir, flags_text=train_lib.flagfile_of(config, FLAGS.workdir)
        )
    except train_lib.TrainingDivergedError as e:
        common.fail("betavae-train", str(e), code=1)
    final = result["final"]
    print(
        f"trained {result['epochs']} epochs (resumed from epoch {result['resumed_from_epoch']}) in "
        f"{result['workdir']}: "
        + ", ".join(f"{k} {final[k]:.4g}" for k in ("loss", "distortion", "rate", "val_loss") if k in final)
    )
    if "export_dir" in result:
        print(f"SavedModel: {result['export_dir']}")


def run():
    define_flags(FLAGS)
    common.run(main, "betavae-train")


if __name__ == "__main__":
    run()
