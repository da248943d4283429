"""Generate student skeletons (``assignments/``) from the answer key (``solutions/``).

In a solution file, each answer sits between two marker lines::

    def log_softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
        \"\"\"...\"\"\"
        # BEGIN SOLUTION: subtract the max along `dim` before exponentiating
        m = x.amax(dim=dim, keepdim=True)
        ...
        # END SOLUTION

The skeleton keeps everything outside the regions and replaces each region by a TODO (the text after
``BEGIN SOLUTION:``, if any) and ``raise NotImplementedError(...)`` naming the function to write,
indented like the marker. Every other file (handouts, data) is copied as is. A manifest records a
hash of each solution file, so a solution edited after the last release is reported as out of sync
even when its skeleton would read the same.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ReleaseError", "SyncProblem", "render_skeleton", "release", "check", "MANIFEST_NAME"]

MANIFEST_NAME = ".release-manifest.json"
_BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::\s*(?P<hint>.*\S))?\s*$")
_END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
_DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


class ReleaseError(ValueError):
    """A solution file whose markers are malformed (unbalanced, nested, or empty)."""


@dataclass(frozen=True)
class SyncProblem:
    """One file of ``assignments/`` that is not what ``course release`` would write."""

    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def _enclosing_name(lines: list[str], index: int, indent: str) -> str | None:
    """The qualified name of the def/class enclosing line ``index`` (a marker indented by ``indent``)."""
    names: list[str] = []
    depth = len(indent.expandtabs())
    for line in reversed(lines[:index]):
        match = _DEF.match(line)
        if match and len(match["indent"].expandtabs()) < depth:
            names.append(match["name"])
            depth = len(match["indent"].expandtabs())
    return ".".join(reversed(names)) or None


def render_skeleton(source: str, label: str) -> str:
    """The skeleton of one solution file. ``label`` (e.g. ``a0_warmup/warmup.py``) appears in errors
    and in the NotImplementedError messages."""
    lines = source.splitlines(keepends=True)
    out: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _END.match(line):
            raise ReleaseError(f"{label}:{index + 1}: '# END SOLUTION' without a matching BEGIN")
        begin = _BEGIN.match(line)
        if not begin:
            out.append(line)
            index += 1
            continue
        start = index
        index += 1
        while index < len(lines) and not _END.match(lines[index]):
            if _BEGIN.match(lines[index]):
                raise ReleaseError(f"{label}:{index + 1}: nested '# BEGIN SOLUTION' (region opened on line {start + 1})")
            index += 1
        if index == len(lines):
            raise ReleaseError(f"{label}:{start + 1}: '# BEGIN SOLUTION' is never closed by '# END SOLUTION'")
        if not any(body.strip() for body in lines[start + 1 : index]):
            raise ReleaseError(f"{label}:{start + 1}: empty solution region")
        indent = begin["indent"]
        name = _enclosing_name(lines, start, indent)
        what = f"`{name}`" if name else f"the code at line {start + 1}"
        hint = begin["hint"] or f"implement {what}."
        assignment = label.split("/", 1)[0]
        out.append(f"{indent}# TODO({assignment}): {hint}\n")
        out.append(f'{indent}raise NotImplementedError("{assignment}: {what} is not implemented yet ({label})")\n')
        index += 1
    return "".join(out)


def _files(root: Path) -> list[Path]:
    return sorted(
        p.relative_to(root)
        for p in root.rglob("*")
        if p.is_file() and not _SKIP_DIRS.intersection(p.relative_to(root).parts) and p.name != MANIFEST_NAME
    )


def _expected(solutions: Path, assignment: str) -> tuple[dict[Path, bytes], dict[str, str]]:
    """What ``assignments/<assignment>`` should hold, and the manifest of solution hashes."""
    source_root = solutions / assignment
    files: dict[Path, bytes] = {}
    manifest: dict[str, str] = {}
    for rel in _files(source_root):
        data = (source_root / rel).read_bytes()
        if rel.suffix == ".py":
            label = f"{assignment}/{rel.as_posix()}"
            files[rel] = render_skeleton(data.decode("utf-8"), label).encode("utf-8")
            manifest[rel.as_posix()] = hashlib.sha256(data).hexdigest()
        else:
            files[rel] = data
    return files, manifest


def _assignments(solutions: Path, only: list[str] | None) -> list[str]:
    names = sorted(p.name for p in solutions.iterdir() if p.is_dir() and re.match(r"a\d+_", p.name))
    if not only:
        return names
    chosen = []
    for wanted in only:
        matches = [n for n in names if n == wanted or n.split("_", 1)[0] == wanted]
        if not matches:
            raise ReleaseError(f"no assignment {wanted!r} in {solutions} (have: {', '.join(names)})")
        chosen.extend(matches)
    return chosen


def release(repo: Path, only: list[str] | None = None) -> list[Path]:
    """Write ``assignments/`` from ``solutions/``; returns the files written or removed."""
    changed: list[Path] = []
    for assignment in _assignments(repo / "solutions", only):
        files, manifest = _expected(repo / "solutions", assignment)
        target = repo / "assignments" / assignment
        for rel in _files(target) if target.exists() else []:
            if rel not in files:
                (target / rel).unlink()
                changed.append(target / rel)
        for rel, data in files.items():
            path = target / rel
            if not path.exists() or path.read_bytes() != data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
                changed.append(path)
        manifest_path = target / MANIFEST_NAME
        text = json.dumps({"solution_sha256": manifest}, indent=2, sort_keys=True) + "\n"
        if not manifest_path.exists() or manifest_path.read_text() != text:
            manifest_path.write_text(text)
            changed.append(manifest_path)
    return changed


def check(repo: Path, only: list[str] | None = None) -> list[SyncProblem]:
    """Every way ``assignments/`` differs from what :func:`release` would write (empty: in sync)."""
    problems: list[SyncProblem] = []
    for assignment in _assignments(repo / "solutions", only):
        files, manifest = _expected(repo / "solutions", assignment)
        target = repo / "assignments" / assignment
        present = set(_files(target)) if target.exists() else set()
        for rel in sorted(present - files.keys()):
            problems.append(SyncProblem(target / rel, "not generated from solutions/ (stale or hand-written)"))
        for rel, data in files.items():
            path = target / rel
            if rel not in present:
                problems.append(SyncProblem(path, "missing"))
            elif path.read_bytes() != data:
                problems.append(SyncProblem(path, "differs from the skeleton generated from solutions/"))
        manifest_path = target / MANIFEST_NAME
        recorded = json.loads(manifest_path.read_text())["solution_sha256"] if manifest_path.exists() else {}
        for rel, digest in sorted(manifest.items()):
            if recorded.get(rel) != digest:
                problems.append(SyncProblem(repo / "solutions" / assignment / rel, "changed since the last `course release`"))
    return problems

