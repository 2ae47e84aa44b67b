"""The tests' own layout: shared helpers live in tests/support/, so no test module or conftest
is imported by another module (pytest collects them; importing one runs or hides its tests)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_module(name: str) -> bool:
    return name.startswith("test_") or name == "conftest"


def imported_test_modules(source: str) -> list[str]:
    """The test or conftest modules a module's source imports, as written."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if any(map(_is_test_module, a.name.split(".")))]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            where = "." * node.level + module
            if any(map(_is_test_module, module.split("."))):
                found.append(where)
            # `from tests.e2e import test_intake` imports the module by its name.
            found += [f"{where}.{a.name}" for a in node.names if _is_test_module(a.name)]
    return found


def test_the_check_sees_every_way_of_importing_a_test_module():
    source = (
        "import tests.e2e.test_intake\n"
        "from tests.e2e.conftest import sandbox\n"
        "from tests.e2e import test_intake\n"
        "from .test_sla import sweep\n"
        "def f():\n    from tests.e2e.test_desk_command import desk\n"
        "from tests.support.actions import open_ticket\n"
        "import pytest\n"
    )
    assert imported_test_modules(source) == [
        "tests.e2e.test_intake",
        "tests.e2e.conftest",
        "tests.e2e.test_intake",
        ".test_sla",
        "tests.e2e.test_desk_command",
    ]


def test_no_module_under_tests_imports_a_test_module_or_a_conftest():
    offenders = {
        str(path.relative_to(TESTS)): found
        for path in sorted(TESTS.rglob("*.py"))
        if (found := imported_test_modules(path.read_text(encoding="utf-8")))
    }
    assert not offenders, f"move these helpers into tests/support/: {offenders}"
