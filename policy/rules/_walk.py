"""One walk over a tree of props or Helm values, for the rules that search nested keys (not a
rule: modules starting with '_' are skipped)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from policy.props import as_list, is_list, is_map

Match = Callable[[str, Any, Any], bool]
"""``match(path, key, value)``: whether an entry is one the caller is looking for."""


def find_keyed(node: Any, match: Match, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, key, value) of every entry of a tree that ``match`` accepts, depth first in the
    tree's order. An entry is a map's key (``a.b``) or a list's index (``a[0]``, key the int).
    A matched entry is not searched inside: what the caller reports there covers what is below."""
    if is_map(node):
        entries: Iterator[tuple[Any, Any, str]] = (
            (key, node[key], f"{path}.{key}" if path else str(key)) for key in node
        )
    elif is_list(node):
        entries = ((index, item, f"{path}[{index}]") for index, item in enumerate(as_list(node)))
    else:
        return
    for key, value, where in entries:
        if match(where, key, value):
            yield where, key, value
        else:
            yield from find_keyed(value, match, where)
