"""`python -m bench`: run every benchmark and print one line per figure."""

import importlib
import pkgutil
import sys
from pathlib import Path

from bench.figures import Figure
from bench.qt_messages import quiet_platform_warnings


def main() -> int:
    quiet_platform_warnings()
    folder = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(folder)]))
    figures: list[Figure] = []
    for name in (n for n in names if n.startswith("bench_")):
        module = importlib.import_module(f"bench.{name}")
        for figure in module.run():
            print(figure.line(), flush=True)
            figures.append(figure)

    missed = [f.name for f in figures if not f.met]
    if missed:
        print(f"targets not met: {', '.join(missed)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
