"""Read a user's YAML file (a stack file) strictly and within bounds.

A stack file is small, hand-written and reviewed; whatever would make it mean something
other than what it reads as is refused with one line naming the file and the line:

- bytes that are not UTF-8 (Pulumi reads stack files as UTF-8);
- a duplicate key in a mapping (YAML loaders keep the last one silently);
- more than ``MAX_BYTES`` of text, nesting deeper than ``MAX_DEPTH``, or aliases that expand
  to more than ``MAX_VALUES`` values (a "billion laughs" document is a few hundred bytes
  that expand to millions of values: refused before anything walks it);
- tags other than YAML's plain types (``!!binary``, ``!!python/...``, custom ``!Tag``).

Values follow YAML 1.2 (ruamel.yaml), as Pulumi's own YAML reader does: ``yes``/``no`` stay
strings. A date (``expires: 2027-03-31``) is kept as the text it is written as: Pulumi hands
config to the program as strings, and the schema parses and checks the date itself (so an
impossible ``2027-02-30`` is a schema error naming the key, not a crash). Floats keep their
source text (``YamlFloat.source``) so an error can show ``1.30`` rather than ``1.3``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from serving.errors import LlmFleetError

MAX_BYTES = 256 * 1024
"""25x the largest shipped stack file; parsing this much takes well under a second."""
MAX_VALUES = 100_000
"""Values after alias expansion; the shipped stacks have about 600."""
MAX_DEPTH = 64

YAML_TAG = "tag:yaml.org,2002:"
PLAIN_SCALAR_TAGS = {f"{YAML_TAG}{name}" for name in ("str", "null", "bool", "int", "float")}
COLLECTION_TAGS = {f"{YAML_TAG}map", f"{YAML_TAG}seq"}
TIMESTAMP_TAG = f"{YAML_TAG}timestamp"
MERGE_TAG = f"{YAML_TAG}merge"


class YamlFloat(float):
    """A float read from YAML, with the text it was written as (``1.30`` for 1.3)."""

    source: str

    def __new__(cls, value: float, source: str) -> YamlFloat:
        number = super().__new__(cls, value)
        number.source = source
        return number

    def __reduce__(self) -> tuple[Any, ...]:
        return (YamlFloat, (float(self), self.source))


def read_yaml_file(path: Path, *, label: str | None = None) -> Any:
    """The document in ``path``; LlmFleetError (exit 2) naming the file for anything wrong."""
    name = label or path.name
    try:
        if path.is_dir():
            raise LlmFleetError(f"{name}: is a directory; expected a YAML file")
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise LlmFleetError(_too_big(name, size))
        data = path.read_bytes()
    except FileNotFoundError:
        raise LlmFleetError(f"{name}: no such file") from None
    except OSError as exc:
        raise LlmFleetError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    return load_yaml_bytes(data, name)


def load_yaml_bytes(data: bytes, name: str) -> Any:
    if len(data) > MAX_BYTES:
        raise LlmFleetError(_too_big(name, len(data)))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise LlmFleetError(
            f"{name}: line {line}, column {column}: byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8"
        ) from None
    return load_yaml_text(text, name)


def load_yaml_text(text: str, name: str) -> Any:
    """Parse ``text`` (see the module docstring for what is refused)."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise LlmFleetError(_too_big(name, len(text.encode("utf-8"))))
    _check_flow_depth(text, name)
    try:
        node = YAML(typ="safe", pure=True).compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise LlmFleetError(f"{name}:{where} {problem}") from None
    except YAMLError as exc:
        raise LlmFleetError(f"{name}: invalid YAML ({str(exc).splitlines()[0]})") from None
    except RecursionError:
        raise LlmFleetError(f"{name}: nested too deeply; at most {MAX_DEPTH} levels are allowed") from None
    if node is None:
        return None
    _check_expansion(node, name)
    return _Builder(name).build(node, 0)


def _too_big(name: str, size: int) -> str:
    return f"{name}: {size:,} bytes is too large; at most {MAX_BYTES:,} bytes are allowed for a stack file"


def _check_flow_depth(text: str, name: str) -> None:
    """Refuse deeply nested flow collections (``[[[[...``) before the parser sees them: its time
    grows with the square of the depth (3,000 levels take the pure-Python parser 16 s)."""
    depth = 0
    line = 1
    for match in re.finditer(r"#[^\n]*|[\[\]{}\n]", text):
        mark = match.group()
        if mark == "\n":
            line += 1
        elif mark in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise LlmFleetError(f"{name}: line {line}: nested too deeply; at most {MAX_DEPTH} levels are allowed")
        elif mark in "]}":
            depth = max(0, depth - 1)


def _check_expansion(root: Node, name: str) -> None:
    """Count values as a reader walking the document would see them (aliases expanded)."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise LlmFleetError(
                f"{name}: line {node.start_mark.line + 1}: an alias refers to itself (recursive anchor)"
            )
        if depth > MAX_DEPTH:
            raise LlmFleetError(
                f"{name}: line {node.start_mark.line + 1}: nested too deeply; at most {MAX_DEPTH} levels are allowed"
            )
        active.add(key)
        total = 1
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                total += size(key_node, depth + 1) + size(value_node, depth + 1)
                if total > MAX_VALUES:
                    break
        elif isinstance(node, SequenceNode):
            for item in node.value:
                total += size(item, depth + 1)
                if total > MAX_VALUES:
                    break
        active.discard(key)
        if total > MAX_VALUES:
            raise LlmFleetError(
                f"{name}: line {node.start_mark.line + 1}: aliases (*name) expand this document to more than "
                f"{MAX_VALUES:,} values; at most {MAX_VALUES:,} are allowed: write the values out instead"
            )
        sizes[key] = total
        return total

    size(root, 0)


class _Builder:
    """Nodes -> plain Python (dict, list, str, int, YamlFloat, bool, None)."""

    def __init__(self, name: str):
        self.name = name
        self.constructor = YAML(typ="safe", pure=True).constructor

    def where(self, node: Node) -> str:
        return f"{self.name}: line {node.start_mark.line + 1}, column {node.start_mark.column + 1}"

    def build(self, node: Node, depth: int) -> Any:
        if isinstance(node, MappingNode | SequenceNode) and node.tag not in COLLECTION_TAGS:
            raise LlmFleetError(
                f"{self.where(node)}: tag {str(node.tag).replace(YAML_TAG, '!!')} is not allowed; "
                "use plain strings, numbers, booleans, lists and mappings"
            )
        if isinstance(node, MappingNode):
            return self.mapping(node, depth)
        if isinstance(node, SequenceNode):
            return [self.build(item, depth + 1) for item in node.value]
        return self.scalar(node)

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag == TIMESTAMP_TAG:
            return str(node.value)
        if node.tag not in PLAIN_SCALAR_TAGS:
            raise LlmFleetError(
                f"{self.where(node)}: tag {str(node.tag).replace(YAML_TAG, '!!')} is not allowed; "
                "use plain strings, numbers, booleans, lists and mappings"
            )
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (YAMLError, ValueError) as exc:
            raise LlmFleetError(f"{self.where(node)}: {node.value!r} cannot be read ({exc})") from None
        if isinstance(value, float):
            return YamlFloat(value, str(node.value))
        return value

    def mapping(self, node: MappingNode, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        first_line: dict[Any, int] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, MappingNode):
                        raise LlmFleetError(f"{self.where(source)}: '<<' merges mappings only")
                    for key, value in self.mapping(source, depth + 1).items():
                        merged.setdefault(key, value)
                continue
            if not isinstance(key_node, ScalarNode):
                raise LlmFleetError(f"{self.where(key_node)}: a key must be a plain value, not a list or mapping")
            key = self.scalar(key_node)
            if key in first_line:
                raise LlmFleetError(
                    f"{self.where(key_node)}: duplicate key '{key}' (first at line {first_line[key]}); "
                    "each key may appear once in a mapping: remove one"
                )
            first_line[key] = key_node.start_mark.line + 1
            result[key] = self.build(value_node, depth + 1)
        for key, value in merged.items():
            result.setdefault(key, value)
        return result
