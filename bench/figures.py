"""How a benchmark reports a figure, and how figures are printed."""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    """One measured value beside the baseline measured in the same run."""

    name: str
    value: float
    baseline: float
    unit: str
    target: str
    met: bool

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    def line(self) -> str:
        verdict = "met" if self.met else "NOT met"
        return (
            f"{self.name}: {self.value:.3f} {self.unit}, "
            f"ratio {self.ratio:.2f} to baseline {self.baseline:.3f} {self.unit}, "
            f"target {self.target} ({verdict})"
        )


def median_seconds(action: Callable[[], None], repeat: int) -> float:
    """The median wall time of running action repeat times."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
