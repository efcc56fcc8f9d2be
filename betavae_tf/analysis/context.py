"""The small context every reproduction experiment runs in: data, training and bookkeeping.

Datasets and training runs are made in this process from the same flagfiles
and flag definitions as betavae-generate and betavae-train (the flags are
parsed into GenerateConfig / TrainConfig by betavae_tf.config_flags), so a
report's runs are exactly what those commands would make. A finished run is
reused; an existing dataset is reused only if it was generated with the
settings asked for now.
"""
import dataclasses
import json
import os
import time
from typing import Callable, Dict

from absl import logging

from betavae_tf import config_flags, fileio, train_lib
from betavae_tf.cli import flagfiles
from betavae_tf.cli import generate as generate_cli
from betavae_tf.cli import train as train_cli
from betavae_tf.data.format import read_manifest
from betavae_tf.data.generate import generate
from betavae_tf.progress import Progress, format_seconds


@dataclasses.dataclass
class Context:
    config: object                       # reproduce.ReproduceConfig
    out: str                             # absolute output directory
    log: Callable = logging.info         # log(format, *args)
    timings: Dict[str, float] = dataclasses.field(default_factory=dict)
    figures: Dict[str, str] = dataclasses.field(default_factory=dict)   # caption -> PNG path
    progress: Progress = None            # one step per training run (the reproduction's stages)

    @property
    def flags_dir(self):
        return os.path.abspath(self.config.flags_dir) if self.config.flags_dir else flagfiles.flags_root()

    def flagfile(self, name):
        return os.path.join(self.flags_dir, name)

    def path(self, *parts):
        return os.path.join(self.out, *parts)

    # -- data ---------------------------------------------------------------------
    def dataset(self, key, flagfile, data_dir, extra=()):
        """Generate data_dir from a flagfile (and the run's extra data flags), or reuse it if it matches."""
        args = [f"--flagfile={self.flagfile(flagfile)}", *self.config.data_flags, *extra, f"--out={data_dir}"]
        wanted = generate_cli.config_from_flags(config_flags.parse(generate_cli.define_flags, args,
                                                                   "betavae-generate"))
        if os.path.isfile(os.path.join(data_dir, "manifest.json")):
            check_generated_with(data_dir, wanted)
            self.log("reusing the dataset %s", data_dir)
            return data_dir
        start = time.perf_counter()
        self.log("generating %s from %s", data_dir, os.path.relpath(self.flagfile(flagfile), self.flags_dir))
        generate(wanted, data_dir, log=self.log)
        self.timings[key] = time.perf_counter() - start
        return data_dir

    # -- training -----------------------------------------------------------------
    def train(self, key, flagfiles, data_dir, workdir, extra=(), seed=None):
        """Train (or resume, or reuse) a run; returns (float32 model at its newest checkpoint, epochs)."""
        import keras

        seed = self.config.seed if seed is None else seed
        args = [*(f"--flagfile={self.flagfile(f)}" for f in flagfiles), f"--data_dir={data_dir}",
                f"--workdir={workdir}", f"--seed={seed}", "--verbose=0", *extra, *self.config.train_flags]
        flag_values = config_flags.parse(train_cli.define_flags, args, "betavae-train")
        train_config = train_cli.config_from_flags(flag_values)
        start = time.perf_counter()
        result = train_lib.train_and_evaluate(train_config, workdir, flags_text=train_cli.effective_flags(flag_values))
        seconds = time.perf_counter() - start
        self.timings[key] = seconds
        del result
        keras.backend.clear_session()  # many runs in one process: drop the finished one's graphs
        from betavae_tf import export  # TensorFlow loads here, after every flag check
        model, epochs = export.model_from_workdir(workdir)
        if self.progress is not None:
            self.progress.step(f"{key}: {epochs} epochs in {os.path.relpath(workdir, self.out)} "
                               f"({format_seconds(seconds)} this call)")
        return model, epochs

    def save_metrics(self, workdir, metrics):
        fileio.write_text_atomic(os.path.join(workdir, "metrics.json"),
                                 json.dumps(metrics, indent=2, default=float) + "\n")


def check_generated_with(data_dir, wanted):
    """Refuse an existing dataset made with other settings than `wanted` (a GenerateConfig)."""
    manifest = read_manifest(data_dir)
    made = manifest.get("config")
    if not isinstance(made, dict):
        raise ValueError(f"{data_dir} exists but was not made by betavae-generate (its manifest records no "
                         "generation settings); use another --out or remove it.")
    asked = json.loads(json.dumps(dataclasses.asdict(wanted)))
    differ = [k for k in asked if k != "n_threads" and made.get(k) != asked[k]]
    if differ:
        detail = ", ".join(f"{k} = {made.get(k)!r} (asked: {asked[k]!r})" for k in differ[:3])
        raise ValueError(f"{data_dir} was generated with other settings than this run asks for: {detail}; use "
                         "another --out, or remove that dataset to make it anew.")
