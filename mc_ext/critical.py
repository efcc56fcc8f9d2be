"""The transition temperatures of the square-lattice models (k_B = 1): the one home of each constant.

The samplers use them to pick cluster updates below a transition; the
physics and lattice-model records of betavae_tf re-export them.
"""

import math

# Onsager (1944): Tc / |J| = 2 / ln(1 + sqrt 2) ~ 2.269.
ISING_CRITICAL_TEMPERATURE = 2.0 / math.log1p(math.sqrt(2.0))

# The BKT temperature of the XY model, J = 1 (Hasenbusch 2005, J. Phys. A 38, 5869:
# T_BKT = 0.8929(1)); known numerically, not exactly.
XY_BKT_TEMPERATURE = 0.8929


def ising_critical_temperature(coupling=1.0):
    """Onsager's Tc = 2 |J| / ln(1 + sqrt 2) ~ 2.269 |J| of the square lattice."""
    return 2.0 * abs(coupling) / math.log1p(math.sqrt(2.0))


def potts_critical_temperature(q=3, coupling=1.0):
    """The exact Tc = |J| / ln(1 + sqrt q) of the ferromagnetic q-state Potts model (self-duality; 0.99497, q = 3)."""
    return abs(coupling) / math.log1p(math.sqrt(q))
