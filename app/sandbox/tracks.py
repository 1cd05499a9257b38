"""Generated movements of the demo fleet, one vehicle and one local day at a time.

A day's events are a pure function of (seed, vehicle, date): each day draws
from its own `random.Random(f"{seed}:{vid}:{date}")`, so what a request sees
never depends on the range it asked for. Days are calendar days in the
fleet's time zone. A vehicle spends nights parked at its depot with the
ignition off, sending a keep-alive every 30 to 60 minutes; on a working day
it warms up, makes a few trips with a GPS point every 30 to 60 seconds,
stops at customers (engine off, or idling while it waits) and drives home.

The odometer (dev_dist) starts each day at a fixed allowance per day in
service, larger than any day's driving: it never decreases, and it jumps
forward overnight by the distance a vehicle did not drive.
"""

import math
import random
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from app.sandbox.fleet import FLEET_TZ, NEVER_REPORTING, STOPPED_REPORTING, Vehicle

GPS_EVENT = 10
KEEP_ALIVE = 100
CODES = {"prdtst": 0, "trckpnt": 1, "ignon": 6, "ignoff": 7, "idl": 21, "spd": 30}

KEEP_ALIVE_PERIOD = 2_700  # seconds between keep-alive slots; each is jittered
METERS_PER_DEGREE = 111_320.0
SPEEDING_KPH = 105  # about 65 mph


class Event(NamedTuple):
    """One observation as the device sent it; vid and device id are added later."""

    epoch: int
    system_epoch: float
    type: int
    label: str
    lat: float
    lon: float
    head: int
    kph: int
    ign: bool
    valid: bool
    sv: int
    hdop: float
    odometer: float  # meters


@dataclass(frozen=True)
class Profile:
    """How a kind of vehicle works: hours, distances, speeds and stops."""

    work_start: tuple[int, int]  # local start, in minutes after midnight
    work_hours: tuple[float, float]
    radius_km: tuple[float, float]  # customers lie this far from the depot
    cruise_kph: tuple[int, int]
    top_kph: int
    stop_min: tuple[int, int]
    wait_idling: float  # chance of waiting at a stop with the engine running
    wait_min: tuple[int, int]
    weekend_work: tuple[float, float]  # chance of working on Saturday, Sunday
    budget_km: int  # no day drives more than this...
    allowance_km: int  # ...so this advance of the odometer per day covers it


PROFILES = {
    "van": Profile((420, 510), (7.5, 9.5), (1.5, 7.0), (32, 58), 80, (10, 40),
                   0.3, (3, 14), (0.3, 0.1), 125, 160),
    "truck": Profile((330, 420), (8.0, 10.0), (5.0, 22.0), (55, 92), 112,
                     (25, 70), 0.55, (8, 28), (0.5, 0.15), 230, 280),
    "pickup": Profile((450, 540), (6.5, 9.0), (3.0, 14.0), (40, 70), 95,
                      (40, 120), 0.15, (3, 9), (0.2, 0.05), 125, 160),
}  # fmt: skip


def local_midnight(day: date, tz: ZoneInfo) -> int:
    """The epoch second at which a calendar day starts in a time zone."""
    return int(datetime.combine(day, time(0, 0), tz).timestamp())


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Distance on a local flat map; exact enough within a city."""
    dy = (lat2 - lat1) * METERS_PER_DEGREE
    dx = (lon2 - lon1) * METERS_PER_DEGREE * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


class _Day:
    """Builds one vehicle's events for one local day, in time order."""

    def __init__(self, vehicle: Vehicle, day: date, seed: int, tz: ZoneInfo):
        self.vehicle = vehicle
        self.day = day
        self.seed = seed
        self.tz = tz
        self.rng = random.Random(f"{seed}:{vehicle.id}:{day.isoformat()}")
        self.profile = PROFILES[vehicle.kind]
        self.events: list[Event] = []

        self.start = local_midnight(day, tz)
        self.end = local_midnight(day + timedelta(days=1), tz)
        self.t = self.start - 1  # an event may fall on midnight itself
        slot = (vehicle.id - 1) % 5
        self.home = (vehicle.depot.lat + (slot - 2) * 0.00012,
                     vehicle.depot.lon + (slot % 2) * 0.00015)  # fmt: skip
        self.lat, self.lon = self.home
        self.head = (vehicle.id * 37) % 360
        self.ign = False
        in_service = (day - vehicle.in_service).days
        allowance = self.profile.allowance_km * 1000.0
        self.odometer = vehicle.base_km * 1000.0 + max(0, in_service) * allowance
        self.driven = 0.0

    def build(self) -> list[Event]:
        if self._works_today():
            self._working_day()
        self._park_until(self.end)
        return self.events

    def _works_today(self) -> bool:
        if self.day < self.vehicle.in_service:
            return False
        weekday = self.day.weekday()
        saturday, sunday = self.profile.weekend_work
        chance = {5: saturday, 6: sunday}.get(weekday, 0.95)
        return self.rng.random() < chance

    def _local(self, minutes: float) -> int:
        """Epoch of a local wall time today, given in minutes after midnight."""
        clock = time(int(minutes // 60) % 24, int(minutes % 60))
        return int(datetime.combine(self.day, clock, self.tz).timestamp())

    def _working_day(self) -> None:
        rng, profile = self.rng, self.profile
        weekend = self.day.weekday() >= 5
        low, high = profile.work_start
        begin = rng.uniform(low, high) + (90 if weekend else 0)
        hours = rng.uniform(*profile.work_hours) / (3 if weekend else 1)
        closing_time = self._local(begin + hours * 60)
        lunch_time = self._local(rng.uniform(690, 780))
        self._park_until(self._local(begin))

        self._ignition(on=True)
        self._idle(rng.choice([60, 120, 180, 240, 300, 420, 660, 780]))
        had_lunch = weekend
        while self.t < closing_time and self._customer_visit():
            if not had_lunch and self.t >= lunch_time:
                self._stop_engine_off(rng.randint(30, 45) * 60)
                had_lunch = True

        self._drive_to(*self.home)
        self._idle(rng.choice([0, 0, 30, 60, 90]))
        self._ignition(on=False)

    def _customer_visit(self) -> bool:
        """Drive to a customer and stop there; False when no budget is left."""
        rng, profile = self.rng, self.profile
        angle = rng.uniform(0, 2 * math.pi)
        reach = rng.uniform(*profile.radius_km) * 1000
        depot = self.vehicle.depot
        dest_lat = depot.lat + reach * math.cos(angle) / METERS_PER_DEGREE
        dest_lon = depot.lon + reach * math.sin(angle) / (
            METERS_PER_DEGREE * math.cos(math.radians(depot.lat))
        )

        # Paths wander a little; 1.35 times the straight line is a safe bound.
        ahead = distance_m(self.lat, self.lon, dest_lat, dest_lon)
        back = distance_m(dest_lat, dest_lon, *self.home)
        if self.driven + 1.35 * (ahead + back) > profile.budget_km * 1000:
            return False

        self._drive_to(dest_lat, dest_lon)
        if rng.random() < profile.wait_idling:
            self._idle(rng.randint(*profile.wait_min) * 60)
        else:
            self._stop_engine_off(rng.randint(*profile.stop_min) * 60)
        return True

    def _stop_engine_off(self, seconds: int) -> None:
        self._pause(self.rng.randint(5, 40))
        self._ignition(on=False)
        self._park_until(self.t + seconds)
        self._ignition(on=True)
        self._idle(self.rng.choice([0, 30, 60, 90, 150]))

    def _drive_to(self, dest_lat: float, dest_lon: float) -> None:
        rng, profile = self.rng, self.profile
        cruise = rng.randint(*profile.cruise_kph)
        kph_before = 0
        while True:
            remaining = distance_m(self.lat, self.lon, dest_lat, dest_lon)
            dt = rng.randint(30, 60)
            near = remaining < 1_500
            target = cruise * (0.6 if near else 1.0)
            kph = int(max(8, min(profile.top_kph, rng.gauss(target, 9))))
            if rng.random() < 0.07:
                kph = 0  # a red light or a queue
            step = (kph_before + kph) / 2 / 3.6 * dt

            if step >= remaining:
                # Pull in, slowing down; within the usual 60 s, as the
                # remaining distance is under this step's.
                average = max(kph_before, 12) / 2 / 3.6
                self.t += min(60, max(5, int(remaining / average)))
                self._move(remaining, self._bearing(dest_lat, dest_lon))
                self.lat, self.lon = dest_lat, dest_lon
                self._emit("trckpnt", kph=rng.randint(0, 4))
                return

            self.t += dt
            bearing = self._bearing(dest_lat, dest_lon) + rng.gauss(0, 20)
            self._move(step, bearing)
            label = "spd" if kph >= SPEEDING_KPH else "trckpnt"
            self._emit(label, kph=kph)
            kph_before = kph

    def _bearing(self, lat: float, lon: float) -> float:
        dy = lat - self.lat
        dx = (lon - self.lon) * math.cos(math.radians(self.lat))
        return math.degrees(math.atan2(dx, dy)) % 360

    def _move(self, meters: float, bearing: float) -> None:
        rad = math.radians(bearing)
        self.lat += meters * math.cos(rad) / METERS_PER_DEGREE
        self.lon += (
            meters
            * math.sin(rad)
            / (METERS_PER_DEGREE * math.cos(math.radians(self.lat)))
        )
        self.head = int(bearing) % 360
        self.odometer += meters
        self.driven += meters

    def _idle(self, seconds: int) -> None:
        """Stand still with the engine running; `idl` marks five minutes of it."""
        end = self.t + seconds
        began = self.t
        flagged = False
        while True:
            step = self.rng.randint(50, 120)
            if self.t + step >= end:
                break
            self.t += step
            label = "trckpnt"
            if not flagged and self.t - began >= 300:
                label, flagged = "idl", True
            self._emit(label, kph=0)
        self.t = max(self.t, end)

    def _pause(self, seconds: int) -> None:
        self.t += seconds

    def _ignition(self, *, on: bool) -> None:
        self.t += self.rng.randint(1, 4)
        self.ign = on
        self._emit("ignon" if on else "ignoff", kph=0)

    def _park_until(self, until: int) -> None:
        """Keep-alives on a per-vehicle grid, so nights look alike across days."""
        # Jitter is under one period, so no slot before this one can be due.
        slot = (self.t - self._phase()) // KEEP_ALIVE_PERIOD
        while True:
            at = self._phase() + slot * KEEP_ALIVE_PERIOD + self._jitter(slot)
            if at >= until:
                break
            if at > self.t:
                self.t = at
                self._emit("prdtst", kph=0, kind=KEEP_ALIVE)
            slot += 1
        self.t = max(self.t, until)

    def _phase(self) -> int:
        return (self.vehicle.id * 611 + self.seed * 97) % KEEP_ALIVE_PERIOD

    def _jitter(self, slot: int) -> int:
        # A small integer hash, not the day's Random: slots near midnight must
        # come out the same whichever day asks for them.
        x = (slot * 0x9E3779B1 + self.vehicle.id * 0x85EBCA77 + self.seed) & 0xFFFFFFFF
        x ^= x >> 15
        x = (x * 0x2C1B3C6D) & 0xFFFFFFFF
        x ^= x >> 12
        return x % 900

    def _emit(self, label: str, *, kph: int, kind: int = GPS_EVENT) -> None:
        rng = self.rng
        if self.events and self.t <= self.events[-1].epoch:
            self.t = self.events[-1].epoch + 1
        valid = kind == GPS_EVENT or rng.random() > 0.03
        if kind == GPS_EVENT:
            sv, hdop = rng.randint(8, 14), round(rng.uniform(0.6, 1.4), 2)
            lat, lon = self.lat, self.lon
        elif valid:
            sv, hdop = rng.randint(5, 11), round(rng.uniform(0.8, 2.2), 2)
            # A parked receiver drifts by a few meters.
            lat = self.lat + rng.uniform(-3e-5, 3e-5)
            lon = self.lon + rng.uniform(-3e-5, 3e-5)
        else:
            sv, hdop = rng.randint(0, 3), 9.9
            lat, lon = self.lat, self.lon

        self.events.append(
            Event(
                epoch=self.t,
                system_epoch=self.t + rng.uniform(0.8, 6.0),
                type=kind,
                label=label,
                lat=round(lat, 6),
                lon=round(lon, 6),
                head=self.head,
                kph=kph,
                ign=self.ign,
                valid=valid,
                sv=sv,
                hdop=hdop,
                odometer=round(self.odometer, 1),
            )
        )


class FleetTracks:
    """The events of every vehicle for any day, with a bounded cache."""

    def __init__(self, seed: int, stopped_on: date, cache_days: int = 800):
        self.seed = seed
        self.stopped_on = stopped_on
        self.tz = ZoneInfo(FLEET_TZ)
        self._cache: OrderedDict[tuple[int, date], tuple[Event, ...]] = OrderedDict()
        self._cache_days = cache_days
        self._lock = threading.Lock()

    def local_day(self, epoch: float) -> date:
        """The fleet's calendar day that contains an instant."""
        return datetime.fromtimestamp(epoch, self.tz).date()

    def day(self, vehicle: Vehicle, day: date) -> tuple[Event, ...]:
        """One vehicle's events for one local day, oldest first."""
        key = (vehicle.id, day)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached

        events = self._generate(vehicle, day)
        with self._lock:
            self._cache[key] = events
            while len(self._cache) > self._cache_days:
                self._cache.popitem(last=False)
        return events

    def _generate(self, vehicle: Vehicle, day: date) -> tuple[Event, ...]:
        if vehicle.id in NEVER_REPORTING:
            return ()
        if vehicle.id == STOPPED_REPORTING and day > self.stopped_on:
            return ()

        events = _Day(vehicle, day, self.seed, self.tz).build()
        if vehicle.id == STOPPED_REPORTING and day == self.stopped_on:
            # The device went silent at noon that day.
            noon = int(datetime.combine(day, time(12, 0), self.tz).timestamp())
            events = [e for e in events if e.epoch < noon]
        return tuple(events)
