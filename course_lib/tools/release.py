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
even when its skeleton would read the same, and a hash of each file it wrote, so a later release
recognises a skeleton a student has filled in and refuses to overwrite it (:class:`ReleaseConflict`)
unless told to.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ReleaseError",
    "ReleaseConflict",
    "SyncProblem",
    "render_skeleton",
    "release",
    "check",
    "student_changes",
    "MANIFEST_NAME",
]

MANIFEST_NAME = ".release-manifest.json"
_BEGIN = re.compile(r"^(?P<indent>[ \t]*)# BEGIN SOLUTION(?::\s*(?P<hint>.*\S))?\s*$")
_END = re.compile(r"^[ \t]*# END SOLUTION\s*$")
_DEF = re.compile(r"^(?P<indent>[ \t]*)(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")
_SKIP_DIRS = {"__pycache__", ".ipynb_checkpoints", ".pytest_cache"}


class ReleaseError(ValueError):
    """A solution file whose markers are malformed (unbalanced, nested, or empty)."""


class ReleaseConflict(ReleaseError):
    """Files of ``assignments/`` changed since the last release (a student's work): ``paths`` lists them."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        listed = "".join(f"\n  {path}" for path in paths)
        super().__init__(
            f"{len(paths)} file(s) in assignments/ changed since the last `course release` (your work?); "
            f"releasing would overwrite or remove them:{listed}\n"
            "copy or commit them first, or pass --overwrite to replace them with the new skeleton"
        )


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
                raise ReleaseError(
                    f"{label}:{index + 1}: nested '# BEGIN SOLUTION' (region opened on line {start + 1})"
                )
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


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(target: Path) -> dict[str, dict[str, str]]:
    path = target / MANIFEST_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (ValueError, OSError):
        data = {}
    return data if isinstance(data, dict) else {}


def _changed_since_release(rel: Path, current: bytes, recorded: dict, solution_digest: str | None) -> bool:
    """Whether ``assignments/.../rel`` (holding ``current``) is not what the last release wrote."""
    written = recorded.get("skeleton_sha256")
    if isinstance(written, dict):
        return written.get(rel.as_posix()) != _sha(current)
    # A manifest from before skeleton hashes: the last release wrote today's skeleton exactly when the
    # solution is unchanged since then; otherwise there is no telling, and the file is the maintainer's.
    return solution_digest is not None and recorded.get("solution_sha256", {}).get(rel.as_posix()) == solution_digest


def release(repo: Path, only: list[str] | None = None, *, overwrite: bool = False) -> list[Path]:
    """Write ``assignments/`` from ``solutions/``; returns the files written or removed.

    Raises :class:`ReleaseConflict` (writing nothing) when a file to overwrite or remove changed
    since the last release, unless ``overwrite``.
    """
    plan: list[tuple[Path, bytes | None]] = []
    conflicts: list[Path] = []
    manifests: list[tuple[Path, str]] = []
    for assignment in _assignments(repo / "solutions", only):
        files, manifest = _expected(repo / "solutions", assignment)
        target = repo / "assignments" / assignment
        recorded = _read_manifest(target)
        for rel in _files(target) if target.exists() else []:
            if rel not in files:
                plan.append((target / rel, None))
                if (
                    _changed_since_release(rel, (target / rel).read_bytes(), recorded, None)
                    or "skeleton_sha256" in recorded
                ):
                    conflicts.append(target / rel)
        for rel, data in files.items():
            path = target / rel
            current = path.read_bytes() if path.exists() else None
            if current != data:
                plan.append((path, data))
                if current is not None and _changed_since_release(rel, current, recorded, manifest.get(rel.as_posix())):
                    conflicts.append(path)
        record = {
            "solution_sha256": manifest,
            "skeleton_sha256": {rel.as_posix(): _sha(data) for rel, data in files.items()},
        }
        manifests.append((target / MANIFEST_NAME, json.dumps(record, indent=2, sort_keys=True) + "\n"))
    if conflicts and not overwrite:
        raise ReleaseConflict(sorted(conflicts))
    changed: list[Path] = []
    for path, data in plan:
        if data is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        changed.append(path)
    for manifest_path, text in manifests:
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
        recorded_manifest = _read_manifest(target)
        recorded = recorded_manifest.get("solution_sha256", {})
        for rel, digest in sorted(manifest.items()):
            if recorded.get(rel) != digest:
                problems.append(
                    SyncProblem(repo / "solutions" / assignment / rel, "changed since the last `course release`")
                )
        # The skeleton hashes tell a student's work from a fresh release (``student_changes``); stale
        # ones (e.g. two branches' releases merged) would make the maintainer checks skip themselves.
        written = {rel.as_posix(): _sha(data) for rel, data in files.items()}
        if present and recorded_manifest.get("skeleton_sha256") != written:
            problems.append(
                SyncProblem(manifest_path, "records other skeleton hashes than a release writes (run `course release`)")
            )
    return problems


def student_changes(repo: Path) -> list[Path]:
    """Files of ``assignments/`` that changed since the last release: a student's work (empty on a
    maintainer's checkout). Needs the release manifest's skeleton hashes; without them, nothing."""
    changed: list[Path] = []
    root = repo / "assignments"
    for target in (
        sorted(p for p in root.iterdir() if p.is_dir() and re.match(r"a\d+_", p.name)) if root.is_dir() else []
    ):
        written = _read_manifest(target).get("skeleton_sha256")
        if not isinstance(written, dict):
            continue
        present = {rel.as_posix(): rel for rel in _files(target)}
        for name in sorted(written.keys() | present.keys()):
            path = target / name
            if name not in present or name not in written or written[name] != _sha(path.read_bytes()):
                changed.append(path)
    return changed
