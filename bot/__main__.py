"""`python -m bot` is the `aiki` command."""

import sys

from bot.cli import main

sys.exit(main())
