"""betavae-info: print the summary of a dataset directory (--verify: check every record).

  betavae-info --data=runs/data --verify

Every flag is a setting of betavae_tf.commands.InfoRequest.
"""

from betavae_tf import commands
from betavae_tf.cli import common

run = common.console_script(__name__, commands.InfoRequest, commands.info, "betavae-info")

if __name__ == "__main__":
    run()
