"""When a phase-discovery result cannot be trusted: one sentence per reason.

The sentences go into summary.json (each run's "quality_warnings" and the
top-level "warnings"), the report (under the headline), the console and the
notebooks. The thresholds, and why:

- RATE_FLOOR = 0.35 nat (half a bit) of KL per configuration: telling an
  ordered from a disordered configuration at an even split takes ln 2 = 0.69
  nat; a code below half of that has (nearly) collapsed to the prior.
- CENTRE_CONTRAST = 0.15: the largest mean absolute difference, over sites
  and channels, between the decoded means of two cluster centres (values in
  [0, 1] for bits and one-hot states). An ordered and a disordered centre
  differ by about 0.4 for Ising (p >= 0.9 against 0.5 where |m| >= 0.8) and
  about 0.3 for the three-state Potts model (0.9 against 1/3 on the dominant
  state); below 0.15 the decoder draws (nearly) the same picture whatever
  the cluster, so the clusters are not phases.
- VALIDATION_RISE = 2% of the best validation loss, at least two epochs
  after the best: the model fits the training split at the expense of the data.
- MIN_SIDE = 3 temperatures of the grid below and above the estimated Tc:
  fewer cannot pin the step of <r>(T) on that side.
- An ordered branch whose clusters have a mean temperature above the
  estimated Tc holds configurations of both phases.
"""

import math

RATE_FLOOR = 0.35
CENTRE_CONTRAST = 0.15
VALIDATION_RISE = 0.02
MIN_SIDE = 3


def _finite(x):
    return x is not None and isinstance(x, (int, float)) and math.isfinite(x)


def run_warnings(run, history=()):
    """The warnings for one analysed run (discovery.analyze_run's summary) and its training history."""
    out = []
    rate = run.get("rate")
    if _finite(rate) and rate < RATE_FLOOR:
        out.append(
            f"The code carries {rate:.2f} nat per configuration (less than half a bit): the encoder has nearly "
            "collapsed to the prior, so the clusters and Tc do not come from the data; train longer or with a "
            "smaller beta."
        )
    contrast = run.get("decoded_contrast")
    if _finite(contrast) and run.get("n_clusters", 0) > 1 and contrast < CENTRE_CONTRAST:
        out.append(
            f"The decoded cluster centres hardly differ (largest mean site difference {contrast:.3f} < "
            f"{CENTRE_CONTRAST}): the clusters do not decode to different configurations, so they are not phases."
        )
    val = [(h["epoch"], h["val_loss"]) for h in history if _finite(h.get("val_loss"))]
    if len(val) >= 3:
        best_epoch, best = min(val, key=lambda e: e[1])
        last_epoch, last = val[-1]
        if last_epoch - best_epoch >= 2 and last - best > VALIDATION_RISE * abs(best):
            out.append(
                f"The validation loss rose from {best:.4g} (epoch {best_epoch}) to {last:.4g} (epoch {last_epoch}): "
                "the model overfits its training split; train fewer epochs or on more samples."
            )
    tc = run.get("transition_latent", {}).get("tc")
    temperatures = run.get("temperatures", [])
    if _finite(tc) and temperatures:
        below, above = sum(t < tc for t in temperatures), sum(t > tc for t in temperatures)
        if min(below, above) < MIN_SIDE:
            side = "below" if below < above else "above"
            out.append(
                f"Only {min(below, above)} of the {len(temperatures)} temperatures lie {side} the estimated "
                f"Tc = {tc:.4g}: the step of <r>(T) is not pinned on that side; add temperatures there."
            )
        hot = [
            c
            for c in run.get("clusters", [])
            if c["role"].startswith("ordered branch") and _finite(c["mean_temperature"]) and c["mean_temperature"] > tc
        ]
        if hot:
            out.append(
                "Cluster"
                + ("s " if len(hot) > 1 else " ")
                + ", ".join(f"{c['cluster']} ({c['role']}, mean T {c['mean_temperature']:.3g})" for c in hot)
                + (" lie" if len(hot) > 1 else " lies")
                + f" above the estimated Tc = {tc:.4g} on average: "
                + ("they hold" if len(hot) > 1 else "it holds")
                + " configurations from both sides of the transition, not one ordered phase."
            )
    return out
