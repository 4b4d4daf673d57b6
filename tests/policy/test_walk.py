"""find_keyed, the one walk the rules that search nested values share (policy/rules/_walk.py)."""

from types import MappingProxyType

from policy.rules._credentials import walk_keyed_strings
from policy.rules._walk import find_keyed


def test_paths_keys_and_order_follow_the_tree():
    tree = {"a": {"b": 1}, "c": [{"d": 2}, 3]}
    found = list(find_keyed(tree, lambda path, key, value: not isinstance(value, dict | list)))
    assert found == [("a.b", "b", 1), ("c[0].d", "d", 2), ("c[1]", 1, 3)]
    assert [p for p, _, _ in find_keyed(tree, lambda *_: True, "values")] == ["values.a", "values.c"]


def test_a_match_is_not_searched_inside():
    # K8S-20 judges capabilities.add whole; SUPPLY-10 reports the outermost anonymous section.
    tree = {"anonymous": {"enabled": True, "anonymous": {"enabled": True}}}
    found = list(find_keyed(tree, lambda path, key, value: key == "anonymous"))
    assert [path for path, _, _ in found] == ["anonymous"]


def test_mappings_and_sequences_other_than_dict_and_list_are_walked():
    tree = MappingProxyType({"x": ({"type": "NodePort"},)})
    assert list(find_keyed(tree, lambda path, key, value: key == "type")) == [("x[0].type", "type", "NodePort")]


def test_keyed_strings_walk_json_strings_under_the_same_path():
    tree = {"cfg": '{"apiKey": "abc"}', "args": ["--x", 5], "s": " [1] "}
    assert list(walk_keyed_strings(tree)) == [("cfg.apiKey", "apiKey", "abc"), ("args[0]", "0]", "--x")]
    assert list(walk_keyed_strings("plain", "root")) == [("root", "root", "plain")]
