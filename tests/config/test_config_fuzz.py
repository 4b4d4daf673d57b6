"""Hypothesis: no configuration, however broken, produces anything but ConfigError."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config import ConfigError, StackConfig, parse_stack_config
from tests.config.test_config import stack_values

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += paths(value, (*prefix, index))
    return found


def check_outcome(values: dict[str, Any], stack: str) -> None:
    try:
        config = parse_stack_config(values, stack)
    except ConfigError as exc:
        assert exc.lines, "a ConfigError always says what is wrong"
        for line in exc.lines:
            assert line.strip() and "\n" not in line
            assert "Traceback" not in line
    else:
        assert isinstance(config, StackConfig)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), stack=st.sampled_from(["dev", "prod"]))
def test_replacing_any_value_gives_config_error_or_valid_config(data: st.DataObject, stack: str) -> None:
    values = copy.deepcopy(stack_values(stack))
    path = data.draw(st.sampled_from(paths(values)))
    node: Any = values
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = data.draw(json_values)
    check_outcome(values, stack)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), key=st.text(min_size=1, max_size=12))
def test_adding_any_key_anywhere_is_rejected_with_its_path(data: st.DataObject, key: str) -> None:
    values = copy.deepcopy(stack_values("dev"))
    free_form = {"nodeSelector", "overrides"}  # maps whose keys are the user's own
    dict_paths = [
        p for p in paths(values) if isinstance(_get(values, p), dict) and (not p or p[-1] not in free_form)
    ] + [()]
    path = data.draw(st.sampled_from(dict_paths))
    node = _get(values, path)
    if key in node:
        return
    node[key] = data.draw(json_values)
    try:
        parse_stack_config(values, "dev")
    except ConfigError as exc:
        assert any("unknown key" in line for line in exc.lines), exc.lines
    else:
        raise AssertionError(f"unknown key {key!r} at {path} was accepted")


@settings(max_examples=100, deadline=None)
@given(values=st.dictionaries(st.text(max_size=12), json_values, max_size=6))
def test_arbitrary_documents_never_raise_anything_else(values: dict[str, Any]) -> None:
    check_outcome(values, "dev")


def _get(values: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        values = values[key]
    return values
