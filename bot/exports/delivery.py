"""Fitting an export under the server's upload limit, and reading that limit.

Rocket.Chat refuses a file over `FileUpload_MaxFileSize` bytes (default 104857600): `rooms.media` passes the
setting to busboy as `fileSize`, and a truncated file ends in `MeteorError('error-file-too-large')`
(`apps/meteor/app/api/server/v1/rooms.ts`, `apps/meteor/app/api/server/lib/getUploadFormData.ts`). A value of
0 or -1 means no limit there (`sizeLimit && sizeLimit > -1`). The setting is public (`public: true` in
`apps/meteor/server/settings/file-upload.ts`), so any client reads it from `GET settings.public`, which needs
no login and since 7.0 filters by `_id` (`apps/meteor/app/api/server/v1/settings.ts`, changelog "7.0.0 Added
the `_id` query parameter"). A server that does not say (older than 7.0 and paging past it, or an error) is
taken at the configured fallback limit.

Over the limit: a CSV is zipped first (CSV compresses tenfold); what is still too big, and any Excel file
(already a zip inside), is split by rows into parts that each fit, every part with the header row, at most
MAX_PARTS of them. Past that, ExportTooLarge tells the asker to narrow the export.
"""

from __future__ import annotations

import io
import logging
import math
import zipfile
from dataclasses import dataclass
from typing import Any, Protocol

from bot.errors import BadArgument, TransportError
from bot.exports.table import Table
from bot.exports.writers import MIME, Format, render

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_PARTS",
    "ExportFile",
    "ExportTooLarge",
    "Package",
    "UploadLimit",
    "package",
    "read_upload_limit",
    "size_text",
]

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 104_857_600  # FileUpload_MaxFileSize's default
MAX_PARTS = 10  # more files than this in one answer is a flood, not an export


class ExportTooLarge(BadArgument):
    """The export does not fit in MAX_PARTS files under the limit: the asker narrows it."""


@dataclass(frozen=True)
class UploadLimit:
    bytes: int | None  # None: no limit
    from_server: bool  # read from FileUpload_MaxFileSize, or the configured fallback


@dataclass(frozen=True)
class ExportFile:
    name: str
    data: bytes
    mime: str


@dataclass(frozen=True)
class Package:
    files: tuple[ExportFile, ...]
    size: int  # bytes of the export as one uncompressed file
    compressed: bool  # zipped to fit
    rows: int

    @property
    def split(self) -> bool:
        return len(self.files) > 1


class SettingsClient(Protocol):
    async def get_object(self, route: str, params: dict[str, Any] | None = None) -> dict[str, Any]: ...


async def read_upload_limit(client: SettingsClient, fallback: int) -> UploadLimit:
    """`FileUpload_MaxFileSize` from `settings.public`, else `fallback` (a non-positive fallback: no limit)."""
    try:
        body = await client.get_object("settings.public", {"_id": "FileUpload_MaxFileSize"})
    except TransportError as exc:
        log.info("cannot read FileUpload_MaxFileSize (%s); using the configured %s bytes", exc, fallback)
        return UploadLimit(fallback if fallback > 0 else None, False)
    items = body.get("settings")
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict) and item.get("_id") == "FileUpload_MaxFileSize":
            value = item.get("value")
            if isinstance(value, int) and not isinstance(value, bool):
                return UploadLimit(value if value > 0 else None, True)
    log.info("settings.public did not name FileUpload_MaxFileSize; using the configured %s bytes", fallback)
    return UploadLimit(fallback if fallback > 0 else None, False)


def size_text(size: int) -> str:
    """Bytes as people read them: 812 B, 18 KB, 4.2 MB (1 MB = 1024 KB, as Rocket.Chat's upload dialog)."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


def _zip(inner_name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(inner_name, data)
    return buffer.getvalue()


def package(table: Table, fmt: Format, stem: str, tz: str, limit: int | None, *, max_parts: int = MAX_PARTS) -> Package:
    """The export as files that each fit `limit` bytes (None: one file, whatever its size). Blocking: call it on
    a worker thread for big tables."""
    data = render(table, fmt, tz)
    whole = f"{stem}.{fmt}"
    rows = len(table.rows)
    if limit is None or len(data) <= limit:
        return Package((ExportFile(whole, data, MIME[fmt]),), len(data), False, rows)
    compress = fmt == "csv"
    if compress:
        zipped = _zip(whole, data)
        if len(zipped) <= limit:
            return Package((ExportFile(f"{whole}.zip", zipped, MIME["zip"]),), len(data), True, rows)
        estimate = len(zipped)
    else:
        estimate = len(data)
    parts = max(2, math.ceil(estimate / limit))
    while parts <= min(max_parts, max(rows, 1)):
        files = _split(table, fmt, stem, tz, parts, compress)
        if all(len(f.data) <= limit for f in files):
            return Package(tuple(files), len(data), compress, rows)
        parts += 1
    raise ExportTooLarge(
        f"This export is {size_text(len(data))}{' (zipped: ' + size_text(estimate) + ')' if compress else ''}: "
        f"it does not fit in {max_parts} files under Rocket.Chat's upload limit of {size_text(limit)}. "
        "Ask for a shorter range, or one department (`dept=`)."
    )


def _split(table: Table, fmt: Format, stem: str, tz: str, parts: int, compress: bool) -> list[ExportFile]:
    size = math.ceil(len(table.rows) / parts)
    count = math.ceil(len(table.rows) / size) if table.rows else 1
    files = []
    for index in range(count):
        name = f"{stem}-part-{index + 1}-of-{count}.{fmt}"
        data = render(table.slice(index * size, (index + 1) * size), fmt, tz)
        if compress:
            files.append(ExportFile(f"{name}.zip", _zip(name, data), MIME["zip"]))
        else:
            files.append(ExportFile(name, data, MIME[fmt]))
    return files
