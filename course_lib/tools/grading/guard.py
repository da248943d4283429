"""Comparisons in graded tests use only trusted equality.

A function can "pass" ``assert f(x) == 42`` without computing anything by returning an object whose
``__eq__`` always says True. In a graded run the plugin rewrites every comparison in the test
modules (``a == b``, ``a < b``, ``a in b``; not ``is``) and every bare ``assert value`` so that each
operand goes through :func:`checked` first. :func:`checked` passes values whose comparison methods
come from Python, PyTorch, NumPy or any other installed library, and rejects a value (or an element
of a list, tuple, set or dict) whose class, or a base class, was defined by the implementation under
test (``assignments.*``/``solutions.*``) or cannot be found where its name says it lives (a class made
on the fly); classes written in C by the interpreter or a library are trusted. The rejection is an :class:`UntrustedValue` error: the test is reported as crashed.
"""

from __future__ import annotations

import ast
import sys
from typing import Any

__all__ = ["UntrustedValue", "checked", "GuardComparisons", "IMPLEMENTATION_PACKAGES"]

IMPLEMENTATION_PACKAGES = ("assignments", "solutions")
_DUNDERS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__bool__", "__len__", "__contains__")
_CONTAINERS = (list, tuple, set, frozenset)
_BUDGET = 20_000
_GUARD_NAME = "@course_checked"


class UntrustedValue(Exception):
    """A value whose comparison methods were written by the code under test."""


_HEAP_TYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes made at run time (all Python classes) have it


def _trusted_class(klass: type) -> bool:
    if not klass.__flags__ & _HEAP_TYPE:  # a static C type (int, NoneType, dict_keys...): no student wrote it
        return True
    module_name = getattr(klass, "__module__", None) or ""
    if module_name.split(".", 1)[0] in IMPLEMENTATION_PACKAGES:
        return False
    found: Any = sys.modules.get(module_name)
    for part in getattr(klass, "__qualname__", "").split("."):
        found = getattr(found, part, None)
    if found is not klass:
        return False
    for name in _DUNDERS:
        method = klass.__dict__.get(name)
        owner = getattr(method, "__module__", None) or ""
        if owner.split(".", 1)[0] in IMPLEMENTATION_PACKAGES:
            return False
    return True


def _offender(value: Any, budget: list[int], depth: int) -> type | None:
    budget[0] -= 1
    if budget[0] < 0:
        return None
    for klass in type(value).__mro__:
        if any(name in klass.__dict__ for name in _DUNDERS) and not _trusted_class(klass):
            return klass
    if depth >= 4:
        return None
    if isinstance(value, _CONTAINERS):
        items = value
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    else:
        return None
    for item in items:
        if budget[0] < 0:
            break
        if type(item) in (int, float, str, bytes, bool):  # the common case, cheaply
            budget[0] -= 1
            continue
        bad = _offender(item, budget, depth + 1)
        if bad is not None:
            return bad
    return None


def checked(value: Any) -> Any:
    """``value`` itself, after making sure comparing it runs no code written by the implementation."""
    bad = _offender(value, [_BUDGET], 0)
    if bad is not None:
        raise UntrustedValue(
            f"got an object of class {bad.__module__}.{bad.__qualname__}, which defines its own comparison: "
            "the grader only compares values whose comparison comes from Python or a library "
            "(return plain numbers, strings, lists, tuples, dicts, tensors or arrays)"
        )
    return value


class GuardComparisons(ast.NodeTransformer):
    """Route comparison operands and bare assertion values of a module through :func:`checked`."""

    def _wrap(self, node: ast.expr) -> ast.expr:
        name = ast.copy_location(ast.Name(id=_GUARD_NAME, ctx=ast.Load()), node)
        return ast.copy_location(ast.Call(func=name, args=[node], keywords=[]), node)

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if all(isinstance(op, (ast.Is, ast.IsNot)) for op in node.ops):
            return node
        node.left = self._wrap(node.left)
        node.comparators = [self._wrap(c) for c in node.comparators]
        return node

    def visit_Assert(self, node: ast.Assert) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.test, (ast.Compare, ast.BoolOp, ast.UnaryOp)):
            node.test = self._wrap(node.test)
        return node

    def visit_Module(self, node: ast.Module) -> ast.AST:
        self.generic_visit(node)
        position = 0
        for index, statement in enumerate(node.body):
            docstring = index == 0 and isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            future = isinstance(statement, ast.ImportFrom) and statement.module == "__future__"
            if not (docstring or future):
                break
            position = index + 1
        line = node.body[position].lineno if position < len(node.body) else 1
        guard_import = ast.ImportFrom(
            module=__name__,
            names=[ast.alias(name="checked", asname=_GUARD_NAME)],
            level=0,
            lineno=line,
            col_offset=0,
            end_lineno=line,
            end_col_offset=0,
        )
        for alias in guard_import.names:
            alias.lineno, alias.col_offset, alias.end_lineno, alias.end_col_offset = line, 0, line, 0
        node.body.insert(position, guard_import)
        return node
