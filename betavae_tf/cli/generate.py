"""betavae-generate: sample a Monte Carlo (or the synthetic Z3) dataset and write it atomically.

--model ising | potts (--q) | xy | z3 (the paper's synthetic D = 3 set, Sec. V-A:
--samples_per_point per class, --polarization; temperatures and couplings unused).
"""
import numpy as np
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS
flags.DEFINE_string("out", None, "Dataset directory to create.")
flags.DEFINE_bool("overwrite", False, "Replace an existing dataset directory.")
flags.DEFINE_enum("model", "ising", ["ising", "potts", "xy", "z3"],
                  "ising (bits), potts (q one-hot channels), xy (cos, sin channels) or z3 (synthetic).")
flags.DEFINE_integer("q", 3, "Potts states q (2..127).")
flags.DEFINE_float("polarization", 0.9, "z3: probability of the dominant state in a polarized class.")
flags.DEFINE_integer("lattice_size", 32, "Linear lattice size L (L x L torus).")
flags.DEFINE_list("couplings", ["1", "-1"], "Couplings J (+1 FM, -1 AFM).")
flags.DEFINE_list("temperatures", None, "Explicit temperatures; overrides --t_min/--t_max/--n_temperatures.")
flags.DEFINE_float("t_min", 1.0, "Lowest temperature of an evenly spaced grid.")
flags.DEFINE_float("t_max", 3.5, "Highest temperature of an evenly spaced grid.")
flags.DEFINE_integer("n_temperatures", 16, "Number of grid temperatures.")
flags.DEFINE_integer("samples_per_point", 400, "Samples per (J, T) point.")
flags.DEFINE_float("field", 0.0, "Magnetic field h.")
flags.DEFINE_integer("seed", 0, "Seed; the same seed gives the same dataset bit for bit.")
flags.DEFINE_enum("algorithm", "auto", ["auto", "metropolis", "heatbath", "wolff", "hybrid"],
                  "Monte Carlo algorithm (heatbath: Potts only; metropolis: Ising and XY).")
flags.DEFINE_integer("n_threads", None, "OpenMP threads (default: all available).")
flags.DEFINE_integer("n_shards", 8, "TFRecord shards (>= the number of workers that will read them).")


def config_from_flags():
    from betavae_tf.data.generate import GenerateConfig
    if FLAGS.temperatures:
        temperatures = common.float_list("temperatures", FLAGS.temperatures)
    else:
        if FLAGS.n_temperatures < 1:
            raise ValueError(f"--n_temperatures must be at least 1, got {FLAGS.n_temperatures}.")
        if not 0 < FLAGS.t_min <= FLAGS.t_max:
            raise ValueError(f"need 0 < --t_min <= --t_max, got {FLAGS.t_min} and {FLAGS.t_max}.")
        temperatures = tuple(np.linspace(FLAGS.t_min, FLAGS.t_max, FLAGS.n_temperatures).round(6).tolist())
    config = GenerateConfig(
        model=FLAGS.model, lattice_size=FLAGS.lattice_size,
        couplings=common.float_list("couplings", FLAGS.couplings), temperatures=temperatures,
        samples_per_point=FLAGS.samples_per_point, field=FLAGS.field, seed=FLAGS.seed,
        algorithm=FLAGS.algorithm, n_threads=FLAGS.n_threads, n_shards=FLAGS.n_shards,
        q=FLAGS.q, polarization=FLAGS.polarization)
    if FLAGS.n_threads is not None and FLAGS.n_threads < 1:
        raise ValueError(f"--n_threads must be at least 1, got {FLAGS.n_threads}.")
    return config


def main(argv):
    common.reject_extra_args(argv)
    if not FLAGS.out:
        raise ValueError("--out is required: the dataset directory to write.")
    config = config_from_flags()
    from betavae_tf.data import format as fmt
    from betavae_tf.data.generate import generate
    path = generate(config, FLAGS.out, overwrite=FLAGS.overwrite)
    print(fmt.summarize(path))


def run():
    common.run(main, "betavae-generate")


if __name__ == "__main__":
    run()
