"""Free energy, energy, entropy and specific heat per site from trained autoregressive heads, against Kaufman.

For each lattice size L and temperature T: a one-phase Ising set (J = +1) made as Fig. 7's
(data/ising_fm_only_quick.flags at that T and L), the wide autoregressive head trained on it
with Fig. 7's quick flags (repro/fig7_autoregressive_quick.flags), then betavae_tf.sampling's
thermodynamics() from n_samples model draws, beside the exact values of the finite torus
(betavae_tf.physics.exact.ising_thermodynamics, Kaufman 1949). Finished data and runs in --out
are reused. Prints one table and writes OUT/thermo.json.

  python bench/bench_thermo.py --sizes=16 --temperatures=2.0,2.269,3.0 --out=runs/thermo
"""

import argparse
import dataclasses
import json
import os
import time

from betavae_tf import config_flags, flagfiles, sampling, train_lib
from betavae_tf.data.generate import GenerateRequest, generate
from betavae_tf.physics import exact


def run(L, temperature, args):
    root = flagfiles.flags_root()
    name = f"L{L}_T{temperature:g}"
    data_dir = os.path.join(args.out, f"data_{name}")
    if not os.path.isfile(os.path.join(data_dir, "manifest.json")):
        request = config_flags.parse(
            GenerateRequest, [f"--flagfile={os.path.join(root, 'data/ising_fm_only_quick.flags')}"], "generate"
        )
        generate(dataclasses.replace(request, lattice_size=L, temperatures=(temperature,)).config(), data_dir)
    config = config_flags.parse(
        train_lib.TrainConfig, [f"--flagfile={os.path.join(root, 'repro/fig7_autoregressive_quick.flags')}"], "train"
    )
    config = dataclasses.replace(
        config,
        data_dir=data_dir,
        decoder="autoregressive_wide",
        beta=100.0 * (L / 32) ** 2,
        verbose=0,
        epochs=args.epochs or config.epochs,
        export=False,
        summary_images=False,
    )
    workdir = os.path.join(args.out, f"run_{name}")
    start = time.perf_counter()
    train_lib.train_and_evaluate(config, workdir)
    train_seconds = time.perf_counter() - start
    from betavae_tf import export

    model, _ = export.model_from_workdir(workdir)
    result = sampling.thermodynamics(
        model, sampling.Target(temperature), n_samples=args.n_samples, batch_size=args.batch_size, seed=args.seed
    )
    truth = exact.ising_thermodynamics(L, temperature)
    return {"L": L, "temperature": temperature, "train_seconds": train_seconds, "exact": truth, **result.summary()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="16")
    parser.add_argument("--temperatures", default="2.0,2.269,3.0")
    parser.add_argument("--epochs", type=int, default=0, help="training epochs (0: the flagfile's 16)")
    parser.add_argument("--n_samples", type=int, default=20000)
    parser.add_argument("--batch_size", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/thermo")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for L in (int(v) for v in args.sizes.split(",")):
        for t in (float(v) for v in args.temperatures.split(",")):
            rows.append(run(L, t, args))
            r = rows[-1]
            est, truth = r["estimates"], r["exact"]
            f, f_err = est["free_energy"]
            print(
                f"L = {L:3d}, T = {t:.4f}: F/N {f:.5f} +- {f_err:.5f} (exact {truth['free_energy']:.5f}, "
                f"|dev| {abs(f - truth['free_energy']):.5f} = {abs(f - truth['free_energy']) / f_err:.1f} sigma), "
                f"bound {est['variational_free_energy'][0]:.5f}; U/N {est['energy'][0]:.5f} +- "
                f"{est['energy'][1]:.5f} (exact {truth['energy']:.5f}); S/N {est['entropy'][0]:.5f} +- "
                f"{est['entropy'][1]:.5f} (exact {truth['entropy']:.5f}); C/N {est['specific_heat'][0]:.3f} +- "
                f"{est['specific_heat'][1]:.3f} (exact {truth['specific_heat']:.3f}); ESS {est['ess']:.0f} of "
                f"{est['n']}; sampling {r['seconds']:.1f} s, training {r['train_seconds']:.0f} s",
                flush=True,
            )
    with open(os.path.join(args.out, "thermo.json"), "w") as f:
        json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
