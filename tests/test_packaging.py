"""pyproject.toml and environment.yml must list the same dependencies."""

from __future__ import annotations

import re
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from course_lib.tools.paths import repo_root

REPO = repo_root()


def _normalise(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_yml_mirrors_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + project["optional-dependencies"]["dev"]
    lines = (REPO / "environment.yml").read_text().splitlines()
    start = lines.index("  - pip:") + 1
    pip_section = [line.strip()[2:] for line in lines[start:] if line.startswith("      - ")]
    assert pip_section[-1] == "-e .", "environment.yml must install the course itself last (-e .)"
    assert sorted(map(_normalise, pip_section[:-1])) == sorted(map(_normalise, declared))


def test_triton_is_optional_where_it_has_no_wheels() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    (triton,) = [d for d in project["dependencies"] if d.startswith("triton")]
    assert "platform_system == 'Linux'" in triton


def test_console_script_points_at_the_cli() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"course": "course_lib.tools.cli:main"}
