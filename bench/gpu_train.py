"""Training speed on an accelerator, and a paper-scale beta = 100 run with its claims; prints its figures.

  python bench/gpu_train.py [--backend jax] [--samples_per_point 3125] [--epochs 20] [--seeds 1] [--out DIR]

Runs where Keras and a backend run, TensorFlow not needed (a bare CUDA host with JAX: bench/gpu_run.sh
installs the package there from a carried wheelhouse). Figures:
  1. samples/s of model.fit on in-memory data (Table I, L = 32, d_z = 2, Bernoulli head, Eq. 4), batch
     128 and 1024, float32 and mixed_bfloat16, XLA-compiled, steps_per_execution 32: the best of
     --rounds timed epochs of --steps_timed steps, after an untimed epoch that compiles.
  2. The paper-scale training: the three-phase Ising set (2 couplings x 16 temperatures x
     --samples_per_point, 100,000 samples at the default), beta = 100, Adam(1e-3, 0.5, 0.999), batch 128,
     --epochs epochs: wall time from model construction to the end of fit, compilation included.
  3. That run's beta = 100 claims of Figs. 2-4 (analysis/ising.py: axes, every phase generated, the
     FM-AFM angle, Tc from the latent, ...), evaluated on the same data, one verdict per claim and seed.
The figures also go to DIR/bench.json.
"""

import argparse
import json
import os
import platform
import sys
import time


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "jax"), choices=("jax", "tensorflow"))
    parser.add_argument("--samples_per_point", type=int, default=3125, help="3125: the paper's 100,000 samples")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seeds", type=int, default=1, help="paper-scale runs, seeds 0..N-1")
    parser.add_argument("--steps_timed", type=int, default=256, help="steps per timed epoch (figure 1)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps_per_execution", type=int, default=32)
    parser.add_argument("--batches", default="128,1024")
    parser.add_argument("--out", default="runs/gpu_bench")
    return parser.parse_args()


def device_line(backend):
    if backend == "jax":
        import jax

        d = jax.devices()
        return f"{len(d)} x {d[0].device_kind} ({jax.default_backend()}), JAX {jax.__version__}"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    name = (
        tf.config.experimental.get_device_details(gpus[0]).get("device_name", "GPU")
        if gpus
        else f"CPU {platform.processor() or platform.machine()}"
    )
    return f"{len(gpus) or 1} x {name}, TensorFlow {tf.__version__}"


def three_phase(samples_per_point, seed=0):
    """The Fig. 2-4 data (flags/data/ising_shared.flags) sampled in memory by mc_ext: (x, labels)."""

    from betavae_tf.data.generate import GenerateConfig, sample_grid

    config = GenerateConfig(
        model="ising", lattice_size=32, couplings=(1.0, -1.0), samples_per_point=samples_per_point, seed=seed
    )
    spins, labels, _ = sample_grid(config, log=None)
    return spins, labels


def build(keras, precision, seed, steps_per_execution, jit=True):
    from betavae_tf.models import BetaVAE, paper_optimizer

    keras.mixed_precision.set_dtype_policy(precision)
    try:
        keras.utils.set_random_seed(seed)
        model = BetaVAE(lattice_size=32, latent_dim=2, decoder="bernoulli", beta=100.0, seed=seed)
        model.compile(optimizer=paper_optimizer(), jit_compile=jit, steps_per_execution=steps_per_execution)
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    return model


def throughput(keras, x, batch, precision, args, jit=True):
    """Best samples/s over timed epochs of model.fit on in-memory x (the first epoch compiles)."""
    model = build(keras, precision, 0, args.steps_per_execution, jit)
    steps = max(args.steps_timed // args.steps_per_execution, 1) * args.steps_per_execution
    n = min(len(x), steps * batch)
    reps = -(-steps * batch // n)
    data = x[:n] if reps == 1 else __import__("numpy").concatenate([x[:n]] * reps)
    model.fit(data, batch_size=batch, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
    best = float("inf")
    for _ in range(args.rounds):
        start = time.perf_counter()
        model.fit(data, batch_size=batch, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0)
        best = min(best, time.perf_counter() - start)
    return steps * batch / best


def paper_run(keras, x, seed, args):
    start = time.perf_counter()
    model = build(keras, "float32", seed, args.steps_per_execution)
    history = model.fit(x, batch_size=128, epochs=args.epochs, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    return model, seconds, {k: float(v[-1]) for k, v in history.history.items()}


def evaluate_claims(model, spins, labels, seed):
    """The beta = 100 claims of analysis/ising.py on this run, as {claim id: (holds, evidence)}."""
    import numpy as np

    from betavae_tf.analysis import claims as cl
    from betavae_tf.analysis import ising

    data = {"samples": spins.astype(np.uint8), **labels}
    metrics, _ = ising.evaluate(model, data, seed=seed)
    verdicts = cl.judge(ising.BETA100_CLAIMS, {100.0: metrics})
    return metrics, verdicts


def main():
    args = parse()
    os.environ["KERAS_BACKEND"] = args.backend
    import keras
    import numpy as np

    print(f"device: {device_line(args.backend)}; Keras {keras.__version__} ({keras.backend.backend()})")
    start = time.perf_counter()
    spins, labels = three_phase(args.samples_per_point)
    x = spins[..., None].astype(np.float32)
    print(f"data: {len(x):,} Ising configurations, L = 32, sampled by mc_ext in {time.perf_counter() - start:.1f} s")
    out = {
        "device": device_line(args.backend),
        "backend": args.backend,
        "keras": keras.__version__,
        "samples": len(x),
        "throughput": {},
        "paper_runs": [],
    }

    print(f"\n1. model.fit samples/s (jit, steps_per_execution {args.steps_per_execution}, best of {args.rounds})")
    for batch in [int(b) for b in args.batches.split(",")]:
        for precision in ("float32", "mixed_bfloat16"):
            rate = throughput(keras, x, batch, precision, args)
            out["throughput"][f"{precision}/batch{batch}"] = rate
            print(f"   batch {batch:5d}  {precision:15s} {rate:10.0f} samples/s")

    steps = args.epochs * (len(x) // 128)
    print(f"\n2-3. paper-scale beta = 100: {len(x):,} samples x {args.epochs} epochs, batch 128 ({steps:,} steps)")
    for seed in range(args.seeds):
        model, seconds, final = paper_run(keras, x, seed, args)
        metrics, verdicts = evaluate_claims(model, spins, labels, seed)
        held = sum(1 for v in verdicts if v["verdict"] == "holds")
        print(
            f"   seed {seed}: {seconds:.1f} s wall (compilation included), loss {final['loss']:.2f}, "
            f"rate {final['rate']:.3f}; claims held {held}/{len(verdicts)}"
        )
        for v in verdicts:
            print(f"      [{v['verdict']}] {v['id']}: {v['evidence']}")
        out["paper_runs"].append(
            {
                "seed": seed,
                "seconds": seconds,
                "final": final,
                "claims": [{k: v[k] for k in ("id", "verdict", "evidence")} for v in verdicts],
                "tc": metrics["tc"].get("combined"),
            }
        )
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "bench.json"), "w") as f:
        json.dump(out, f, indent=1, default=float)
    print(f"\nfigures in {os.path.join(args.out, 'bench.json')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
