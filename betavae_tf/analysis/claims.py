"""Claims as data: what the paper (or this project) says, which metric decides it, and the threshold.

Each experiment's report module lists its claims as Claim records keyed by a
stable id, declared with the claim() decorator on the function that decides
them; judge() turns one experiment's metrics into verdicts. Rewording a claim
changes its text, never its id, so studies that count verdicts (the seed
study) stay keyed correctly.
"""

import dataclasses
from collections.abc import Callable

HOLDS, FAILS, NOT_TESTED, REPORTED = "holds", "does not hold", "not tested", "reported"


def _always(metrics):
    return True


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim.

    sentence: the claim's text with its threshold written in, or a function
    of the metrics that returns it; decide(m) -> (holds, evidence): True /
    False, or None when it cannot be tested, and the numbers that decide it;
    applies(m) -> whether the metrics hold what the claim needs (else it is
    left out of the report); reads: which metric decides it; reported: a
    number that is shown but not judged.
    """

    id: str
    source: str
    reads: str
    threshold: float | None
    sentence: str | Callable
    decide: Callable
    applies: Callable = _always
    reported: bool = False

    def text(self, metrics):
        return self.sentence(metrics) if callable(self.sentence) else self.sentence


class Claims(list):
    """An experiment's claims, in report order; add() declares one."""

    def add(self, id, source, reads, threshold=None, *, text=None, applies=None, reported=False, **names):
        """Declare the decorated decide(metrics) -> (holds, evidence) as a Claim of this list.

        The claim's sentence is text (a string, or a function of the metrics),
        or else the function's docstring formatted like an f-string with the
        names of its module, `threshold` and any further keyword (e.g.
        "(|corr| >= {threshold}), {label}.").
        """

        def register(decide):
            fields = {**decide.__globals__, **names, "threshold": threshold}
            sentence = text if text is not None else " ".join(decide.__doc__.split()).format(**fields)
            self.append(Claim(id, source, reads, threshold, sentence, decide, applies or _always, reported))
            return decide

        return register


def judge(claims, metrics):
    """[{"id", "claim", "source", "verdict", "evidence"}] of the claims that apply to metrics."""
    out = []
    for c in claims:
        if not c.applies(metrics):
            continue
        result, evidence = c.decide(metrics)
        if c.reported:
            verdict = REPORTED
        else:
            verdict = NOT_TESTED if result is None else (HOLDS if result else FAILS)
        out.append({"id": c.id, "claim": c.text(metrics), "source": c.source, "verdict": verdict, "evidence": evidence})
    return out
