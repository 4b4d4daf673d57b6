"""Generate docs/configuration.md, the configuration reference, from the schema itself.

    .venv/bin/python -m infra.configdoc > docs/configuration.md

A test fails when the committed file differs from what this prints.
"""

from __future__ import annotations

import sys

from pydantic import BaseModel

from infra.config import AwsTarget, GcpTarget, OnPremTarget, StackConfig, _inner_model


def _section(model: type[BaseModel], title: str, seen: set[type[BaseModel]], out: list[str]) -> None:
    if model in seen:
        return
    seen.add(model)
    out.append(f"### {title}\n")
    if model.__doc__:
        out.append(model.__doc__.strip().splitlines()[0] + "\n")
    out.append("| key | required | default | description |")
    out.append("| --- | --- | --- | --- |")
    nested: list[tuple[type[BaseModel], str]] = []
    for name, field in model.model_fields.items():
        key = field.alias or name
        required = "yes" if field.is_required() else ""
        default = ""
        if not field.is_required():
            value = field.get_default(call_default_factory=True)
            default = f"`{value}`" if not isinstance(value, BaseModel) else "(section)"
        description = (field.description or "").replace("|", "\\|")
        out.append(f"| `{key}` | {required} | {default} | {description} |")
        inner = _inner_model(field.annotation)
        if inner is not None and inner not in seen:
            nested.append((inner, inner.__name__))
    out.append("")
    for inner, name in nested:
        _section(inner, name, seen, out)


def render() -> str:
    out = [
        "# Configuration reference",
        "",
        "Generated from `infra/config.py` by `python -m infra.configdoc`; do not edit by hand.",
        "Keys live under the `llm-fleet:` namespace of `Pulumi.<stack>.yaml`, camelCase.",
        "`llmfleet schema` prints the same as JSON Schema.",
        "",
        "Editors check a stack file as you type against `docs/stack-file.schema.json`",
        "(`llmfleet schema --stack-file`: the whole file, `config:` and the `llm-fleet:` prefix included).",
        "With a YAML language server (VS Code's YAML extension, Neovim's yamlls, ...) the first line",
        "of `Pulumi.<stack>.yaml` attaches it; the path is relative to the stack file:",
        "",
        "```yaml",
        "# yaml-language-server: $schema=docs/stack-file.schema.json",
        "```",
        "",
    ]
    seen: set[type[BaseModel]] = set()
    _section(StackConfig, "Stack (top level)", seen, out)
    for target in (AwsTarget, GcpTarget, OnPremTarget):
        _section(target, f"{target.__name__} (`kind: {target.model_fields['kind'].annotation.__args__[0]}`)", seen, out)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
