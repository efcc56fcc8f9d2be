"""Training throughput of the Table I model (L = 32, d_z = 2, batch 128); prints its figures.

  python bench/bench_train.py [--backend tensorflow|jax] [--quick] [--data_dir DIR] [--rounds N] [--loss_steps S]

Figures:
  0. samples/s of model.fit on in-memory batches (the path betavae-train takes) on the chosen Keras
     backend, float32 and mixed_bfloat16, at steps_per_execution 1 and 8, XLA-compiled (under
     TensorFlow also without XLA, its CPU default): the same measurement on both backends, so two runs
     compare them. With --backend=jax only this figure is measured (the others drive TensorFlow's
     train_function directly).
  1. samples/s of one training step (forward, backward, Adam) for float32,
     float32 + XLA, mixed_bfloat16 (and mixed_float16 on a GPU), on batches
     already in memory. The cases run interleaved, in rounds of a few steps,
     and each reports its best round: the machine is shared and its load
     swings, and the best round estimates the uncontended speed.
  2. The input pipeline's share of a float32 step: the same step fed by
     betavae_tf.data.make_dataset from a dataset directory, against in-memory
     batches, interleaved; and the pipeline's own throughput.
  3. Loss after S steps for float32 (seeds 0 and 1) and mixed_bfloat16 (seed 0)
     on the same data: the precision's effect against the seed-to-seed noise.
"""

import argparse
import os
import platform
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
_early = argparse.ArgumentParser(add_help=False)
_early.add_argument("--backend", default=os.environ.get("KERAS_BACKEND", "tensorflow"), choices=("tensorflow", "jax"))
os.environ["KERAS_BACKEND"] = _early.parse_known_args()[0].backend  # before Keras starts

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from betavae_tf.data.pipeline import make_dataset  # noqa: E402
from betavae_tf.models import BetaVAE, paper_optimizer  # noqa: E402

BATCH, L = 128, 32


def device_name():
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        details = tf.config.experimental.get_device_details(gpus[0])
        return f"{len(gpus)} x {details.get('device_name', 'GPU')}"
    try:
        with open("/proc/cpuinfo") as f:
            name = next((ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), "")
    except OSError:
        name = platform.processor()
    return f"CPU {name}, {os.cpu_count()} cores"


def build(precision, jit, seed=0):
    keras.mixed_precision.set_dtype_policy(precision)
    try:
        keras.utils.set_random_seed(seed)
        model = BetaVAE(lattice_size=L, seed=seed)
        model.compile(paper_optimizer(), jit_compile=jit)
        model.make_train_function()
    finally:
        keras.mixed_precision.set_dtype_policy("float32")
    return model


def run_steps(model, iterator, n):
    """n training steps; returns (seconds, last logs) after the device has finished."""
    start = time.perf_counter()
    for _ in range(n):
        logs = model.train_function(iterator)
    loss = float(logs["loss"])  # waits for the last step
    return time.perf_counter() - start, loss


def interleaved_best(cases, rounds, steps):
    """{name: best seconds per step}; cases = {name: (model, iterator)}."""
    for model, iterator in cases.values():  # trace and warm up
        run_steps(model, iterator, 3)
    best = dict.fromkeys(cases, np.inf)
    for _ in range(rounds):
        for name, (model, iterator) in cases.items():
            seconds, _ = run_steps(model, iterator, steps)
            best[name] = min(best[name], seconds / steps)
    return best


def fit_throughput(rounds, steps=16):
    """Figure 0: {name: samples/s} of model.fit on in-memory (x, eps) for the current backend."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gpu_train import throughput

    x = (np.random.default_rng(0).random((BATCH * steps, L, L, 1)) < 0.5).astype(np.float32)
    out = {}
    jits = (False, True) if keras.backend.backend() == "tensorflow" else (True,)
    for jit in jits:
        for precision in ("float32", "mixed_bfloat16"):
            for spe in (1, 8):
                args = argparse.Namespace(steps_per_execution=spe, steps_timed=steps, rounds=rounds)
                name = f"{precision}{' + XLA' if jit else ''}, steps_per_execution {spe}"
                out[name] = throughput(keras, x, BATCH, precision, args, jit=jit)
                print(f"   {name:45s} {out[name]:8.0f} samples/s", flush=True)
    return out


def in_memory_batches(seed=0):
    x = (np.random.default_rng(seed).random((BATCH * 8, L, L, 1)) < 0.5).astype(np.float32)
    return iter(tf.data.Dataset.from_tensor_slices(x).batch(BATCH, drop_remainder=True).cache().repeat().prefetch(2))


def ensure_data(data_dir):
    if data_dir and os.path.isfile(os.path.join(data_dir, "manifest.json")):
        return data_dir
    from betavae_tf.data.generate import GenerateConfig, generate

    out = os.path.join(tempfile.mkdtemp(prefix="bench_train_"), "ising")
    print(f"(no dataset at {data_dir}; generating the quick three-phase set in {out})")
    generate(GenerateConfig(lattice_size=L, samples_per_point=400, seed=0), out, log=None)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default=os.environ["KERAS_BACKEND"], choices=("tensorflow", "jax"))
    parser.add_argument("--quick", action="store_true", help="fewer rounds and loss steps")
    parser.add_argument("--data_dir", default="runs/demo/data")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--loss_steps", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (3 if args.quick else 8)
    loss_steps = args.loss_steps or (20 if args.quick else 200)
    gpu = bool(tf.config.list_physical_devices("GPU"))
    steps = 20 if gpu else 5

    from betavae_tf import backend as backend_lib

    print(
        f"device: {device_name()}; backend {backend_lib.describe(keras.backend.backend())}, Keras {keras.__version__}"
    )
    print(f"model: Table I, L = {L}, d_z = 2, batch {BATCH}, {build('float32', False).count_params():,} parameters\n")
    print(f"0. model.fit on the {keras.backend.backend()} backend, best of {rounds} epochs of 16 steps")
    fit_throughput(rounds)
    if keras.backend.backend() != "tensorflow":
        return 0
    print()

    print(f"1. training step, best of {rounds} interleaved rounds of {steps} steps")
    variants = [
        ("float32", "float32", False),
        ("float32 + XLA", "float32", True),
        ("mixed_bfloat16", "mixed_bfloat16", False),
        ("mixed_bfloat16 + XLA", "mixed_bfloat16", True),
    ]
    if gpu:
        variants += [("mixed_float16", "mixed_float16", False), ("mixed_float16 + XLA", "mixed_float16", True)]
    cases = {name: (build(precision, jit), in_memory_batches()) for name, precision, jit in variants}
    best = interleaved_best(cases, rounds, steps)
    base = best["float32"]
    for name, seconds in best.items():
        print(
            f"   {name:22s} {BATCH / seconds:8.0f} samples/s  {seconds * 1e3:7.1f} ms/step  "
            f"x{base / seconds:.2f} vs float32"
        )
    del cases

    data_dir = ensure_data(args.data_dir)
    print(f"\n2. input pipeline ({data_dir})")
    pipeline = make_dataset(data_dir, split="train", batch_size=BATCH, repeat=True, cache=True)
    iterator = iter(pipeline)
    for _ in range(120):  # fill the cache and the shuffle buffer
        next(iterator)
    start, n = time.perf_counter(), 200
    for _ in range(n):
        next(iterator)
    pipe_rate = n * BATCH / (time.perf_counter() - start)
    model = build("float32", False)
    fed = interleaved_best(
        {"in-memory": (model, in_memory_batches()), "pipeline": (model, iter(pipeline))}, rounds, steps
    )
    share = max(0.0, 1.0 - fed["in-memory"] / fed["pipeline"])
    print(f"   pipeline alone         {pipe_rate:8.0f} samples/s")
    print(f"   step fed in memory     {BATCH / fed['in-memory']:8.0f} samples/s")
    print(f"   step fed by pipeline   {BATCH / fed['pipeline']:8.0f} samples/s")
    print(f"   pipeline share of step time: {share * 100:.1f}%")

    print(f"\n3. loss after {loss_steps} steps on {data_dir} (same data order)")
    finals = {}
    for name, precision, seed in (
        ("float32 seed 0", "float32", 0),
        ("float32 seed 1", "float32", 1),
        ("mixed_bfloat16 seed 0", "mixed_bfloat16", 0),
    ):
        model = build(precision, False, seed)
        it = iter(make_dataset(data_dir, split="train", batch_size=BATCH, repeat=True, cache=True, seed=0))
        seconds, _ = run_steps(model, it, loss_steps)
        model.reset_metrics()
        run_steps(model, it, 20)  # the mean over 20 further steps smooths batch noise
        finals[name] = float(model.get_metrics_result()["loss"])
        print(f"   {name:22s} loss {finals[name]:9.2f}  ({loss_steps / seconds:.1f} steps/s)")
    seed_noise = abs(finals["float32 seed 1"] - finals["float32 seed 0"])
    precision_gap = abs(finals["mixed_bfloat16 seed 0"] - finals["float32 seed 0"])
    print(f"   |bf16 - fp32| = {precision_gap:.2f}; seed-to-seed |fp32 - fp32| = {seed_noise:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
