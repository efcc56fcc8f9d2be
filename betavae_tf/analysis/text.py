"""How numbers are written in reports and logs."""

import math


def fmt_number(x, digits=3):
    """A number for a report cell; n/a for None and non-finite values."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:.{digits}f}"


def fractions(fr):
    """{"FM": 0.25, ...} as "FM 25%, ..."."""
    return ", ".join(f"{k} {100 * v:.0f}%" for k, v in fr.items())
