"""IMG-02: the promoted image is copied into every prod target's registry."""

from policy.props import get
from policy.rules._helpers import is_workload, workload_containers
from policy.rules.base import Violation, stack_rule
from policy.rules.stack.kubernetes.workload.enforce_signed_images import GPU

COMMAND = "command:local:Command"


def _copies(ctx) -> set[tuple[str, str]]:
    """(destination repository, digest) of every image copy in the Plan."""
    out = set()
    for command in ctx.of_type(COMMAND):
        env = get(command.props, "environment") or {}
        if env.get("DESTINATION") and env.get("DIGEST"):
            out.add((str(env["DESTINATION"]), str(env["DIGEST"])))
    return out


@stack_rule(
    id="IMG-02",
    title="The promoted image is copied into every prod target's registry",
    severity="high",
    category="reliability",
    types=("kubernetes:*", COMMAND),
    remediation="Set image.source (the repository CI pushed to): each target then copies that digest into "
    "its own registry, with its signature, before its servers start.",
    references=("custom",),
)
def enforce_image_distribution(ctx):
    if ctx.settings.environment != "prod":
        return
    source = str((ctx.settings.raw.get("image") or {}).get("source") or "")
    copies = _copies(ctx)
    for type_ in list(ctx.types):
        for resource in ctx.of_type(type_):
            if not is_workload(resource):
                continue
            for where, _, _, container in workload_containers(resource):
                resources = get(container, "resources") or {}
                if not any(GPU in (get(resources, k) or {}) for k in ("limits", "requests")):
                    continue
                image = str(get(container, "image") or "")
                repository, _, digest = image.partition("@")
                if repository == source or (repository, digest) in copies:
                    continue
                yield Violation(
                    f"{where}: nothing copies {digest or 'the image'} into {repository!r} "
                    "(the pods would not find it)",
                    resource.urn,
                )
