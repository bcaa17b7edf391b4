"""`python -m panel.cli`: the `panel` command without its console script (the benchmark uses it)."""

import sys

from panel.cli import main

sys.exit(main())
