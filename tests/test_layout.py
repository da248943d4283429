"""The package's layout shows the course: the root lists the lectures, the tooling sits apart, and
the module-level imports of ``course_lib`` form no cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import course_lib
from course_lib.tools.syllabus import LECTURES

ROOT = Path(course_lib.__file__).parent


def _modules() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _module_level_imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The ``course_lib`` modules ``name`` imports when it is imported (not inside functions, not
    under ``if TYPE_CHECKING``): ``from a.b import c`` counts as ``a.b.c`` when that is a module."""
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                    base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
                found.update(f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names)
            elif isinstance(node, (ast.If, ast.Try, ast.With)):
                for block in (node.body, getattr(node, "orelse", []), getattr(node, "finalbody", [])):
                    visit(block)
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return (found & known) - {name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _module_level_imports(name, path, set(modules)) for name, path in modules.items()}


def test_the_package_root_lists_every_lecture_module():
    doc = course_lib.__doc__ or ""
    for lecture in LECTURES:
        assert f"``{lecture.module}``" in doc, (
            f"course_lib's docstring does not list lecture {lecture.label}'s {lecture.module}"
        )
        assert (ROOT / lecture.module).is_dir() or (ROOT / f"{lecture.module}.py").is_file()
    assert "course_lib.tools" in doc


def test_module_level_imports_form_no_cycle():
    graph = _graph()
    assert len(graph) > 50 and any(graph.values())  # the walk found the package and its imports
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def cycle_from(module: str, path: list[str]) -> list[str] | None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target] if target in path else [module, target]
            if target not in state and (found := cycle_from(target, [*path, target])):
                return found
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            assert (cycle := cycle_from(module, [module])) is None, " -> ".join(cycle)


def test_the_lectures_need_only_the_paths_of_the_tooling():
    for module, imports in _graph().items():
        if not module.startswith("course_lib.tools"):
            tools = {m for m in imports if m.startswith("course_lib.tools")}
            assert tools <= {"course_lib.tools", "course_lib.tools.paths"}, f"{module} imports {sorted(tools)}"
