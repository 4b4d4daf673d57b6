"""infra.yamlfile: the strict stack-file reader."""

from __future__ import annotations

import copy
import pickle
import time
from pathlib import Path

import pytest
import yaml

from infra.stackfile import load_stack_file
from infra.yamlfile import MAX_BYTES, YamlFloat, load_yaml_bytes, load_yaml_text
from serving.errors import LlmFleetError

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_shipped_stacks_read_as_before(stack: str) -> None:
    # Same values as PyYAML's reading, which the program was written against.
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())
    expected = {
        k.split(":", 1)[1]: v
        for k, v in document["config"].items()
        if not (isinstance(v, dict) and set(v) == {"secure"})
    }
    assert load_stack_file(stack, ROOT).values == expected


def test_yaml_1_2_values_as_pulumi_reads_them() -> None:
    data = load_yaml_text("a: yes\nb: 2027-03-31\nc: 1.30\nd: 0x1F\ne: ~\nf: true\ng: '1.30'\n", "t.yaml")
    assert data == {"a": "yes", "b": "2027-03-31", "c": 1.3, "d": 31, "e": None, "f": True, "g": "1.30"}
    assert isinstance(data["c"], YamlFloat) and data["c"].source == "1.30"


def test_a_float_keeps_its_text_through_copies() -> None:
    value = load_yaml_text("v: 1.50\n", "t.yaml")["v"]
    for copied in (copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
        assert copied == 1.5 and copied.source == "1.50"


def test_merge_keys_fill_in_without_overriding() -> None:
    data = load_yaml_text("base: &b {x: 1, y: 2}\nitem:\n  <<: *b\n  y: 3\n", "t.yaml")
    assert data["item"] == {"x": 1, "y": 3}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb:\n  c: 1\n  c: 2\n", "t.yaml: line 4, column 3: duplicate key 'c' (first at line 3)"),
        ("a: !!binary aGk=\n", "t.yaml: line 1, column 4: tag !!binary is not allowed"),
        ("a: !!set {x}\n", "t.yaml: line 1, column 4: tag !!set is not allowed"),
        ("a: &x [*x]\n", "refers to itself"),
        ("a: [1, 2\n", "t.yaml: line 2"),
        ("a: " + "[" * 65 + "]" * 65 + "\n", "nested too deeply"),
        ("? [a]\n: 1\n", "a key must be a plain value"),
    ],
)
def test_refusals_name_the_file_and_line(text: str, message: str) -> None:
    with pytest.raises(LlmFleetError) as info:
        load_yaml_text(text, "t.yaml")
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_non_utf8_names_line_and_column() -> None:
    with pytest.raises(LlmFleetError, match=r"^t.yaml: line 2, column 4: byte 0xe9 is not UTF-8"):
        load_yaml_bytes(b"a: 1\nb: \xe9\n", "t.yaml")


def test_size_is_bounded_before_parsing() -> None:
    with pytest.raises(LlmFleetError, match="too large"):
        load_yaml_bytes(b"#" * (MAX_BYTES + 1), "t.yaml")


@pytest.mark.parametrize("levels", [9, 20])
def test_an_alias_bomb_is_refused_within_a_second(levels: int) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    started = time.monotonic()
    with pytest.raises(LlmFleetError, match="aliases"):
        load_yaml_text("\n".join(lines) + "\n", "t.yaml")
    assert time.monotonic() - started < 1.0


def test_modest_aliases_are_fine() -> None:
    data = load_yaml_text("a: &p {min: 1, max: 2}\nb: *p\nc: *p\n", "t.yaml")
    assert data["b"] == data["c"] == {"min": 1, "max": 2}
