"""The emulator stays in small modules of one job each (issue 18): none grows past 400 lines."""

from __future__ import annotations

from pathlib import Path

import bot.emulator

MOST_LINES = 400


def test_no_emulator_module_is_over_400_lines() -> None:
    root = Path(bot.emulator.__file__).parent
    modules = sorted(root.rglob("*.py"))
    assert len(modules) > 10  # the package was found, with its parts
    sizes = {str(p.relative_to(root)): len(p.read_text().splitlines()) for p in modules}
    too_big = {name: lines for name, lines in sizes.items() if lines > MOST_LINES}
    assert too_big == {}, f"split these by job (at most {MOST_LINES} lines each): {too_big}"
