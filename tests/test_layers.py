"""Modules point inward: pyproject's import contract holds and no imports run in a circle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "store", "schedules")


@pytest.mark.static
def test_the_import_contract_holds() -> None:
    """`lint-imports` (import-linter; [tool.importlinter] in pyproject.toml) keeps each contract."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "0 broken" in output, output


def cycles(graph: grimp.ImportGraph, group=lambda module: module) -> list[list[str]]:
    """The import cycles of `graph` (strongly connected sets of two or more), after `group`
    maps each module to the unit compared (itself, or its package)."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = group(module), group(imported)
            if a != b:
                edges.setdefault(a, set()).add(b)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def package_of(module: str) -> str:
    """`bot.services.intake` -> `bot.services`; `handlers.events` -> `handlers`."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "bot" and len(parts) > 1 else parts[0]


def _runtime_graph() -> grimp.ImportGraph:
    # `if TYPE_CHECKING:` imports never run, so they cannot make a circle at runtime.
    return grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)


def test_no_module_imports_itself_through_others() -> None:
    """No module of bot/, handlers/, store/, schedules/ is in an import cycle."""
    assert cycles(_runtime_graph()) == []


def test_no_two_packages_import_each_other() -> None:
    """Packages (bot's subpackages and the top-level ones) do not import each other in a circle."""
    assert cycles(_runtime_graph(), package_of) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    """The cycle check itself: a circle of modules, and of packages, is reported."""
    graph = grimp.ImportGraph()
    graph.add_import(importer="bot.outbox.effects", imported="bot.services.presenter")
    graph.add_import(importer="bot.services.desk", imported="bot.outbox.kinds")
    graph.add_import(importer="store.a", imported="store.b")
    graph.add_import(importer="store.b", imported="store.a")
    assert cycles(graph) == [["store.a", "store.b"]]
    assert cycles(graph, package_of) == [["bot.outbox", "bot.services"]]
