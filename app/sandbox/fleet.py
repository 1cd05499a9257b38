"""The demo fleet of the sandbox: vehicles, groups, users, drivers, places.

Everything here is fixed data, the same on every run, so that tests and
demos can name vehicles and groups by id. The fleet is based in Charlotte,
North Carolina (time zone America/New_York, which has daylight saving time):
four groups of five vehicles, each group working out of its own depot.
The movements of the vehicles are generated in tracks.py.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

FLEET_TZ = "America/New_York"
HOME_CITY = "Charlotte"
DEMO_USER_ID = 1
CREATED_EPOCH = 1704067200.0  # 2024-01-01, when the demo records were "made"
RECORD_VERSION = "7.2.1-sandbox"

# Vehicles that never report: their tracking devices were never connected.
NEVER_REPORTING = frozenset({19, 20})
# A vehicle whose device went silent a few days before the database was made.
STOPPED_REPORTING = 8
STOPPED_DAYS_AGO = 4


@dataclass(frozen=True)
class Depot:
    """A yard where a group's vehicles start and end their days."""

    geofence_id: int
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Vehicle:
    """One vehicle and what its movements depend on."""

    id: int
    name: str
    group_id: int
    kind: str  # van, truck or pickup: sets trip lengths, speeds and stops
    imei: int
    plate: str
    make: str
    model: str
    year: int
    color: str
    depot: Depot
    in_service: date  # before this day it sits parked at its depot
    base_km: int  # odometer on the day it entered service


DEPOTS = {
    1: Depot(301, "North Depot", 35.33861, -80.79592),
    2: Depot(302, "South Depot", 35.09551, -80.85603),
    3: Depot(303, "Airport Freight Yard", 35.21402, -80.94311),
    4: Depot(304, "East Service Yard", 35.20133, -80.71404),
}

_GROUPS = [
    # id, name, vehicle prefix, kind, makes and models
    (1, "North Depot", "North Van", "van", "Ford Transit 250"),
    (2, "South Depot", "South Van", "van", "Mercedes-Benz Sprinter 2500"),
    (3, "Airport Freight", "Freight Truck", "truck", "Isuzu NPR-HD"),
    (4, "Field Service", "Service Pickup", "pickup", "Ford F-150"),
]
_SECOND_MODELS = {
    "van": "Ram ProMaster 2500",
    "truck": "Freightliner M2 106",
    "pickup": "Chevrolet Silverado 1500",
}
_PLATES = [
    "HKT-4821",
    "JPL-7730",
    "DRN-1194",
    "KVX-5526",
    "MTB-3087",
    "PLW-6641",
    "RZC-2915",
    "TGH-8403",
    "BWN-5172",
    "CXF-9360",
    "FHL-2048",
    "GKM-7715",
    "LNP-3391",
    "NQR-6624",
    "SVD-1857",
    "WBT-4470",
    "YCH-8236",
    "ZKJ-5019",
    "AEM-6782",
    "BRS-3145",
]
_COLORS = ["White", "White", "Silver", "Blue", "Red"]


def _build_vehicles() -> list[Vehicle]:
    vehicles = []
    for group_id, _, prefix, kind, first_model in _GROUPS:
        for n in range(5):
            vid = (group_id - 1) * 5 + n + 1
            make_model = first_model if n < 3 else _SECOND_MODELS[kind]
            make, model = make_model.split(" ", 1)
            vehicles.append(
                Vehicle(
                    id=vid,
                    name=f"{prefix} {n + 1:02d}",
                    group_id=group_id,
                    kind=kind,
                    imei=862_831_040_000_000 + vid * 1_237,
                    plate=_PLATES[vid - 1],
                    make=make,
                    model=model,
                    year=2019 + (vid * 7) % 6,
                    color=_COLORS[vid % len(_COLORS)],
                    depot=DEPOTS[group_id],
                    in_service=date(2024, 1, 8) + timedelta(days=37 * (vid - 1)),
                    base_km=3_000 + (vid * 7_919) % 60_000,
                )
            )
    return vehicles


VEHICLES: dict[int, Vehicle] = {v.id: v for v in _build_vehicles()}


def group_vehicle_ids(group_id: int) -> list[int]:
    """The ids of the vehicles in a group (none for an unknown group)."""
    return [v.id for v in VEHICLES.values() if v.group_id == group_id]


def vehicle_record(vehicle: Vehicle) -> dict[str, Any]:
    """A vehicle as GET /api/vehicles shows it."""
    return {
        "id": vehicle.id,
        "name": vehicle.name,
        "type": "vehicle",
        "groups": [vehicle.group_id],
        "primary": vehicle.group_id,
        "device": vehicle.imei,
        "configuration": "0000",
        "token": None,
        "associated_at": CREATED_EPOCH,
        "info": {
            "license_plate": vehicle.plate,
            "make": vehicle.make,
            "model": vehicle.model,
            "year": str(vehicle.year),
            "color": vehicle.color,
            "vin": None,
            "alias": f"v{vehicle.id}",
            "description": f"{vehicle.kind} based at {vehicle.depot.name}",
            "tank_volume": None,
            "tank_unit": "gallon",
            "range": None,
            "range_unit": "mile",
        },
        "properties": {"in_service": vehicle.in_service.isoformat()},
        "images": {"photo": False, "icon": False},
        "__created": CREATED_EPOCH,
        "__updated": CREATED_EPOCH,
        "__version": RECORD_VERSION,
    }


def group_record(group_id: int) -> dict[str, Any]:
    """A group as GET /api/groups shows it."""
    return {
        "id": group_id,
        "name": GROUP_NAMES[group_id],
        "company_name": "Queen City Logistics",
        "contact_name": "Olivia Ortiz",
        "contact_email": "ops@example.com",
        "address_1": DEPOTS[group_id].name,
        "address_2": None,
        "city": HOME_CITY,
        "country": "US",
        "logo": False,
        "users": [u["id"] for u in USERS if group_id in u["groups"]],
        "vehicles": group_vehicle_ids(group_id),
        "assets": [a["id"] for a in ASSETS if group_id in a["groups"]],
        "__created": CREATED_EPOCH,
        "__updated": CREATED_EPOCH,
        "__version": RECORD_VERSION,
    }


GROUP_NAMES = {group_id: name for group_id, name, *_ in _GROUPS}
ALL_GROUP_IDS = sorted(GROUP_NAMES)

USERS: list[dict[str, Any]] = [
    {
        "id": DEMO_USER_ID,
        "username": "demo",
        "email": "demo@example.com",
        "first_name": "Demo",
        "last_name": "User",
        "is_staff": True,
        "is_active": True,
        "access": "full",
        "groups": ALL_GROUP_IDS,
    },
    {
        "id": 2,
        "username": "ops",
        "email": "ops@example.com",
        "first_name": "Olivia",
        "last_name": "Ortiz",
        "is_staff": False,
        "is_active": True,
        "access": "basic",
        "groups": ALL_GROUP_IDS,
    },
    {
        "id": 3,
        "username": "north.dispatch",
        "email": "north.dispatch@example.com",
        "first_name": "Marcus",
        "last_name": "Hale",
        "is_staff": False,
        "is_active": True,
        "access": "basic",
        "groups": [1],
    },
    {
        "id": 4,
        "username": "service.lead",
        "email": "service.lead@example.com",
        "first_name": "Priya",
        "last_name": "Natarajan",
        "is_staff": False,
        "is_active": True,
        "access": "basic",
        "groups": [4],
    },
]


def _driver(asset_id: int, name: str, group_id: int) -> dict[str, Any]:
    return {
        "id": asset_id,
        "name": name,
        "type": "driver",
        "groups": [group_id],
        "device": None,
        "ibutton": f"01A3F2{asset_id:04X}",
        "__version": RECORD_VERSION,
    }


ASSETS: list[dict[str, Any]] = [
    _driver(201, "Maria Lopez", 1),
    _driver(202, "James Carter", 1),
    _driver(203, "Aisha Brown", 2),
    _driver(204, "Tom Becker", 3),
    _driver(205, "Luis Romero", 3),
    _driver(206, "Grace Kim", 4),
]


def geofence_records() -> list[dict[str, Any]]:
    """The depots as circular geofences, in the GeoJSON shape of the API."""
    records = []
    for group_id, depot in DEPOTS.items():
        records.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Circle",
                    "coordinates": [depot.lon, depot.lat],
                    "radius": 150,
                },
                "properties": {
                    "id": depot.geofence_id,
                    "name": depot.name,
                    "visibility": "all",
                    "groups": [group_id],
                    "types": [],
                    "custom": {},
                    "description": f"Yard of the {GROUP_NAMES[group_id]} group",
                    "owner": DEMO_USER_ID,
                },
            }
        )
    return records


TRIGGERS: list[dict[str, Any]] = [
    {
        "id": 401,
        "name": "Speeding over 65 mph",
        "description": "Mail the dispatcher when a vehicle goes over 65 mph",
        "type": "event",
        "category": "vehicle",
        "timezone": FLEET_TZ,
        "rules": [{"id": "fast", "key": "mph", "operator": ">=", "value": 65}],
        "postfix": ["fast"],
        "vehicles": [],
        "groups": ALL_GROUP_IDS,
        "options": {},
        "processes": [["email_event", {"destinations": ["ops@example.com"]}]],
    },
    {
        "id": 402,
        "name": "Long idling",
        "description": "Ignition on and standing still for 5 minutes or more",
        "type": "event",
        "category": "vehicle",
        "timezone": FLEET_TZ,
        "rules": [{"id": "idle", "key": "label", "operator": "==", "value": "idl"}],
        "postfix": ["idle"],
        "vehicles": [],
        "groups": [3],
        "options": {},
        "processes": [["email_event", {"destinations": ["ops@example.com"]}]],
    },
    {
        "id": 403,
        "name": "Ignition on at night",
        "description": "A vehicle started between 22:00 and 05:00",
        "type": "event",
        "category": "vehicle",
        "timezone": FLEET_TZ,
        "rules": [{"id": "ign", "key": "label", "operator": "==", "value": "ignon"}],
        "postfix": ["ign"],
        "vehicles": [1, 2],
        "groups": [],
        "options": {"hours": "22:00-05:00"},
        "processes": [
            ["email_event", {"destinations": ["north.dispatch@example.com"]}]
        ],
    },
]

USER_PREFS = {
    "distanceunits": "km",
    "fuelunits": "liter",
    "language": "en",
    "date_format": "YYYY-MM-DD",
    "tz": FLEET_TZ,
}
USER_SCOPES = {
    "vehicles": "r",
    "groups": "r",
    "users": "r",
    "assets": "r",
    "geofences": "r",
    "triggers": "r",
    "rawdata": "r",
    "tasks": "w",
    "job_manager": "w",
}


def user_record(
    user: dict[str, Any],
    username: str | None = None,
    prefs: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A user as GET /api/user and /api/users show it (prefs: the demo's)."""
    record = dict(user)
    if username is not None:
        record["username"] = username
    record["prefs"] = dict(USER_PREFS if prefs is None else prefs)
    record["scopes"] = dict(USER_SCOPES)
    return record


# Extra vehicles (--extra-vehicles) are numbered from here, clear of the
# demo fleet's ids, and named after the kinds of a large fleet's yard.
EXTRA_VEHICLE_IDS_FROM = 1001
MAX_EXTRA_VEHICLES = 100_000
_EXTRA_KINDS = ("Yard Tractor", "Reefer Trailer", "Flatbed", "Box Truck", "Tanker")


def extra_vehicle_records(count: int) -> list[dict[str, Any]]:
    """count vehicles beyond the demo fleet, for trying lists of thousands.

    They are listed like the others but have no device and no group: they
    never report, so rawdata has nothing for them. Names repeat a kind with
    a number ("Reefer Trailer 0002"), the same on every run.
    """
    records = []
    for n in range(1, count + 1):
        vid = EXTRA_VEHICLE_IDS_FROM + n - 1
        records.append(
            {
                "id": vid,
                "name": f"{_EXTRA_KINDS[n % len(_EXTRA_KINDS)]} {n:04d}",
                "type": "vehicle",
                "groups": [],
                "primary": None,
                "device": None,
                "configuration": None,
                "token": None,
                "associated_at": None,
                "info": {"license_plate": f"XTR-{n:05d}", "alias": f"x{n}"},
                "properties": {},
                "images": {"photo": False, "icon": False},
                "__created": CREATED_EPOCH,
                "__updated": CREATED_EPOCH,
                "__version": RECORD_VERSION,
            }
        )
    return records
