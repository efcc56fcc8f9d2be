"""Run in a child process with KERAS_BACKEND set (Keras fixes its backend per process): one BetaVAE
computation whose numbers test_backends.py compares across backends.

  python backend_probe.py terms CONFIG.json WEIGHTS.npz BATCH.npz OUT.npz
      the loss terms of the model with these weights on (x, eps), then two training steps on the
      same batch: distortion, rate, kl [N] and the two steps' losses
  python backend_probe.py anneal OUT.json
      three epochs of model.fit with KLAnnealing(2): each epoch's logs (beta, loss, distortion, rate)
  python backend_probe.py encode WORKDIR X.npy OUT.npy
      the posterior means of x under the workdir's newest checkpoint, read into a model of this backend
"""

import json
import sys

import numpy as np


def _model(config, jit_compile=False):
    from betavae_tf.models import BetaVAE, ModelConfig, paper_optimizer

    model = BetaVAE.from_model_config(ModelConfig(**config))
    model.compile(optimizer=paper_optimizer(), jit_compile=jit_compile)
    return model


def terms(config_path, weights_path, batch_path, out_path):
    with open(config_path) as f:
        model = _model(json.load(f))
    weights = np.load(weights_path)
    paths = [str(p) for p in weights["paths"]]
    assert paths == [v.path for v in model.variables], (paths[:3], [v.path for v in model.variables][:3])
    for i, variable in enumerate(model.variables):
        variable.assign(weights[f"v{i}"].astype(variable.dtype))
    batch = np.load(batch_path)
    x, eps = batch["x"], batch["eps"]
    distortion, rate, kl = model.compute_terms(x, False, eps=eps)
    losses = [float(model.train_on_batch(x, eps, return_dict=True)["loss"]) for _ in range(2)]
    np.savez(
        out_path, distortion=np.asarray(distortion), rate=np.asarray(rate), kl=np.asarray(kl), losses=np.asarray(losses)
    )


def anneal(out_path):
    from betavae_tf.models import KLAnnealing

    model = _model(dict(lattice_size=8, channels=1, latent_dim=2, decoder="bernoulli", beta=50.0), jit_compile=True)
    x = (np.random.default_rng(0).random((64, 8, 8, 1)) < 0.5).astype("float32")
    history = model.fit(x, batch_size=32, epochs=3, verbose=0, callbacks=[KLAnnealing(2)], shuffle=False)
    with open(out_path, "w") as f:
        json.dump({k: [float(v) for v in history.history[k]] for k in ("beta", "loss", "distortion", "rate")}, f)


def encode(workdir, x_path, out_path):
    import os

    from betavae_tf import checkpoints, fileio
    from betavae_tf.models import ModelConfig
    from betavae_tf.models.vae import float32_model

    config = fileio.read_json(os.path.join(workdir, "config.json"), "workdir config")
    model = float32_model(ModelConfig(**config["model"]))
    epochs = checkpoints.on_disk(workdir)
    checkpoints.read_mirror_into(model, checkpoints.prefix(workdir, epochs[-1]))
    np.save(out_path, np.asarray(model.encoder(np.load(x_path), training=False)["mean"]))


if __name__ == "__main__":
    import keras

    print("backend", keras.backend.backend())
    {"terms": terms, "anneal": anneal, "encode": encode}[sys.argv[1]](*sys.argv[2:])
