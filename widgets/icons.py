"""The app's own icons, and the reports' downloaded ones, as QIcons.

The app's icons are SVG files in resources/icons, read through app.paths;
QIcon renders them sharp at every size, and each is loaded once. A report
whose own icon cannot be had shows its category's icon.

A report's own icon is a picture from a server a manifest names. Decoding
costs memory in proportion to its pixels, not to its file (a 250 KB PNG can
hold 8000x8000 pixels, 244 MB decoded), so its size is read from its header
first: a picture larger than MAX_ICON_PIXELS either way, or of a size that
cannot be told, is not used, and the rest are decoded straight to the size
they are shown at. An SVG is drawn at that size only, whatever it declares.
"""

import functools
import logging

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QIcon, QImageReader, QPixmap

from app.paths import resource

log = logging.getLogger(__name__)

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
# The largest a report icon is drawn (the report page's 36 px, twice over
# for a high-density screen); a downloaded picture is decoded to this size.
REPORT_ICON_PIXELS = 72
# A larger picture is refused before it is decoded.
MAX_ICON_PIXELS = 1024
# Read by their header alone; others (tiff, compressed svgz, ...) are refused.
ICON_FORMATS = frozenset({"png", "jpeg", "jpg", "gif", "bmp", "ico", "webp", "svg"})
VECTOR_FORMATS = frozenset({"svg"})


@functools.cache
def icon(name: str) -> QIcon:
    """The icon resources/icons/<name>.svg (an empty icon if it is missing)."""
    return QIcon(str(resource("icons", f"{name}.svg")))


def category_icon(category: str) -> QIcon:
    """The icon of a catalog category; the plain report icon for others."""
    return icon(category if category in CATEGORY_ICONS else FALLBACK_REPORT_ICON)


def icon_from_bytes(data: bytes) -> QIcon | None:
    """A report icon from downloaded bytes, decoded at its shown size.

    None when the bytes are not a picture of an accepted format, when its
    size cannot be read, or when a raster picture is too large to decode.
    """
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    # What the bytes are, not what a server or a file name claims.
    reader.setDecideFormatFromContent(True)

    kind = bytes(reader.format().data()).decode("ascii", "replace").lower()
    size = reader.size()
    if kind not in ICON_FORMATS or not size.isValid() or size.isEmpty():
        log.debug("icon not used: format %r, size %s", kind or "unknown", size)
        return None
    largest = max(size.width(), size.height())
    if kind not in VECTOR_FORMATS and largest > MAX_ICON_PIXELS:
        log.debug("icon not used: %dx%d pixels", size.width(), size.height())
        return None

    reader.setScaledSize(_shown_size(size))
    image = reader.read()
    if image.isNull():
        log.debug("icon not used: %s", reader.errorString())
        return None
    return QIcon(QPixmap.fromImage(image))


def _shown_size(size: QSize) -> QSize:
    """size fitted into the largest shown icon, keeping its proportions."""
    fitted = size.scaled(
        REPORT_ICON_PIXELS, REPORT_ICON_PIXELS, Qt.AspectRatioMode.KeepAspectRatio
    )
    return QSize(max(fitted.width(), 1), max(fitted.height(), 1))
