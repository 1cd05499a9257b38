"""The units a report is written in, from the job's `prefs`.

Raw data is always requested in meters and kilometres per hour; rows are
converted here, so every report honours the same two preferences.
"""

from dataclasses import dataclass
from typing import Any

METERS_PER_KM = 1000.0
METERS_PER_MILE = 1609.344
KPH_PER_MPH = 1.609344


@dataclass(frozen=True)
class Units:
    """Distance in km or mile, speed in kph or mph."""

    distance: str = "km"
    speed: str = "kph"

    @classmethod
    def from_prefs(cls, prefs: Any) -> "Units":
        """Units from a prefs object; speed follows distance when not given."""
        prefs = prefs if isinstance(prefs, dict) else {}
        distance = "mile" if prefs.get("distance") == "mile" else "km"
        default_speed = "mph" if distance == "mile" else "kph"
        speed = prefs.get("speed", default_speed)
        return cls(distance=distance, speed="mph" if speed == "mph" else "kph")

    def distance_from_meters(self, meters: float) -> float:
        per_unit = METERS_PER_MILE if self.distance == "mile" else METERS_PER_KM
        return meters / per_unit

    def speed_from_kph(self, kph: float) -> float:
        return kph / KPH_PER_MPH if self.speed == "mph" else kph

    def as_dict(self) -> dict[str, str]:
        return {"distance": self.distance, "speed": self.speed, "time": "second"}
