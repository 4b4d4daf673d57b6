"""SUPPLY-08: prod deploys a promoted serving image by digest, never one built at deploy time."""

import re

from policy.props import get
from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="SUPPLY-08",
    title="Prod deploys a promoted serving image by digest, never one built at deploy time",
    severity="high",
    category="security",
    types=(),
    remediation="In prod set image.build false and image.digest to the sha256 digest promoted from dev "
    "(`llmfleet promote dev prod`).",
    references=("custom",),
)
def enforce_promoted_image(ctx):
    if ctx.settings.environment != "prod":
        return
    image = ctx.settings.raw.get("image") or {}
    if get(image, "build") is True:
        yield Violation("image.build is true in prod (an image built at deploy time, unreviewed); expected false")
    digest = str(get(image, "digest") or "")
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        yield Violation(f"image.digest is {digest or 'not set'!r} in prod; expected the promoted sha256:<64 hex>")
