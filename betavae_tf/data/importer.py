"""Import a user's own spin configurations (.npy / .npz) into the dataset format."""
import os

import numpy as np

from betavae_tf.data import format as fmt
from betavae_tf.physics import (ISING_CRITICAL_TEMPERATURE, energy_per_site, magnetization,
                                staggered_magnetization, to_spins)

SPIN_KEYS = ("spins", "configurations", "x")
TEMPERATURE_KEYS = ("temperatures", "temperature", "T")


def _load_array(path, keys, what):
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what} file {path} does not exist.")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise ValueError(f"{path} is not a readable .npy or .npz file ({e}).") from None
    if isinstance(data, np.ndarray):
        return data, None
    with data:
        found = [k for k in keys if k in data.files]
        if found:
            spins = data[found[0]]
        elif len(data.files) == 1:
            spins = data[data.files[0]]
        else:
            raise ValueError(f"{path} holds {data.files}; name the {what} array one of {keys}.")
        t_keys = [k for k in TEMPERATURE_KEYS if k in data.files]
        return spins, (data[t_keys[0]] if t_keys else None)


def load_spins(path, temperatures_path=None):
    """Spins as uint8 sigma (N, L, L) and temperatures (N,) (NaN when unknown)."""
    raw, temperatures = _load_array(path, SPIN_KEYS, "spins")
    if temperatures_path:
        temperatures, _ = _load_array(temperatures_path, TEMPERATURE_KEYS, "temperatures")
    if raw.ndim == 4 and raw.shape[-1] == 1:
        raw = raw[..., 0]
    if raw.ndim != 3 or raw.shape[1] != raw.shape[2] or raw.shape[0] < 1:
        raise ValueError(f"spins must have shape (N, L, L) or (N, L, L, 1) with N >= 1, got {raw.shape}.")
    # The same spin-encoding rules as every observable: {0, 1} or {-1, +1}, finite.
    sigma = ((to_spins(raw) + 1) // 2).astype(np.uint8)
    n = sigma.shape[0]
    if temperatures is None:
        temperatures = np.full(n, np.nan)
    temperatures = np.asarray(temperatures, dtype=np.float64).reshape(-1)
    if temperatures.size == 1:
        temperatures = np.full(n, temperatures[0])
    if temperatures.shape != (n,):
        raise ValueError(f"temperatures must have one value per sample ({n}), got {temperatures.size}.")
    if np.any(temperatures[~np.isnan(temperatures)] <= 0) or np.any(np.isinf(temperatures)):
        raise ValueError("temperatures must be positive and finite.")
    return sigma, temperatures


def import_numpy(path, out_dir, *, temperatures_path=None, coupling=1.0, field=0.0, seed=0,
                 n_shards=8, overwrite=False):
    """Write a dataset directory from a .npy/.npz file of spin configurations."""
    if not np.isfinite(coupling) or not np.isfinite(field):
        raise ValueError("coupling and field must be finite.")
    fmt.check_output_dir(out_dir, overwrite)
    sigma, temperatures = load_spins(path, temperatures_path)
    labels = {
        "temperature": temperatures,
        "coupling": np.full(sigma.shape[0], float(coupling)),
        "energy": energy_per_site(sigma, coupling, field),
        "magnetization": magnetization(sigma),
        "staggered_magnetization": staggered_magnetization(sigma),
        "phase": fmt.phase_of(temperatures, coupling, ISING_CRITICAL_TEMPERATURE),
    }
    order = np.random.default_rng(seed).permutation(sigma.shape[0])
    manifest = {
        "model": "ising",
        "source": f"import:{os.path.basename(path)}",
        "couplings": [float(coupling)],
        "field": float(field),
        "temperatures": sorted(set(temperatures[~np.isnan(temperatures)].tolist())),
        "critical_temperature": ISING_CRITICAL_TEMPERATURE,
        "seed": seed,
    }
    return fmt.write_dataset(out_dir, sigma[order], {k: v[order] for k, v in labels.items()},
                             manifest, n_shards=n_shards, overwrite=overwrite)
