"""betavae-generate: sample a Monte Carlo (or the synthetic Z3) dataset and write it atomically.

--model ising | potts (--q) | xy | z3 (the paper's synthetic D = 3 set, Sec. V-A:
--samples_per_point per class, --polarization; temperatures and couplings unused).
"""
import numpy as np
from absl import flags

from betavae_tf.cli import common

FLAGS = flags.FLAGS


def define_flags(fv):
    def d(define, *args, **kwargs):
        define(*args, flag_values=fv, module_name=__name__, **kwargs)

    d(flags.DEFINE_string, "out", None, "Dataset directory to create.")
    d(flags.DEFINE_bool, "overwrite", False, "Replace an existing dataset directory (never anything else).")
    from betavae_tf.data.generate import MODELS
    d(flags.DEFINE_enum, "model", "ising", list(MODELS),
      "A lattice model of betavae_tf.lattice (ising: bits, potts: q one-hot channels, xy: (cos, sin) "
      "channels) or z3 (the paper's synthetic set).")
    d(flags.DEFINE_integer, "q", 3, "Potts states q (2..127).")
    d(flags.DEFINE_float, "polarization", 0.9, "z3: probability of the dominant state in a polarized class.")
    d(flags.DEFINE_integer, "lattice_size", 32, "Linear lattice size L (L x L torus).")
    d(flags.DEFINE_list, "couplings", ["1", "-1"], "Couplings J (+1 FM, -1 AFM).")
    d(flags.DEFINE_list, "temperatures", None, "Explicit temperatures; overrides --t_min/--t_max/--n_temperatures.")
    d(flags.DEFINE_float, "t_min", 1.0, "Lowest temperature of an evenly spaced grid.")
    d(flags.DEFINE_float, "t_max", 3.5, "Highest temperature of an evenly spaced grid.")
    d(flags.DEFINE_integer, "n_temperatures", 16, "Number of grid temperatures.")
    d(flags.DEFINE_integer, "samples_per_point", 400, "Samples per (J, T) point.")
    d(flags.DEFINE_float, "field", 0.0, "Magnetic field h.")
    d(flags.DEFINE_integer, "seed", 0, "Seed; the same seed gives the same dataset bit for bit.")
    d(flags.DEFINE_enum, "algorithm", "auto", ["auto", "metropolis", "heatbath", "wolff", "hybrid"],
      "Monte Carlo algorithm (heatbath: Potts only; metropolis: Ising and XY).")
    d(flags.DEFINE_integer, "n_threads", None, "OpenMP threads (default: all available).")
    d(flags.DEFINE_integer, "n_shards", 8, "TFRecord shards (>= the number of workers that will read them).")



def config_from_flags(fv=FLAGS):
    from betavae_tf.data.generate import GenerateConfig
    if fv.temperatures:
        temperatures = common.float_list("temperatures", fv.temperatures)
    else:
        if fv.n_temperatures < 1:
            raise ValueError(f"--n_temperatures must be at least 1, got {fv.n_temperatures}.")
        if not 0 < fv.t_min <= fv.t_max:
            raise ValueError(f"need 0 < --t_min <= --t_max, got {fv.t_min} and {fv.t_max}.")
        temperatures = tuple(np.linspace(fv.t_min, fv.t_max, fv.n_temperatures).round(6).tolist())
    if fv.n_threads is not None and fv.n_threads < 1:
        raise ValueError(f"--n_threads must be at least 1, got {fv.n_threads}.")
    return GenerateConfig(
        model=fv.model, lattice_size=fv.lattice_size,
        couplings=common.float_list("couplings", fv.couplings), temperatures=temperatures,
        samples_per_point=fv.samples_per_point, field=fv.field, seed=fv.seed,
        algorithm=fv.algorithm, n_threads=fv.n_threads, n_shards=fv.n_shards,
        q=fv.q, polarization=fv.polarization)


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
    define_flags(FLAGS)  # here, not at import: the library imports this module for its flag definitions
    common.run(main, "betavae-generate")


if __name__ == "__main__":
    run()
