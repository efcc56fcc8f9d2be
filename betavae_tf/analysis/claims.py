"""Claims as data: what the paper (or this project) says, which metric decides it, and the threshold.

Each experiment module lists its claims as Claim records keyed by a stable
id; judge() turns one experiment's metrics into verdicts. Rewording a claim
changes its text, never its id, so studies that count verdicts (the seed
study) stay keyed correctly.
"""

import dataclasses
from collections.abc import Callable

HOLDS, FAILS, NOT_TESTED, REPORTED = "holds", "does not hold", "not tested", "reported"


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim.

    text(m) -> the sentence (thresholds written in); applies(m) -> whether
    the metrics hold what the claim needs (else it is left out of the
    report); holds(m) -> True / False, or None when it cannot be tested;
    evidence(m) -> the numbers that decide it. reported: a number that is
    shown but not judged.
    """

    id: str
    source: str
    reads: str
    threshold: float | None
    text: Callable
    holds: Callable
    evidence: Callable
    applies: Callable = lambda m: True
    reported: bool = False


def judge(claims, metrics):
    """[{"id", "claim", "source", "verdict", "evidence"}] of the claims that apply to metrics."""
    out = []
    for claim in claims:
        if not claim.applies(metrics):
            continue
        if claim.reported:
            verdict = REPORTED
        else:
            result = claim.holds(metrics)
            verdict = NOT_TESTED if result is None else (HOLDS if result else FAILS)
        out.append(
            {
                "id": claim.id,
                "claim": claim.text(metrics),
                "source": claim.source,
                "verdict": verdict,
                "evidence": claim.evidence(metrics),
            }
        )
    return out


def fixed(text):
    """A claim text that does not depend on the metrics."""
    return lambda m: text
