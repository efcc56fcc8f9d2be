"""Phase codes: the one table every dataset label, classifier and report uses.

A dataset's manifest carries a {name: code} map (its "phases"); the codes are
drawn from this table so that the same number means the same phase in every
model that has it:

  UNKNOWN = -1   no label (e.g. imported data without temperatures)
  MIXED   = -2   a generated map or configuration that is none of the phases
                 (domain walls, half-ordered); never a dataset label
  FM      =  0   ferromagnet (Ising, J > 0, T < Tc); QLRO shares 0 for the XY model
  AFM     =  1   antiferromagnet (Ising, J < 0, T < Tc)
  PM      =  2   disordered (paramagnet), every model
  FM_a    = 3+a  ordered or polarized towards state a (q-state Potts, the synthetic Z3 set)
MNIST uses its digits 0-9 as labels, which are classes, not phases.
"""

UNKNOWN = -1
MIXED = -2
FM = 0
AFM = 1
PM = 2
QLRO = 0
FIRST_ORDERED_STATE = 3

ISING = {"FM": FM, "AFM": AFM, "PM": PM, "unknown": UNKNOWN}
XY = {"QLRO": QLRO, "PM": PM, "unknown": UNKNOWN}
# The phases of a generated Ising map (metrics.classify_phase), with MIXED.
ISING_GENERATED = {"FM": FM, "AFM": AFM, "PM": PM, "mixed": MIXED}


def ordered_state(a):
    """The code of a sample ordered (polarized) towards state a: 3 + a."""
    return FIRST_ORDERED_STATE + a


def q_state(q):
    """Phases of a q-state model: PM, and FM_a for each state a."""
    return {"PM": PM, **{f"FM_{a}": ordered_state(a) for a in range(q)}, "unknown": UNKNOWN}


def digits():
    """MNIST: the digit is the class label."""
    return {str(d): d for d in range(10)}


def names(phases):
    """{code: name} of a {name: code} map, MIXED included."""
    out = {int(code): name for name, code in phases.items()}
    out.setdefault(MIXED, "mixed")
    return out


def is_ordered_state(code):
    return code >= FIRST_ORDERED_STATE
