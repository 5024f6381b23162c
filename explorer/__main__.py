"""`python -m explorer SUBCOMMAND`: the command line."""

import sys

from explorer.entry import cli

sys.exit(cli())
