"""Entry point: `python -m app` and the `pegasus-reports` script."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
