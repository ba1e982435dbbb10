"""The quick start: `make demo` installs what the demo needs and no more; packaging raises no warnings."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_make_demo_installs_the_demo_extras_not_the_dev_tools(tmp_path: Path) -> None:
    planned = subprocess.run(
        ["make", "-n", "-B", "demo", f"VENV={tmp_path / 'venv'}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "'.[sandbox,charts]'" in planned
    assert "[dev]" not in planned


def test_the_license_is_an_spdx_expression_so_setuptools_prints_no_deprecation_block() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert all((ROOT / name).is_file() for name in project["license-files"])
