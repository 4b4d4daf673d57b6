"""Build the bundled serving image (serving/) with the docker-build provider and push it.

Used by every target whose stack sets ``image.build`` (dev): each target pushes to its own
registry and its workloads run the pushed digest. prod references the promoted digest instead.
"""

from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_docker_build as docker_build

from infra.config import ServingImage
from serving import versions as serving_versions

SERVING_DIR = Path(__file__).resolve().parents[1] / "serving"
"""Build context of the serving image (serving/Dockerfile builds from its own directory)."""


def build_serving_image(
    name: str,
    repository: pulumi.Input[str],
    image: ServingImage,
    registry: docker_build.RegistryArgs | None,
    opts: pulumi.ResourceOptions,
) -> docker_build.Image:
    """``<repository>:<image.tag>`` built for linux/amd64 and pushed; ``.digest`` is the pushed digest."""
    build_args = {"VLLM_IMAGE_TAG": serving_versions.VLLM_IMAGE_TAG}
    if serving_versions.VLLM_IMAGE_DIGEST:
        build_args["VLLM_IMAGE_DIGEST"] = serving_versions.VLLM_IMAGE_DIGEST
    return docker_build.Image(
        name,
        context=docker_build.BuildContextArgs(location=str(SERVING_DIR)),
        dockerfile=docker_build.DockerfileArgs(location=str(SERVING_DIR / "Dockerfile")),
        build_args=build_args,
        platforms=[docker_build.Platform.LINUX_AMD64],
        tags=[pulumi.Output.concat(repository, ":", image.tag)],
        push=True,
        build_on_preview=False,
        registries=[registry] if registry is not None else None,
        opts=opts,
    )
