"""The syllabus table: one source (course_lib.tools.syllabus), rendered into the README."""

from __future__ import annotations

from pathlib import Path

from course_lib.tools.paths import repo_root
from course_lib.tools.syllabus import LECTURES, markdown_table

REPO = repo_root()


def test_readme_syllabus_is_the_rendered_table() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert markdown_table(REPO) in readme, (
        "README.md's syllabus table is stale; paste the output of\n"
        "python -c 'from course_lib.tools.syllabus import markdown_table; from pathlib import Path; print(markdown_table(Path()))'"
    )


def test_missing_pieces_are_marked_coming(tmp_path: Path) -> None:
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "00_welcome.ipynb").write_text("{}")
    table = markdown_table(tmp_path).splitlines()
    assert "[00_welcome](notebooks/00_welcome.ipynb)" in table[2]
    assert "a0 warm-up *(coming)*" in table[2]
    assert all("*(coming)*" in row for row in table[3:])


def test_every_existing_notebook_is_in_the_syllabus() -> None:
    listed = {lecture.notebook for lecture in LECTURES}
    for path in (REPO / "notebooks").glob("*.ipynb"):
        assert f"notebooks/{path.name}" in listed, f"{path.name} is not in course_lib.tools.syllabus.LECTURES"
