"""What any trips report must satisfy, whatever the fleet did."""

import datetime as dt


def assert_plausible_trips(rows: list[dict[str, str]]) -> None:
    """Distance above 0, end after start, no overlap within a vehicle."""
    by_vehicle: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    for row in rows:
        start = dt.datetime.fromisoformat(row["start"])
        end = dt.datetime.fromisoformat(row["end"])
        assert float(row["distance"]) > 0, row
        assert end > start, row
        by_vehicle.setdefault(row["vid"], []).append((start, end))

    for trips in by_vehicle.values():
        trips.sort()
        for (_, end), (next_start, _) in zip(trips, trips[1:], strict=False):
            assert next_start >= end
