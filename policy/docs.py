"""Regenerate the rule reference in policy/README.md: ``python -m policy.docs``."""

from __future__ import annotations

import sys
from pathlib import Path

from policy.engine import ENGINE_RULES
from policy.rules import all_rules

README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- BEGIN RULES (python -m policy.docs) -->", "<!-- END RULES -->"
COVERAGE_BEGIN, COVERAGE_END = "<!-- BEGIN COVERAGE (python -m policy.docs) -->", "<!-- END COVERAGE -->"


def rule_table() -> str:
    rows = [
        "| id | title | severity | category | applies to | references | policy name |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    metas = [r.meta for r in all_rules()] + list(ENGINE_RULES)
    for meta in metas:
        types = ", ".join(f"`{t}`" for t in meta.resource_types[:3]) or "the stack"
        if len(meta.resource_types) > 3:
            types += f" (+{len(meta.resource_types) - 3})"
        name = meta.name if meta.module.startswith("policy.rules") else "(engine)"
        rows.append(
            # The anchor is where a rule's doc link lands (policy.rules.base.DOCS + "#<id>").
            f"| <a id=\"{meta.id.lower()}\"></a>{meta.id} | {meta.title} | {meta.severity} | {meta.category} | {types} | "
            f"{', '.join(meta.references)} | `{name}` |"
        )
    return "\n".join(rows)


def coverage_table() -> str:
    """Rules by class of risk (policy/catalog/rule_classes.yaml), and the types they read."""
    from policy.coverage import all_metas, class_about, class_names, covered_types, rule_class, uncovered_types

    by_class: dict[str, list[str]] = {name: [] for name in class_names()}
    for meta in all_metas():
        by_class.setdefault(rule_class(meta.id) or "unclassified", []).append(meta.id)
    rows = ["| class | what it guards | rules | ids |", "| --- | --- | --- | --- |"]
    for name, ids in by_class.items():
        links = ", ".join(f"[{i}](#{i.lower()})" for i in ids)
        rows.append(f"| {name} | {class_about(name) if name in class_names() else ''} | {len(ids)} | {links} |")
    rows += [
        "",
        f"Rules read {len(covered_types())} resource types by name (wildcards such as `kubernetes:*` not counted); "
        f"{len(uncovered_types())} more types or globs are listed, each with the reason it carries no security or "
        "cost risk, in `catalog/uncovered_types.yaml`. `tests/policy/test_type_coverage.py` fails for any type in the "
        "dev or prod Plan, or in a test variant stack, that is in neither.",
    ]
    return "\n".join(rows)


def _replace(text: str, begin: str, end: str, body: str) -> str:
    head, found, rest = text.partition(begin)
    if not found:
        return text
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def render(text: str) -> str:
    text = _replace(text, COVERAGE_BEGIN, COVERAGE_END, coverage_table())
    return _replace(text, BEGIN, END, rule_table())


def main() -> int:
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
