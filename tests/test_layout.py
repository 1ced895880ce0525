"""The tests' own layout: modules share helpers through tests/fixtures, never through each other,
and nothing depends on where this checkout happens to live."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _modules_imported(tree: ast.Module, package: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield node.lineno, module
            # ``from tests.delivery import test_delivery`` names the module in the alias.
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def test_no_test_module_imports_another() -> None:
    offences = []
    for path in sorted(TESTS.rglob("test_*.py")):
        relative = path.relative_to(TESTS).as_posix()
        package = ".".join(["tests", *path.relative_to(TESTS).parent.parts])
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in _modules_imported(tree, package):
            parts = module.split(".")
            if parts[0] != "tests" or not parts[-1].startswith("test_"):
                continue
            offences.append(f"tests/{relative}:{line} imports {module}")
    assert not offences, "move what is shared to tests/fixtures:\n" + "\n".join(offences)


def test_no_file_names_an_absolute_work_path() -> None:
    needle = "/".join(["", "work", ""])  # spelled so that this file does not match itself
    offences = []
    for path in sorted(TESTS.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if needle in line:
                offences.append(f"tests/{path.relative_to(TESTS).as_posix()}:{number}: {line}")
    assert not offences, "use tests.fixtures.paths (ROOT, standards()):\n" + "\n".join(offences)


def test_every_folder_of_tests_is_a_package() -> None:
    # Without __init__.py, two test files of the same name in different folders collide.
    missing = sorted(
        folder.relative_to(TESTS).as_posix()
        for folder in {path.parent for path in TESTS.rglob("*.py")}
        if "__pycache__" not in folder.parts and not (folder / "__init__.py").is_file()
    )
    assert not missing, f"add an __init__.py to: {missing}"
