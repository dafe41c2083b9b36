"""`python -m orgnb.cli`: the same as the `orgnb` command."""

import sys

from orgnb.cli import main

sys.exit(main())
