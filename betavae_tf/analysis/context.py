"""The small context every reproduction experiment runs in: data, training and bookkeeping.

Datasets and training runs are made in this process from the same flagfiles
and settings as betavae-generate and betavae-train: a flagfile is read into a
GenerateRequest / TrainConfig by betavae_tf.config_flags, an experiment's own
values (a beta, a lattice size, a seed) replace fields of that configuration,
and the user's extra flags (--data_flag, --train_flag) apply last. So a
report's runs are exactly what those commands would make. A finished run is
reused; an existing dataset is reused only if it was generated with the
settings asked for now.
"""

import dataclasses
import json
import os
import time
from collections.abc import Callable

from absl import logging

from betavae_tf import config_flags, fileio, flagfiles, train_lib
from betavae_tf.data.format import read_manifest
from betavae_tf.data.generate import GenerateRequest, generate
from betavae_tf.progress import Progress, format_seconds


@dataclasses.dataclass
class Context:
    config: object  # reproduce.ReproduceConfig
    out: str  # absolute output directory
    log: Callable = logging.info  # log(format, *args)
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    figures: dict[str, str] = dataclasses.field(default_factory=dict)  # caption -> PNG path
    progress: Progress = None  # one step per training run (the reproduction's stages)

    @property
    def flags_dir(self):
        return os.path.abspath(self.config.flags_dir) if self.config.flags_dir else flagfiles.flags_root()

    def flagfile(self, name):
        return os.path.join(self.flags_dir, name)

    def path(self, *parts):
        return os.path.join(self.out, *parts)

    # -- data ---------------------------------------------------------------------
    def dataset(self, key, flagfile, data_dir, **settings):
        """Generate data_dir from a flagfile and the user's extra data flags, then `settings` (GenerateRequest fields).

        An existing data_dir is reused if it was made with the same settings.
        """
        request = config_flags.parse(
            GenerateRequest, [f"--flagfile={self.flagfile(flagfile)}", *self.config.data_flags], "betavae-generate"
        )
        wanted = dataclasses.replace(request, **settings).config()
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
    def train(self, key, flagfiles, data_dir, workdir, seed=None, **settings):
        """Train (or resume, or reuse) a run; returns (float32 model at its newest checkpoint, epochs).

        The TrainConfig is read from the flagfiles; data_dir, the seed (the
        reproduction's unless given) and `settings` (TrainConfig fields, e.g.
        beta=100.0) replace its fields; the user's extra training flags apply last.
        """
        import keras

        seed = self.config.seed if seed is None else seed
        train_config = config_flags.parse(
            train_lib.TrainConfig, [f"--flagfile={self.flagfile(f)}" for f in flagfiles], "betavae-train"
        )
        train_config = dataclasses.replace(train_config, data_dir=data_dir, seed=seed, verbose=0, **settings)
        if self.config.train_flags:
            train_config = config_flags.parse(
                train_lib.TrainConfig, list(self.config.train_flags), "betavae-train", base=train_config
            )
        start = time.perf_counter()
        result = train_lib.train_and_evaluate(
            train_config, workdir, flags_text=train_lib.flagfile_of(train_config, workdir)
        )
        seconds = time.perf_counter() - start
        self.timings[key] = seconds
        del result
        keras.backend.clear_session()  # many runs in one process: drop the finished one's graphs
        from betavae_tf import export  # TensorFlow loads here, after every flag check

        model, epochs = export.model_from_workdir(workdir)
        if self.progress is not None:
            self.progress.step(
                f"{key}: {epochs} epochs in {os.path.relpath(workdir, self.out)} ({format_seconds(seconds)} this call)"
            )
        return model, epochs

    def save_metrics(self, workdir, metrics):
        fileio.write_text_atomic(
            os.path.join(workdir, "metrics.json"), json.dumps(metrics, indent=2, default=float) + "\n"
        )


def check_generated_with(data_dir, wanted):
    """Refuse an existing dataset made with other settings than `wanted` (a GenerateConfig)."""
    manifest = read_manifest(data_dir)
    made = manifest.get("config")
    if not isinstance(made, dict):
        raise ValueError(
            f"{data_dir} exists but was not made by betavae-generate (its manifest records no "
            "generation settings); use another --out or remove it."
        )
    asked = json.loads(json.dumps(dataclasses.asdict(wanted)))
    differ = [k for k in asked if k != "n_threads" and made.get(k) != asked[k]]
    if differ:
        detail = ", ".join(f"{k} = {made.get(k)!r} (asked: {asked[k]!r})" for k in differ[:3])
        raise ValueError(
            f"{data_dir} was generated with other settings than this run asks for: {detail}; use "
            "another --out, or remove that dataset to make it anew."
        )
