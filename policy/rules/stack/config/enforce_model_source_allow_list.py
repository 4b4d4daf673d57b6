"""SUPPLY-05: model weights come from allowed sources at a pinned revision."""

import re

from policy.props import get
from policy.rules._credentials import redacted
from policy.rules.base import Violation, stack_rule

SPECIFIC_SOURCE = re.compile(r"[a-z0-9]+://[A-Za-z0-9][A-Za-z0-9._-]*/([A-Za-z0-9._-]+/)*")
"""An allow-list entry names at least a whole organization (``hf://meta-llama/``) or bucket, ends
with '/' (so ``hf://meta-llama`` cannot admit ``hf://meta-llama-evil``), and has no wildcard."""


@stack_rule(
    id="SUPPLY-05",
    title="Model weights come from allowed sources at a pinned revision",
    severity="high",
    category="security",
    types=(),
    remediation="Use a source URI under policy.allowedModelSources and pin source.revision to the 40-hex commit; "
    "allow-list entries name an organization or bucket ending in '/', never '*' or a bare scheme.",
    references=("custom",),
)
def enforce_model_source_allow_list(ctx):
    allowed = ctx.settings.allowed_model_sources
    for index, prefix in enumerate(allowed):
        if not SPECIFIC_SOURCE.fullmatch(prefix):
            yield Violation(
                f"policy.allowedModelSources[{index}] {redacted(prefix)!r} widens the allow-list; expected "
                "'<scheme>://<organization or bucket>/' without wildcards"
            )
    for index, model in enumerate(ctx.settings.models):
        uri = str(get(model, "source.uri") or "")
        revision = str(get(model, "source.revision") or "")
        where = f"models[{index}] ({model.get('name')})"
        if not any(uri.startswith(prefix) for prefix in allowed):
            yield Violation(f"{where}.source.uri {redacted(uri)!r} is not under an allowed source {allowed}")
        if not re.fullmatch(r"[0-9a-f]{40}", revision):
            yield Violation(f"{where}.source.revision {revision!r} is not a pinned 40-hex commit")
