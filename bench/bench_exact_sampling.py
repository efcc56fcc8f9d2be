"""The autoregressive head as a sampler: its cost, and exact Boltzmann sampling with it; prints its figures.

  python bench/bench_exact_sampling.py [--quick] [--out runs/exact] [--lattice_size 16]
                                       [--temperatures 2.0,2.269,3.0] [--skip_cost | --skip_exact]

Figures:
  1. Parameters of the autoregressive models next to Table I's Bernoulli model
     (L = 32, d_z = 2), and its sampling cost: configurations per second at
     L = 32 for batches of 100 and 1000 (site by site, compiled), against the
     factorised Bernoulli head's one-shot draw.
  2. Exact sampling at L (default 16) for each temperature: a beta-VAE with the
     autoregressive_wide head (beta = 100) is trained on a one-phase Monte Carlo set at that
     temperature (6,400 samples, 8 epochs; reused from --out when present), then
     used as the proposal of independence Metropolis-Hastings chains on (x, z)
     (betavae_tf.sampling), without and with one Metropolis sweep between
     proposals. Printed: acceptance, ESS of the importance weights, tau_int,
     energy per site against Kaufman's exact finite-torus value (in standard
     errors), |m| against a long run of the compiled sampler, and independent
     samples per second against the compiled sampler's.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf

import mc_ext
from betavae_tf import export, sampling, train_lib
from betavae_tf.data.generate import GenerateConfig, generate
from betavae_tf.models import BetaVAE
from betavae_tf.physics import finite_lattice_energy, magnetization


def sampling_cost(rounds=3):
    ar = BetaVAE(lattice_size=32, decoder="autoregressive_wide")
    near = BetaVAE(lattice_size=32, decoder="autoregressive")
    bern = BetaVAE(lattice_size=32, decoder="bernoulli")
    print(
        f"parameters at L = 32, d_z = 2: Table I Bernoulli {bern.count_params():,}; autoregressive "
        f"(nearest neighbours, couplings from z) {near.count_params():,} (its coupling layer "
        f"{near.decoder.get_layer('autoregressive_context').count_params():,}); autoregressive_wide "
        f"{ar.count_params():,} (its masked network {ar.autoregressive.count_params():,}, its context layer "
        f"{ar.decoder.get_layer('autoregressive_context').count_params():,})"
    )
    for n in (100, 1000):
        for name, model in (("autoregressive", near), ("autoregressive_wide", ar), ("bernoulli", bern)):
            dist = model.likelihood(model.decode(tf.random.stateless_normal([n, 2], seed=[1, n])))
            draw = lambda d=dist, n=n, name=name: (
                d.sample_from_noise(tf.random.stateless_uniform([n, 32, 32, 1], seed=[2, n]))
                if name.startswith("autoregressive")
                else d.sample(seed=[2, n])
            )
            draw()  # compile
            best = min(_timed(draw) for _ in range(rounds))
            print(
                f"  sampling L = 32, batch {n:5d}, {name:19s}: {n / best:10.1f} configurations/s "
                f"({best * 1000:.1f} ms a batch, best of {rounds})"
            )


def _timed(fn):
    start = time.perf_counter()
    np.asarray(fn())
    return time.perf_counter() - start


def _train(out, L, temperature, samples, epochs, seed):
    data_dir = os.path.join(out, f"data_L{L}_T{temperature:g}")
    workdir = os.path.join(out, f"ar_L{L}_T{temperature:g}")
    if not os.path.isfile(os.path.join(data_dir, "manifest.json")):
        generate(
            GenerateConfig(
                lattice_size=L,
                couplings=(1.0,),
                temperatures=(temperature,),
                samples_per_point=samples,
                seed=seed,
                n_shards=4,
            ),
            data_dir,
            log=None,
        )
    start = time.perf_counter()
    train_lib.train_and_evaluate(
        train_lib.TrainConfig(
            data_dir=data_dir,
            decoder="autoregressive_wide",
            beta=100.0,
            epochs=epochs,
            verbose=0,
            summary_images=False,
            export=False,
            seed=seed,
        ),
        workdir,
    )
    return export.model_from_workdir(workdir)[0], time.perf_counter() - start


def exact_check(model, L, temperature, n_chains, n_steps, local_sweeps, reference, seed):
    r = sampling.exact_sample(
        model,
        sampling.Target(temperature),
        n_chains=n_chains,
        n_steps=n_steps,
        burn_in=max(10, n_steps // 4),
        local_sweeps=local_sweeps,
        seed=seed,
    )
    exact = finite_lattice_energy(L, temperature)
    e, de = r.observables["energy"]
    m, dm = r.observables["abs_order_parameter"]
    ie, ide = r.importance["energy"]
    print(
        f"  L = {L}, T = {temperature:g}, {local_sweeps} sweep(s) between proposals: acceptance "
        f"{r.acceptance:.4f}, ESS {r.ess:.1f} of {r.n_proposals}, tau_int(e) {r.tau_int['energy']:.1f} steps\n"
        f"    e chain {e:.5f} +- {de:.5f} vs exact {exact:.5f} ({(e - exact) / de:+.2f} sigma); importance "
        f"{ie:.5f} +- {ide:.5f} ({(ie - exact) / ide:+.2f} sigma)\n"
        f"    |m| chain {m:.4f} +- {dm:.4f} vs compiled {reference['abs_m'][0]:.4f} +- {reference['abs_m'][1]:.4f} "
        f"({(m - reference['abs_m'][0]) / np.hypot(dm, reference['abs_m'][1]):+.2f} sigma)\n"
        f"    independent samples/s: model chain {r.independent_per_second:.1f}, compiled "
        f"{reference['independent_per_second']:.1f} ({reference['algorithm']}); {r.seconds:.0f} s"
    )
    return abs(e - exact) <= 3 * de


def compiled_long_run(L, temperature, n, seed):
    start = time.perf_counter()
    samples, info = mc_ext.sample_ising(L, temperature, n, seed=seed, return_info=True)
    seconds = time.perf_counter() - start
    m = np.abs(magnetization(samples))
    return {
        "abs_m": (float(m.mean()), float(m.std(ddof=1) / np.sqrt(n))),
        "algorithm": info["algorithm"],
        "independent_per_second": n / seconds,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short chains and a small training (a smoke run)")
    parser.add_argument("--out", default="runs/exact", help="where the data and trained models are kept")
    parser.add_argument("--lattice_size", type=int, default=16)
    parser.add_argument("--temperatures", default="2.0,2.269,3.0")
    parser.add_argument("--n_chains", type=int, default=64)
    parser.add_argument("--n_steps", type=int, default=400)
    parser.add_argument("--skip_cost", action="store_true")
    parser.add_argument("--skip_exact", action="store_true", help="only the parameters and the sampling cost")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    L, temperatures = args.lattice_size, [float(t) for t in args.temperatures.split(",")]
    samples, epochs, n_steps = (640, 1, 40) if args.quick else (6400, 8, args.n_steps)
    print(f"bench_exact_sampling: {os.cpu_count()} CPUs, TensorFlow {tf.__version__}, Python {sys.version.split()[0]}")
    if not args.skip_cost:
        print("1. the autoregressive head as a sampler")
        sampling_cost()
    if args.skip_exact:
        return
    print(f"2. exact sampling with a trained autoregressive model as the proposal, L = {L}")
    within = []
    for t in temperatures:
        model, seconds = _train(args.out, L, t, samples, epochs, args.seed)
        reference = compiled_long_run(L, t, 4000 if not args.quick else 200, args.seed + 1)
        print(f"  model for T = {t:g}: trained {epochs} epochs on {samples} samples ({seconds:.0f} s this call)")
        for sweeps in (0, 1):
            within.append(exact_check(model, L, t, args.n_chains, n_steps, sweeps, reference, args.seed))
    print(f"energy within 3 standard errors of the exact value in {sum(within)} of {len(within)} chains")


if __name__ == "__main__":
    main()
