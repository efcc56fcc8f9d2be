"""betavae-train: train (or resume) a beta-VAE from a flagfile; see train_lib."""
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "Run directory: config, checkpoints, TensorBoard, export.")
flags.DEFINE_string("data_dir", None, "Dataset directory (betavae-generate / betavae-import).")
flags.DEFINE_integer("latent_dim", 2, "Latent dimension d_z.")
flags.DEFINE_string("decoder", "bernoulli", "Decoder head: bernoulli, multinomial, gaussian or "
                    "temperature (the beta^2-VAE two-branch head).")
flags.DEFINE_float("beta", 100.0, "beta of Eq. 4 (distortion summed over sites, rate over latents).")
flags.DEFINE_bool("learned_scale", False, "Gaussian decoder: learn a per-channel scale (extension).")
flags.DEFINE_integer("batch_size", 128, "Global batch size (the paper's 128).")
flags.DEFINE_integer("epochs", 20, "Epochs in total (a resumed run continues up to this).")
flags.DEFINE_integer("steps_per_epoch", 0, "Steps per epoch; 0 = one pass over the training split.")
flags.DEFINE_float("learning_rate", 1e-3, "Adam learning rate (paper: 1e-3).")
flags.DEFINE_float("adam_beta_1", 0.5, "Adam beta_1 (paper: 0.5).")
flags.DEFINE_float("adam_beta_2", 0.999, "Adam beta_2 (paper: 0.999).")
flags.DEFINE_float("validation_fraction", 0.1, "Share of the dataset held out for validation.")
flags.DEFINE_integer("shuffle_buffer", 16384, "Shuffle buffer in samples.")
flags.DEFINE_bool("cache", True, "Cache the dataset's records in memory after the first epoch.")
flags.DEFINE_integer("seed", 0, "Seed of initialisation, data order and noise; repeats a run.")
flags.DEFINE_string("strategy", "auto", "tf.distribute strategy: auto, one_device, mirrored, tpu "
                    "or multi_worker (reads TF_CONFIG).")
flags.DEFINE_string("tpu", "", "TPU name or grpc:// address for --strategy=tpu.")
flags.DEFINE_string("precision", "float32", "float32, mixed_float16 or mixed_bfloat16.")
flags.DEFINE_bool("jit_compile", False, "Compile the train step with XLA.")
flags.DEFINE_integer("keep_checkpoints", 2, "Checkpoints kept (one per epoch).")
flags.DEFINE_bool("summary_images", True, "TensorBoard images: generated samples, latent scatter.")
flags.DEFINE_bool("export", True, "Write the SavedModel to WORKDIR/export at the end.")
flags.DEFINE_integer("verbose", 1, "0 silent, 1 progress bar, 2 one line per epoch.")


def config_from_flags():
    from betavae_tf.train_lib import TrainConfig
    names = [f.name for f in FLAGS.get_flags_for_module(__name__) if f.name != "workdir"]
    return TrainConfig(**{name: FLAGS[name].value for name in names})


def effective_flags():
    """The flags of this program as a flagfile (what the run used)."""
    return "".join(f.serialize() + "\n" for f in FLAGS.get_flags_for_module(__name__)
                   if f.value is not None)


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.workdir:
        raise ValueError("--workdir is required: the run directory to create or resume.")
    from betavae_tf import train_lib
    config = config_from_flags()
    train_lib.validate(config)  # before TensorFlow starts: a bad flag costs nothing
    try:
        result = train_lib.train_and_evaluate(config, FLAGS.workdir, flags_text=effective_flags())
    except train_lib.TrainingDivergedError as e:
        common.fail("betavae-train", str(e), code=1)
    final = result["final"]
    print(f"trained {result['epochs']} epochs (resumed from epoch {result['resumed_from_epoch']}) in "
          f"{result['workdir']}: " + ", ".join(f"{k} {final[k]:.4g}" for k in
                                               ("loss", "distortion", "rate", "val_loss") if k in final))
    if "export_dir" in result:
        print(f"SavedModel: {result['export_dir']}")


def run():
    common.run(main, "betavae-train")


if __name__ == "__main__":
    run()
