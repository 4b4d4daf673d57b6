"""Put the promoted serving image into each target's own registry, by digest, before it runs.

A prod target pulls the serving image from its own registry (ECR, Artifact Registry, the
on-prem registry), but CI pushes it to one repository (``image.source``). For every target
whose image is not built in the stack, a ``command:local:Command`` runs where ``pulumi up``
runs, after the target's registry exists and before anything that uses the image (the image
reference the workloads receive is derived from it, so the engine orders them):

1. verify the source's keyless signature (``image.signer``): an unsigned or foreign image is
   never distributed;
2. ``oras cp -r``: copy exactly that digest with its referrers (the cosign signature bundle and
   the build provenance), so each target's admission check finds the signature beside it;
3. resolve the digest in the destination and fail unless it is the promoted one.

Re-runs only when the digest or the destination changes (``triggers``). The deploy job logs in
to each registry first (docs/ci.md: OIDC roles, no long-lived cloud keys).
"""

from __future__ import annotations

import pulumi

from infra.config import ServingImage, StackConfig
from infra.targets import image_reference

COPY_SCRIPT = """\
set -euo pipefail
if [ -n "${REGISTRY_USERNAME:-}" ]; then
  # The destination's own credentials (an on-prem registry): a private docker config for this run.
  DOCKER_CONFIG="$(mktemp -d)"
  export DOCKER_CONFIG
  trap 'rm -rf "$DOCKER_CONFIG"' EXIT
  if [ -f "$HOME/.docker/config.json" ]; then cp "$HOME/.docker/config.json" "$DOCKER_CONFIG/"; fi
  printf '%s' "$REGISTRY_PASSWORD" | oras login --username "$REGISTRY_USERNAME" --password-stdin "${DESTINATION%%/*}"
fi
if [ -n "${SIGNER_IDENTITY:-}" ]; then
  cosign verify --certificate-identity "$SIGNER_IDENTITY" --certificate-oidc-issuer "$SIGNER_ISSUER" \\
    "$SOURCE@$DIGEST" >/dev/null
fi
if [ "$SOURCE" != "$DESTINATION" ]; then
  oras cp -r "$SOURCE@$DIGEST" "$DESTINATION"
fi
copied="$(oras resolve "$DESTINATION@$DIGEST")"
if [ "$copied" != "$DIGEST" ]; then
  echo "image copy: $DESTINATION@$DIGEST resolves to '$copied', not $DIGEST" >&2
  exit 1
fi
echo "$DESTINATION@$DIGEST"
"""
"""Runs under bash; every value comes from the environment, never interpolated into the script."""


def needs_copy(image: ServingImage) -> bool:
    """A promoted digest with a known source: copy it into each target's registry."""
    return image.digest is not None and not image.build and image.source is not None


def serving_image(
    name: str,
    repository: pulumi.Input[str],
    image: ServingImage,
    *,
    built_digest: pulumi.Input[str] | None = None,
    credentials: tuple[str, pulumi.Input[str]] | None = None,
    opts: pulumi.ResourceOptions | None = None,
) -> pulumi.Output[str]:
    """``repository@sha256:...`` for a target's workloads; with :func:`needs_copy`, it resolves
    only after the copy into ``repository`` succeeded, so everything using it waits for it.
    ``credentials`` (user, secret password) log in to the destination when the deploying
    machine's own login does not reach it (an on-prem registry)."""
    reference = image_reference(repository, image, built_digest)
    if not needs_copy(image):
        return reference
    import pulumi_command as command

    signer = image.signer
    copy = command.local.Command(
        f"{name}-image-copy",
        create=COPY_SCRIPT,
        interpreter=["/bin/bash", "-c"],
        environment={
            "SOURCE": image.source,
            "DIGEST": image.digest,
            "DESTINATION": repository,
            **({"SIGNER_IDENTITY": signer.identity, "SIGNER_ISSUER": signer.issuer} if signer else {}),
            **(
                {"REGISTRY_USERNAME": credentials[0], "REGISTRY_PASSWORD": pulumi.Output.secret(credentials[1])}
                if credentials
                else {}
            ),
        },
        triggers=[image.digest, repository],
        opts=opts,
    )
    return pulumi.Output.all(copy.id, reference).apply(lambda values: values[1])


def registry_logins(config: StackConfig) -> list[dict[str, str]]:
    """The registries a deploy of ``config`` copies the image between, for the deploy job to log
    in to before ``pulumi up`` (one row each: ``kind`` aws|gcp|onprem, ``target``, and the
    ``registry`` host, or ``region`` for ECR, whose host needs the account the deploy role is in)."""
    image = config.image
    if not needs_copy(image):
        return []
    assert image.source is not None
    rows = [{"kind": "source", "target": "", "registry": image.source.split("/", 1)[0]}]
    for target in config.targets:
        if target.kind == "aws":
            rows.append({"kind": "aws", "target": target.name, "region": target.region})
        elif target.kind == "gcp":
            rows.append({"kind": "gcp", "target": target.name, "registry": f"{target.region}-docker.pkg.dev"})
        else:
            rows.append({"kind": "onprem", "target": target.name, "registry": target.registry.split("/", 1)[0]})
    return rows


def main(argv: list[str] | None = None) -> int:
    """``python -m infra.image_distribution STACK``: the registry logins of that stack, as JSON."""
    import json
    import sys

    from infra.stackfile import load_stack_file
    from serving.errors import LlmFleetError

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m infra.image_distribution STACK", file=sys.stderr)
        return 2
    try:
        rows = registry_logins(load_stack_file(args[0]).parse())
    except LlmFleetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
