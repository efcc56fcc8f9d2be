"""Exact (unbiased) Boltzmann sampling with a trained beta-VAE as the proposal.

A trained model is a generative model g(x, z) = p(z) p(x|z) of configurations
x with latent codes z. It is rarely the Boltzmann distribution, but it can
propose for a Markov chain whose stationary law is exactly it:

  target    pi(x, z) = exp(-E(x)/T) / Z * q(z|x)      (q: the encoder's posterior)
  proposal  g(x, z)  = p(z) p(x|z)                     (drawn fresh at every step)
  weight    w(x, z)  = exp(-E(x)/T) q(z|x) / (p(z) p(x|z))

The independence Metropolis-Hastings chain accepts a proposal (x', z') with
probability min(1, w(x', z') / w(x, z)). Since q(z|x) integrates to one over
z, the x-marginal of pi is exp(-E(x)/T)/Z whatever the model's quality; a
poor model only lowers the acceptance rate. The same weights give
self-normalised importance sampling over all proposals, with its effective
sample size ESS = (sum w)^2 / sum w^2.

Local moves can be interleaved (local_sweeps > 0): checkerboard Metropolis
sweeps on x, which leave exp(-E/T) invariant, followed by a fresh z ~ q(z|x)
(a Gibbs step on z, which leaves pi invariant); the chain stays exact and
mixes within a phase between the model's global proposals.

Energies come from the lattice-model record (betavae_tf.lattice: energy and
local_energy on integer states), so any discrete model with a record works.
The functions here need only a BetaVAE (any head whose likelihood can sample
and give log_prob) and a Target (the record's name with T, J and h);
betavae-sample is the command.
"""

import dataclasses
import time
import types

import numpy as np

from betavae_tf import lattice as lattice_lib
from betavae_tf import thermo
from mc_ext.autocorr import integrated_autocorrelation_time


@dataclasses.dataclass
class ExactSampleResult:
    """What exact_sample measured. Observables are (value, standard error) pairs."""

    model: str
    lattice_size: int
    temperature: float
    coupling: float
    field: float
    n_chains: int
    n_steps: int
    burn_in: int
    local_sweeps: int
    acceptance: float  # accepted model proposals / proposals after burn-in
    tau_int: dict[str, float]  # in chain steps, per observable
    observables: dict[str, tuple]  # from the Markov chains (errors from the spread over chains)
    importance: dict[str, tuple]  # self-normalised importance sampling over every proposal
    ess: float  # effective sample size of the importance weights
    n_proposals: int
    seconds: float
    independent_per_second: float  # chains * steps / (2 tau_int(energy)) / seconds
    # F, U, S, C per site and ln Z from every proposal's weight, with the variational bound (betavae_tf.thermo)
    thermodynamics: dict = dataclasses.field(default_factory=dict)
    states: np.ndarray | None = None  # [n_steps, n_chains, L, L] integer states, when kept

    def summary(self):
        out = dataclasses.asdict(self)
        out.pop("states")
        return out


def states_of(x):
    """Integer states [n, L, L] from model inputs [n, L, L, C]: bits (C = 1) or one-hot (C > 1)."""
    x = np.asarray(x)
    if x.shape[-1] == 1:
        return (x[..., 0] > 0.5).astype(np.int8)
    return np.argmax(x, axis=-1).astype(np.int8)


def inputs_of(states, channels):
    """Model inputs float32 [n, L, L, C] from integer states."""
    s = np.asarray(states)
    if channels == 1:
        return s[..., None].astype(np.float32)
    return np.eye(channels, dtype=np.float32)[s]


@dataclasses.dataclass(frozen=True)
class Target:
    """The distribution to sample, exp(-E/T)/Z: a lattice model with an energy (betavae_tf.lattice) at T, J, h.

    Checked when made: one ValueError sentence for a model without an energy or
    a temperature, coupling or field that is not a finite number (T > 0).
    """

    temperature: float
    lattice_model: str = "ising"
    coupling: float = 1.0
    field: float = 0.0

    def __post_init__(self):
        record = lattice_lib.get(self.lattice_model)
        if record.energy is None or record.local_energy is None:
            raise ValueError(
                f"exact sampling needs the energy of the {record.name} model on discrete states; "
                "its record defines none."
            )
        t = self.temperature
        if (
            isinstance(t, (bool, np.bool_))
            or not isinstance(t, (int, float, np.number))
            or not np.isfinite(t)
            or t <= 0
        ):
            raise ValueError(f"temperature must be a positive number, got {t!r}.")
        for name in ("coupling", "field"):
            value = getattr(self, name)
            if (
                isinstance(value, (bool, np.bool_))
                or not isinstance(value, (int, float, np.number))
                or not np.isfinite(value)
            ):
                raise ValueError(f"{name} must be a finite number, got {value!r}.")

    @property
    def record(self):
        return lattice_lib.get(self.lattice_model)


def check_settings(model, target, n_chains=2, n_steps=4, burn_in=0, local_sweeps=0):
    """ValueError in one sentence for a model or chain settings exact_sample cannot honour (before any chain runs)."""
    record, cfg = target.record, model.config
    if cfg.decoder == "gaussian":
        raise ValueError(
            "exact sampling needs a decoder over discrete states (bernoulli, multinomial, "
            "temperature or autoregressive), not the gaussian head."
        )
    if record.encoding == "bits" and cfg.channels != 1:
        raise ValueError(
            f"the {record.name} model has one binary channel, but the trained model has {cfg.channels} channels."
        )
    if record.encoding == "categorical" and cfg.channels < 2:
        raise ValueError(f"the {record.name} model is one-hot over q >= 2 channels, but the trained model has 1.")
    # Every reported number must be a float64: the log-weights scale as N (2|J| + |h|) / T and the
    # specific heat as N ((2|J| + |h|) / T)^2, so a setting where those overflow is refused up front.
    t, j, h = float(target.temperature), float(target.coupling), float(target.field)
    scale = (2 * abs(j) + abs(h)) / t
    if scale > 0 and np.log(cfg.lattice_size**2) + 2 * np.log(scale) > np.log(1e300):
        raise ValueError(
            f"T = {t:g} with J = {j:g}, h = {h:g} puts exp(-E/T) and the specific "
            "heat outside the range of a float64; use a temperature nearer the coupling's scale."
        )
    for name, value, low in (
        ("n_chains", n_chains, 2),
        ("n_steps", n_steps, 4),
        ("burn_in", burn_in, 0),
        ("local_sweeps", local_sweeps, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}.")


class ModelTerms:
    """The model's side of the weight, log g(x, z) - log q(z|x), as compiled TF functions."""

    def __init__(self, model):
        import tensorflow as tf

        from betavae_tf.backend import tensorflow_probability

        tfp = tensorflow_probability()

        self.model = model
        d = model.config.latent_dim
        prior = tfp.distributions.MultivariateNormalDiag(tf.zeros(d), tf.ones(d))

        def terms(x, z):
            likelihood = model.likelihood(model.decode(z))
            log_px = likelihood.log_prob(x)
            return prior.log_prob(z) + log_px - model.encode(x).log_prob(z)

        @tf.function(reduce_retracing=True)
        def propose(n, seed):
            z = tf.random.stateless_normal([n, d], seed=seed)
            x = model.likelihood(model.decode(z)).sample(seed=seed + 1)
            x = tf.cast(x, tf.float32)
            return x, terms(x, z)

        @tf.function(reduce_retracing=True)
        def refresh(x, seed):
            z = model.encode(x).sample(seed=seed)
            return terms(x, z)

        self.propose, self.refresh = propose, refresh

    def draw(self, n, seed):
        import tensorflow as tf

        x, log_ratio = self.propose(tf.constant(n), tf.constant(seed, dtype=tf.int32))
        return x.numpy(), log_ratio.numpy().astype(np.float64)

    def rescore(self, x, seed):
        import tensorflow as tf

        return self.refresh(tf.constant(x), tf.constant(seed, dtype=tf.int32)).numpy().astype(np.float64)


def metropolis_sweep(states, local_energy, temperature, coupling, field, q, rng):
    """One checkerboard Metropolis sweep on integer states [n, L, L] (L even), in place; returns acceptance."""
    n, L, _ = states.shape
    parity = (np.arange(L)[:, None] + np.arange(L)[None, :]) % 2
    accepted = 0
    for colour in (0, 1):
        mask = np.broadcast_to(parity == colour, states.shape)
        new = (states + rng.integers(1, q, size=states.shape)) % q if q > 2 else 1 - states
        new = np.where(mask, new, states).astype(states.dtype)  # only this colour moves
        delta = local_energy(new, coupling, field) - local_energy(states, coupling, field)
        # Same-colour sites are not neighbours: each site's delta is its own whole energy change.
        accept = mask & (rng.random(states.shape) < np.exp(-np.clip(delta, 0, None) / temperature))
        states[accept] = new[accept]
        accepted += int(accept.sum())
    return accepted / states.size


def _label_config(field, channels):
    return types.SimpleNamespace(field=field, q=max(channels, 2))


def _order_parameter(record, states, temperature, coupling, config):
    _, labels = record.label(
        states.astype(np.int8 if record.encoding == "categorical" else np.uint8), temperature, coupling, config
    )
    return np.abs(np.asarray(labels["magnetization"], dtype=np.float64))


def _jackknife(per_chain_values, statistic):
    """statistic over all chains, with its jackknife error over chains ([chains, steps] arrays)."""
    n = per_chain_values[0].shape[0]
    full = statistic(*[v.ravel() for v in per_chain_values])
    if n < 2:
        return float(full), float("nan")
    leave = np.array([statistic(*[np.delete(v, i, axis=0).ravel() for v in per_chain_values]) for i in range(n)])
    return float(full), float(np.sqrt((n - 1) / n * np.sum((leave - leave.mean()) ** 2)))


def _importance(log_w, values):
    w = np.exp(log_w - log_w.max())
    total = w.sum()
    out = {}
    for name, v in values.items():
        mean = float(w @ v / total)
        out[name] = (mean, float(np.sqrt(np.sum(w**2 * (v - mean) ** 2)) / total))
    return out, float(total**2 / np.sum(w**2))


def exact_sample(
    model,
    target: Target,
    *,
    n_chains: int = 16,
    n_steps: int = 500,
    burn_in: int = 50,
    local_sweeps: int = 0,
    seed: int = 0,
    keep_states: bool = False,
    log=None,
) -> ExactSampleResult:
    """Sample the target exp(-E/T)/Z exactly with `model` (a BetaVAE) as the proposal; see the module docstring.

    target is a Target, e.g. Target(2.0) (Ising, J = 1, h = 0) or
    Target(1.0, "potts", coupling=1.0).

    Every chain step proposes once from the model for every chain (one batch of
    n_chains through decoder and encoder) and, with local_sweeps > 0, then runs
    that many checkerboard Metropolis sweeps and draws z afresh from q(z|x).
    The first burn_in steps are not measured. Returns an ExactSampleResult.
    """
    check_settings(model, target, n_chains, n_steps, burn_in, local_sweeps)
    record, temperature, coupling, field = target.record, target.temperature, target.coupling, target.field
    cfg = model.config
    L, channels, q = cfg.lattice_size, cfg.channels, max(cfg.channels, 2)
    n_sites = L * L
    config = _label_config(field, channels)
    terms = ModelTerms(model)
    rng = np.random.default_rng([seed, 7])
    start = time.perf_counter()

    def measure(states):
        return (record.energy(states, coupling, field), _order_parameter(record, states, temperature, coupling, config))

    states = np.zeros((n_chains, L, L), dtype=np.int8)
    state_energy, state_order = np.zeros(n_chains), np.zeros(n_chains)  # the chains' measures, kept current
    log_w = np.full(n_chains, -np.inf)
    accepted = proposals = 0
    energies, orders, kept = [], [], []
    is_log_w, is_energy, is_order = [], [], []
    for step in range(burn_in + n_steps):
        x_new, log_ratio = terms.draw(n_chains, [seed, 2 * step])
        new_states = states_of(x_new)
        new_energy, new_order = measure(new_states)
        new_log_w = -n_sites * new_energy / temperature - log_ratio
        is_log_w.append(new_log_w)
        is_energy.append(new_energy)
        is_order.append(new_order)
        with np.errstate(invalid="ignore"):
            accept = np.log(rng.random(n_chains)) < new_log_w - log_w
        accept |= ~np.isfinite(log_w)  # the first proposal starts every chain
        states[accept] = new_states[accept]
        log_w[accept] = new_log_w[accept]
        state_energy[accept], state_order[accept] = new_energy[accept], new_order[accept]
        if step >= burn_in:
            accepted += int(accept.sum())
            proposals += n_chains
        if local_sweeps:
            for _ in range(local_sweeps):
                metropolis_sweep(states, record.local_energy, temperature, coupling, field, q, rng)
            state_energy, state_order = measure(states)
            log_w = -n_sites * state_energy / temperature - terms.rescore(
                inputs_of(states, channels), [seed, 2 * step + 1]
            )
        if step >= burn_in:
            energies.append(state_energy.copy())
            orders.append(state_order.copy())
            if keep_states:
                kept.append(states.copy())
        if log is not None and (step + 1) % max(1, (burn_in + n_steps) // 10) == 0:
            log(
                f"exact sampling: step {step + 1}/{burn_in + n_steps}, acceptance so far "
                f"{accepted / max(proposals, 1):.3f}"
            )
    seconds = time.perf_counter() - start

    e = np.stack(energies, axis=1)  # [chains, steps]
    m = np.stack(orders, axis=1)
    chain_means = {"energy": e.mean(axis=1), "abs_order_parameter": m.mean(axis=1)}
    observables = {
        k: (float(v.mean()), float(v.std(ddof=1) / np.sqrt(n_chains)) if n_chains > 1 else float("nan"))
        for k, v in chain_means.items()
    }
    observables["specific_heat"] = _jackknife([e], lambda a: n_sites * a.var() / temperature**2)
    observables["susceptibility"] = _jackknife([m], lambda a: n_sites * (np.mean(a**2) - a.mean() ** 2) / temperature)
    tau = {"energy": integrated_autocorrelation_time(e), "abs_order_parameter": integrated_autocorrelation_time(m)}
    importance, ess = _importance(
        np.concatenate(is_log_w), {"energy": np.concatenate(is_energy), "abs_order_parameter": np.concatenate(is_order)}
    )
    thermodynamics = thermo.estimate(
        np.concatenate(is_log_w), np.concatenate(is_energy), n_sites, temperature, seed=seed
    )
    for name, (value, error) in list(observables.items()) + [(f"importance {k}", v) for k, v in importance.items()]:
        if not (np.isfinite(value) and np.isfinite(error)):
            raise ValueError(
                f"the {name} at T = {temperature:g} came out as {value} +- {error}, not a number that "
                "can be reported; the setting is outside what the sampler can measure."
            )
    return ExactSampleResult(
        model=record.name,
        lattice_size=L,
        temperature=float(temperature),
        coupling=float(coupling),
        field=float(field),
        n_chains=n_chains,
        n_steps=n_steps,
        burn_in=burn_in,
        local_sweeps=local_sweeps,
        acceptance=accepted / max(proposals, 1),
        tau_int=tau,
        observables=observables,
        importance=importance,
        ess=ess,
        n_proposals=len(is_log_w) * n_chains,
        seconds=seconds,
        independent_per_second=n_chains * n_steps / (2 * tau["energy"]) / seconds,
        thermodynamics=thermodynamics,
        states=np.stack(kept) if keep_states else None,
    )


@dataclasses.dataclass
class ThermoResult:
    """thermodynamics()'s estimates: (value, standard error) pairs per site (ln Z total), ESS and cost."""

    model: str
    lattice_size: int
    temperature: float
    coupling: float
    field: float
    estimates: dict
    seconds: float

    def summary(self):
        return dataclasses.asdict(self)


def thermodynamics(
    model, target: Target, *, n_samples: int = 4096, batch_size: int = 512, seed: int = 0, n_bootstrap: int = 200
) -> ThermoResult:
    """F, U, S, C per site (and ln Z, the variational bound, ESS) of exp(-E/T)/Z from n_samples draws of model.

    model is a BetaVAE over discrete states of the target's lattice model (a
    Target, as for exact_sample); the settings are checked as for exact sampling.
    """
    check_settings(model, target)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 2:
        raise ValueError(f"n_samples must be an integer >= 2, got {n_samples!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be an integer >= 1, got {batch_size!r}.")
    record, temperature, coupling, field = target.record, target.temperature, target.coupling, target.field
    n_sites = model.config.lattice_size**2
    terms = ModelTerms(model)
    start = time.perf_counter()
    log_w, energies = [], []
    for k, first in enumerate(range(0, n_samples, batch_size)):
        x, log_ratio = terms.draw(min(batch_size, n_samples - first), [seed, 2 * k])
        e = record.energy(states_of(x), coupling, field)
        log_w.append(-n_sites * e / temperature - log_ratio)
        energies.append(e)
    estimates = thermo.estimate(
        np.concatenate(log_w), np.concatenate(energies), n_sites, temperature, n_bootstrap=n_bootstrap, seed=seed
    )
    return ThermoResult(
        model=record.name,
        lattice_size=model.config.lattice_size,
        temperature=float(temperature),
        coupling=float(coupling),
        field=float(field),
        estimates=estimates,
        seconds=time.perf_counter() - start,
    )
