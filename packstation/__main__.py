"""`python -m packstation` is the `packstation` command."""

import sys

from packstation.cli import main

sys.exit(main())
