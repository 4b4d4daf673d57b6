"""Regenerate the rule reference in policy/README.md: ``python -m policy.docs``."""

from __future__ import annotations

import sys
from pathlib import Path

from policy.engine import ENGINE_RULES
from policy.rules import all_rules

README = Path(__file__).resolve().parent / "README.md"
BEGIN, END = "<!-- BEGIN RULES (python -m policy.docs) -->", "<!-- END RULES -->"


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


def render(text: str) -> str:
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n{rule_table()}\n{END}{tail}"


def main() -> int:
    README.write_text(render(README.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
