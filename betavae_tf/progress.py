"""Progress of long work: one absl log line per finished unit with elapsed time and ETA.

Lines go through absl logging, so --verbosity and --log_dir apply; on an
interactive terminal a tqdm bar is drawn as well (never in logs, notebooks'
captured output or CI).
"""

import sys
import time

from absl import logging


def format_seconds(seconds):
    """3 s, 4 min 05 s, 1 h 02 min."""
    if seconds != seconds or seconds < 0:  # NaN
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


class Progress:
    """Counts weighted units of work towards a total; each step logs what was done and the ETA.

    weights: the expected cost of each unit (default 1 each); the ETA scales the
    time spent so far by the remaining weight.
    """

    def __init__(self, total, what, log=logging.info, weights=None, bar=None, counter=True):
        self.total, self.what, self.log, self.counter = total, what, log, counter
        self.weights = list(weights) if weights is not None else [1.0] * total
        self.done, self.start = 0, time.perf_counter()
        if bar is None:
            bar = log is not None and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.bar = None
        if bar:
            try:
                from tqdm import tqdm

                self.bar = tqdm(total=total, desc=what, leave=False, file=sys.stderr)
            except ImportError:
                self.bar = None

    def elapsed(self):
        return time.perf_counter() - self.start

    def eta(self):
        spent = sum(self.weights[: self.done])
        left = sum(self.weights[self.done :])
        return self.elapsed() * left / spent if spent > 0 else float("nan")

    def step(self, message):
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        if self.log is not None:
            where = f"{self.what} {self.done}/{self.total}" if self.counter else self.what
            self.log(
                "%s: %s (%s elapsed, ETA %s)",
                where,
                message,
                format_seconds(self.elapsed()),
                format_seconds(self.eta()),
            )

    def close(self):
        if self.bar is not None:
            self.bar.close()
