"""YAML loading that remembers which line each value came from, for precise error messages."""

from __future__ import annotations

from typing import Any

import yaml

Path_ = tuple[str | int, ...]

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_with_lines(text: str) -> tuple[Any, dict[Path_, int]]:
    """Parse YAML text; return the data and a map from each value's path to its 1-based line."""
    # One parse, by libyaml when PyYAML has it (the pure-Python scanner took seconds for a
    # desk of 5,000 accounts), and the data built from the same nodes that give the lines.
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Path_, int] = {}
        if node is None:
            return None, lines
        _walk(node, (), lines)
        return loader.construct_document(node), lines
    finally:
        loader.dispose()


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*path, key)] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), lines)
            # The key's own line is where a reader looks for a bad key or missing value.
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), lines)


def line_of(path: Path_, lines: dict[Path_, int]) -> int | None:
    """The line of the deepest part of `path` present in the file."""
    for depth in range(len(path), -1, -1):
        candidate = tuple(path[:depth])
        if candidate in lines:
            return lines[candidate]
        # YAML keys may be ints or dates; pydantic reports them as strings.
        loose = {tuple(str(p) for p in k): v for k, v in lines.items() if len(k) == depth}
        if tuple(str(p) for p in candidate) in loose:
            return loose[tuple(str(p) for p in candidate)]
    return None
