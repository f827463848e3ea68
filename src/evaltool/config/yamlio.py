"""Safe YAML loading that remembers where every key stands.

``load_yaml_with_lines(path)`` returns the plain data (``yaml.safe_load``
semantics; no tags that construct Python objects) and a mapping from key paths
(tuples of str/int) to 1-based line numbers, so validation errors can name
``file:line``. Duplicate keys are errors (PyYAML silently keeps the last).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from evaltool.exceptions import ConfigError

__all__ = ["load_yaml_with_lines", "LineMap"]

LineMap = dict[tuple[Any, ...], int]

MAX_ALIASES = 100
"""More alias uses (``*name``) than this in one config are refused."""

MAX_EXPANDED = 50_000
"""A config whose aliases expand to more values than this is refused (a "billion laughs" bomb)."""


def _check_aliases(root: yaml.Node, source: str) -> None:
    """Bound alias expansion before constructing Python objects (which would expand every alias)."""
    sizes: dict[int, int] = {}
    uses = 0

    def size(node: yaml.Node, seen: set[int]) -> int:
        nonlocal uses
        key = id(node)
        if key in seen:
            uses += 1
            if uses > MAX_ALIASES:
                raise ConfigError(f"{source}:{node.start_mark.line + 1}: more than {MAX_ALIASES} YAML alias "
                                  "uses; write the values out instead of repeating an anchor")
        if key in sizes:
            seen.add(key)
            return sizes[key]
        seen.add(key)
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k, seen) + size(v, seen) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(v, seen) for v in node.value)
        else:
            total = 1
        if total > MAX_EXPANDED:
            raise ConfigError(f"{source}:{node.start_mark.line + 1}: YAML aliases expand this config to more "
                              f"than {MAX_EXPANDED} values; write the values out instead of nesting anchors")
        sizes[key] = total
        return total

    size(root, set())


def _walk(node: yaml.Node, path: tuple[Any, ...], lines: LineMap, source: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ConfigError(
                    f"{source}:{line}: {_dotted(path + (key,))}: duplicate key "
                    f"(first defined on line {seen[key]})"
                )
            seen[key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), lines, source)


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def load_yaml_with_lines(path: str | Path) -> tuple[Any, LineMap]:
    """Read a YAML file safely, returning ``(data, line_map)``.

    Raises
    ------
    ConfigError
        If the file is missing, unreadable, not valid YAML, or has duplicate keys.
    """
    p = Path(path)
    source = str(path)
    if not p.is_file():
        raise ConfigError(f"{source}: config file not found")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot read config file ({exc.__class__.__name__}: {exc})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        if node is not None:
            _check_aliases(node, source)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise ConfigError(f"{source}:{line}: invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: invalid YAML: {exc}") from None
    lines: LineMap = {}
    if node is not None:
        _walk(node, (), lines, source)
    return data, lines


dotted = _dotted
