"""`python -m bot` is the `aiki` command."""

import sys

from bot.cli.main import main

sys.exit(main())
