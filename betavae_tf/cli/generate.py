"""betavae-generate: sample a Monte Carlo (or the synthetic Z3) dataset and write it atomically.

  betavae-generate --flagfile=data/ising_three_phase_quick.flags --out=runs/data
  betavae-generate --model=potts --q=3 --lattice_size=32 --t_min=0.8 --t_max=1.2 --couplings=1 --out=runs/potts

--model ising | potts (--q) | xy | z3 (the paper's synthetic D = 3 set, Sec. V-A:
--samples_per_point per class, --polarization; temperatures and couplings unused).
Every flag is a setting of betavae_tf.data.generate.GenerateRequest.
"""

from betavae_tf.cli import common
from betavae_tf.data.generate import GenerateRequest, generate_command

run = common.console_script(__name__, GenerateRequest, generate_command, "betavae-generate")

if __name__ == "__main__":
    run()
