"""Exports over Rocket.Chat's upload limit are zipped or split and say so; a failed upload says why and leaves
nothing posted. The limit is the sandbox's FileUpload_MaxFileSize, which rooms.media enforces."""

from __future__ import annotations

from typing import Any

import pytest

from bot.exports.delivery import ExportTooLarge, package, size_text
from bot.exports.table import Column, Table
from bot.sandbox.store import MessageChanged
from tests.exports.harness import Exporter, demo_workspace, exporting, read_table

pytestmark = pytest.mark.anyio

COMMAND = "!export conversations last month dept=Sales"


async def all_rows(exporter: Exporter, command: str = COMMAND) -> list[list[Any]]:
    """Header + rows of an unlimited export of the same command, to compare split parts with."""
    exporter.sb.store.settings["FileUpload_MaxFileSize"] = -1
    before = len(exporter.files())
    await exporter.say(command)
    return read_table(*exporter.files()[before])


async def test_a_csv_over_the_limit_is_zipped_and_says_so() -> None:
    async with exporting() as exporter:
        expected = await all_rows(exporter)
        exporter.sb.store.settings["FileUpload_MaxFileSize"] = 30_000
        text = await exporter.say(COMMAND)
        (name, data), *_ = exporter.files()[1:]
    assert name == "conversations-2026-10-01-2026-10-31-sales.csv.zip" and len(data) <= 30_000
    assert f"zipped to {size_text(len(data))} to fit Rocket.Chat's upload limit of 29 KB" in text
    assert read_table(name, data) == expected


@pytest.mark.parametrize(("fmt", "limit"), [("csv", 5_000), ("xlsx", 12_000)])
async def test_what_is_still_too_big_is_split_into_parts_that_each_fit(fmt: str, limit: int) -> None:
    command = COMMAND + (" xlsx" if fmt == "xlsx" else "")
    async with exporting() as exporter:
        expected = await all_rows(exporter, command)
        exporter.sb.store.settings["FileUpload_MaxFileSize"] = limit
        text = await exporter.say(command)
        parts = exporter.files()[1:]
        captions = [m["attachments"][0]["description"] for m in exporter.file_messages()[1:]]
        left = exporter.stray_lines(text)
    assert len(parts) > 1 and all(len(data) <= limit for _, data in parts)
    assert [name for name, _ in parts] == [
        f"conversations-2026-10-01-2026-10-31-sales-part-{i}-of-{len(parts)}.{fmt}" + (".zip" if fmt == "csv" else "")
        for i in range(1, len(parts) + 1)
    ]
    tables = [read_table(name, data) for name, data in parts]
    assert all(t[0] == expected[0] for t in tables)  # every part has the header
    assert [row for t in tables for row in t[1:]] == expected[1:]  # together: every row once, in order
    assert f"split into {len(parts)} files" in text and f"upload limit of {size_text(limit)}" in text
    assert captions[0].endswith(f"(part 1 of {len(parts)})")
    assert left == []


async def test_an_export_that_cannot_fit_says_how_to_narrow_it_and_posts_nothing() -> None:
    async with exporting(demo_workspace(FileUpload_MaxFileSize=400)) as exporter:
        text = await exporter.say(COMMAND)
        files, left = exporter.files(), exporter.stray_lines(text)
    assert text.startswith("This export is ")
    assert "it does not fit in 10 files under Rocket.Chat's upload limit of 400 B. Ask for a shorter range" in text
    assert "Usage: `!export" in text
    assert files == [] and left == []


async def test_a_failed_upload_says_why_and_posts_nothing() -> None:
    async with exporting() as exporter:
        exporter.sb.fault("rooms.media/", status=500)
        text = await exporter.say(COMMAND)
        files, left = exporter.files(), exporter.stray_lines(text)
    assert text == "The export could not be posted: Rocket.Chat failed while storing the file. Nothing was posted."
    assert files == [] and left == []


async def test_when_a_later_part_fails_the_parts_already_posted_are_removed() -> None:
    async with exporting(demo_workspace(FileUpload_MaxFileSize=5_000)) as exporter:

        def fail_after_first_file(event: object) -> None:
            if isinstance(event, MessageChanged) and event.inserted and event.message.get("file"):
                exporter.sb.fault("rooms.media/", status=500)

        exporter.sb.store.listen(fail_after_first_file)
        text = await exporter.say(COMMAND)
        files, left = exporter.files(), exporter.stray_lines(text)
    assert text.startswith("The export could not be posted: Rocket.Chat failed while storing file 2 of ")
    assert text.endswith("Nothing was posted.")
    assert files == [] and left == []


async def test_a_server_that_does_not_publish_its_limit_is_taken_at_the_configured_one() -> None:
    async with exporting(fallback_limit=30_000) as exporter:
        exporter.sb.fault("settings.public", status=404)
        text = await exporter.say(COMMAND)
        (name, data), *_ = exporter.files()
    assert name.endswith(".csv.zip") and len(data) <= 30_000
    assert "upload limit of 29 KB" in text


async def test_a_refusal_under_an_assumed_limit_names_the_setting_to_fix() -> None:
    async with exporting(demo_workspace(FileUpload_MaxFileSize=10_000), fallback_limit=0) as exporter:
        exporter.sb.fault("settings.public", status=404)
        text = await exporter.say(COMMAND)
        files = exporter.files()
    assert text.startswith("The export could not be posted: Rocket.Chat refused the file (")
    assert (
        "it does not publish its upload limit and I assumed none: an admin can set `[exports] max_file_bytes`" in text
    )
    assert text.endswith("Nothing was posted.") and files == []


def test_package_keeps_a_file_that_fits_as_it_is() -> None:
    table = Table("T", (Column("a", "text"), Column("n", "number")), [("x", 1)] * 10)
    whole = package(table, "csv", "t", "UTC", None)
    assert [f.name for f in whole.files] == ["t.csv"] and not whole.compressed
    exact = package(table, "csv", "t", "UTC", whole.size)
    assert exact.files == whole.files  # exactly the limit fits, as Rocket.Chat lets it through
    with pytest.raises(ExportTooLarge):
        package(Table("T", (Column("a", "text"),), [("x" * 500,)]), "csv", "t", "UTC", 100)
