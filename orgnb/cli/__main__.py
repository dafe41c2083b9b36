"""`python -m orgnb.cli`: the same as the `orgnb` command."""

import sys

from orgnb.cli import main

if __name__ == "__main__":
    sys.exit(main())
