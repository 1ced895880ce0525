"""The dashboard is a face: it runs no SQL of its own and leaves transactions to the unit of work.

Every query the dashboard shows lives in a feature (``<feature>/queries.py`` or its service);
a page that must show a form again after a refused write lets the service refuse before it
writes, or undoes the write in a savepoint, instead of rolling back the request's transaction.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import plaudit

ADMIN = Path(plaudit.__file__).parent / "admin"
ROOT = ADMIN.parents[2]  # messages name files from the repository's root
# Calls that run SQL, on anything that looks like the request's session.
QUERIES = {"execute", "scalar", "scalars", "get", "query"}


def _modules() -> list[Path]:
    return sorted(ADMIN.rglob("*.py"))


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"


def _sqlalchemy_imports(path: Path, tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            if name == "sqlalchemy" or name.startswith("sqlalchemy."):
                yield f"{_where(path, node)} imports {name}"


def _calls(tree: ast.AST) -> Iterator[tuple[ast.Call, ast.Attribute]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            yield node, node.func


def _is_session(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "session"


def test_the_modules_are_found() -> None:
    assert ADMIN / "web.py" in _modules()


def test_the_dashboard_imports_nothing_from_sqlalchemy() -> None:
    found = [
        problem
        for path in _modules()
        for problem in _sqlalchemy_imports(path, ast.parse(path.read_text(), str(path)))
    ]
    assert not found, "SQL belongs in a feature's queries.py:\n" + "\n".join(found)


def test_the_dashboard_runs_no_query_on_the_session() -> None:
    found = [
        f"{_where(path, call)} calls session.{attribute.attr}()"
        for path in _modules()
        for call, attribute in _calls(ast.parse(path.read_text(), str(path)))
        if attribute.attr in QUERIES and _is_session(attribute.value)
    ]
    assert not found, "Queries belong in a feature's queries.py:\n" + "\n".join(found)


def test_no_page_rolls_back_the_transaction() -> None:
    found = [
        f"{_where(path, call)} calls .rollback()"
        for path in _modules()
        for call, attribute in _calls(ast.parse(path.read_text(), str(path)))
        if attribute.attr == "rollback"
    ]
    assert not found, (
        "The unit of work rolls back on error; a service refuses before it writes, or "
        "undoes its write in a savepoint:\n" + "\n".join(found)
    )
