"""K8S-07: container images are pinned by digest."""

from policy.props import get, image_pinned
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="K8S-07",
    title="Container images are pinned by digest",
    severity="high",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Reference images as repository@sha256:<digest> (the stack's image.digest, promoted from dev).",
    references=("CKV_K8S_43", "CKV_K8S_14"),
)
def enforce_image_digest(resource, ctx):
    for where, _, _, container in workload_containers(resource):
        image = str(get(container, "image") or "")
        if not image_pinned(image):
            yield f"{where}: image {image!r} is not pinned by digest; expected <repository>@sha256:<digest>"
