"""The app's own icons, read from resources/icons through app.paths.

Icons are SVG files; QIcon renders them sharp at every size. Each is loaded
once. A report whose own icon cannot be had shows its category's icon.
"""

import functools

from PySide6.QtGui import QIcon, QPixmap

from app.paths import resource

APP_ICON = "app"
FALLBACK_REPORT_ICON = "report"
WARNING_ICON = "warning"
CALENDAR_ICON = "calendar"
CATEGORY_ICONS = {
    "live_reports",
    "trip_analysis",
    "vehicle_metrics",
    "device_behavior",
    "fleet_status",
    "accessories",
}


@functools.cache
def icon(name: str) -> QIcon:
    """The icon resources/icons/<name>.svg (an empty icon if it is missing)."""
    return QIcon(str(resource("icons", f"{name}.svg")))


def category_icon(category: str) -> QIcon:
    """The icon of a catalog category; the plain report icon for others."""
    return icon(category if category in CATEGORY_ICONS else FALLBACK_REPORT_ICON)


def icon_from_bytes(data: bytes) -> QIcon | None:
    """An icon from downloaded PNG or SVG bytes, or None if unreadable."""
    pixmap = QPixmap()
    if not pixmap.loadFromData(data) or pixmap.isNull():
        return None
    return QIcon(pixmap)
