"""The rule catalogue: one rule per module under this package (see base.py for the layout)."""

from __future__ import annotations

import functools
import importlib
import pkgutil

from policy.rules.base import Rule, RuleMeta

__all__ = ["Rule", "RuleMeta", "all_rules", "rule_modules"]

_SKIP = {"policy.rules.base"}


def rule_modules() -> list[str]:
    """Dotted names of every rule module, sorted."""
    import policy.rules as package

    names = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not info.ispkg and info.name not in _SKIP and not info.name.rsplit(".", 1)[-1].startswith("_"):
            names.append(info.name)
    return sorted(names)


def rules_in(module_name: str) -> list[Rule]:
    module = importlib.import_module(module_name)
    return [v for v in vars(module).values() if isinstance(v, Rule) and v.meta.module == module_name]


@functools.cache
def _load() -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for name in rule_modules():
        rules.extend(rules_in(name))
    return tuple(sorted(rules, key=lambda r: _id_key(r.meta.id)))


def _id_key(rule_id: str) -> tuple[str, int]:
    prefix, _, number = rule_id.rpartition("-")
    return prefix, int(number) if number.isdigit() else 0


def all_rules() -> list[Rule]:
    """Every rule of the pack, ordered by id."""
    return list(_load())
