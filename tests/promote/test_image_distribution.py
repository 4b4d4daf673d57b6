"""Copying the promoted digest into every target's registry (infra/image_distribution.py).

The copy script runs for real here, against stand-ins for ``cosign`` and ``oras`` that log
their arguments and answer like the real tools (no registry is reachable from tests)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from infra.image_distribution import COPY_SCRIPT, main, registry_logins
from infra.plan import Plan
from infra.stackfile import load_stack_file

DIGEST = "sha256:" + "4f1c8e2a9b7d6c5e" * 4
SOURCE = "444455556666.dkr.ecr.us-east-1.amazonaws.com/llm-fleet/serving"
DEST = "registry.dc1.internal/llm-fleet/serving"
COMMAND = "command:local:Command"


def copies(plan: Plan) -> dict[str, dict]:
    return {r.name: r for r in plan.resources if r.type == COMMAND}


def test_prod_copies_the_promoted_digest_into_every_target_registry(prod_plan):
    image = prod_plan.config["image"]
    found = copies(prod_plan)
    assert {name.split("-")[0] for name in found} == {"aws", "gcp", "dc1"}
    destinations = set()
    for command in found.values():
        env = command.props["environment"]
        assert env["SOURCE"] == image["source"] and env["DIGEST"] == image["digest"]
        assert env["SIGNER_IDENTITY"].startswith("https://github.com/acme/llm-fleet/.github/workflows/")
        assert command.props["triggers"] == [image["digest"], env["DESTINATION"]]
        destinations.add(env["DESTINATION"])
    # Each server image is <destination>@<digest> of one of the copies.
    servers = {
        c["image"]
        for r in prod_plan.resources
        if r.type in ("kubernetes:apps/v1:Deployment", "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet")
        for c in _containers(r.props)
    }
    assert servers and {s.split("@")[0] for s in servers} <= destinations
    assert {s.split("@")[1] for s in servers} == {image["digest"]}


def test_registry_password_reaches_the_copy_only_as_a_secret(prod_plan):
    dc1 = next(c for n, c in copies(prod_plan).items() if n.startswith("dc1"))
    assert dc1.props["environment"]["REGISTRY_USERNAME"] == "robot-llm-fleet-deploy"
    assert dc1.props["environment"]["REGISTRY_PASSWORD"] == "[secret]"


def test_dev_builds_its_images_and_copies_nothing(dev_plan):
    assert copies(dev_plan) == {}


def _containers(node):
    """Model-server containers (they request GPUs); the endpoint picker's image is not the serving image."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers") and isinstance(value, list):
                yield from (
                    c
                    for c in value
                    if isinstance(c, dict) and "image" in c and "nvidia.com/gpu" in str(c.get("resources"))
                )
            else:
                yield from _containers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _containers(item)


# -- the copy script, run -------------------------------------------------------------------


@pytest.fixture
def tools(tmp_path: Path) -> Path:
    """``cosign`` and ``oras`` stand-ins: they log argv (and stdin for logins) to calls.log;
    ``oras resolve`` answers $RESOLVED_DIGEST; ``cosign verify`` fails if $UNSIGNED is set."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    scripts = {
        "cosign": f'echo "cosign $*" >> {log}\nif [ "$1" = verify ] && [ -n "${{UNSIGNED:-}}" ]; then exit 1; fi\n',
        "oras": (
            f'if [ "$1" = login ]; then echo "oras $* stdin=$(cat)" >> {log}; exit 0; fi\n'
            f'echo "oras $*" >> {log}\n'
            'if [ "$1" = resolve ]; then echo "$RESOLVED_DIGEST"; fi\n'
        ),
    }
    for name, body in scripts.items():
        path = bin_dir / name
        path.write_text("#!/bin/bash\n" + body)
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return bin_dir


def run_copy(tools: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    environ = {
        "PATH": f"{tools}:{os.environ['PATH']}",
        "HOME": str(tools.parent),
        "SOURCE": SOURCE,
        "DIGEST": DIGEST,
        "DESTINATION": DEST,
        "RESOLVED_DIGEST": DIGEST,
        "SIGNER_IDENTITY": "https://github.com/acme/llm-fleet/.github/workflows/main.yml@refs/heads/main",
        "SIGNER_ISSUER": "https://token.actions.githubusercontent.com",
        **env,
    }
    done = subprocess.run(["/bin/bash", "-c", COPY_SCRIPT], env=environ, capture_output=True, text=True, check=False)
    log = tools.parent / "calls.log"
    return done, log.read_text().splitlines() if log.exists() else []


def test_copy_verifies_the_signature_then_copies_with_referrers_then_checks_the_digest(tools):
    done, calls = run_copy(tools)
    assert done.returncode == 0, done.stderr
    assert calls == [
        "cosign verify --certificate-identity https://github.com/acme/llm-fleet/.github/workflows/main.yml@refs/heads/main "
        f"--certificate-oidc-issuer https://token.actions.githubusercontent.com {SOURCE}@{DIGEST}",
        f"oras cp -r {SOURCE}@{DIGEST} {DEST}",
        f"oras resolve {DEST}@{DIGEST}",
    ]
    assert done.stdout.strip() == f"{DEST}@{DIGEST}"


def test_an_unsigned_source_is_never_copied(tools):
    done, calls = run_copy(tools, UNSIGNED="1")
    assert done.returncode != 0
    assert not any(c.startswith("oras cp") for c in calls)


def test_a_digest_mismatch_after_the_copy_fails(tools):
    done, _ = run_copy(tools, RESOLVED_DIGEST="sha256:" + "0" * 64)
    assert done.returncode == 1
    assert f"resolves to 'sha256:{'0' * 64}', not {DIGEST}" in done.stderr


def test_the_source_repository_itself_is_only_checked(tools):
    done, calls = run_copy(tools, DESTINATION=SOURCE)
    assert done.returncode == 0
    assert not any(c.startswith("oras cp") for c in calls) and calls[-1] == f"oras resolve {SOURCE}@{DIGEST}"


def test_destination_credentials_go_through_stdin_into_a_private_docker_config(tools):
    done, calls = run_copy(tools, REGISTRY_USERNAME="robot", REGISTRY_PASSWORD="pw-from-a-secret")
    assert done.returncode == 0, done.stderr
    (login,) = [c for c in calls if c.startswith("oras login")]
    assert login == "oras login --username robot --password-stdin registry.dc1.internal stdin=pw-from-a-secret"
    assert not any("pw-from-a-secret" in c for c in calls if not c.startswith("oras login"))
    assert not (tools.parent / ".docker").exists()  # the runner's own docker config is untouched


# -- registry logins for the deploy job ----------------------------------------------------------


def test_registry_logins_of_prod(project_dir):
    rows = registry_logins(load_stack_file("prod", project_dir).parse())
    assert rows == [
        {"kind": "source", "target": "", "registry": "444455556666.dkr.ecr.us-east-1.amazonaws.com"},
        {"kind": "aws", "target": "aws-use1", "region": "us-east-1"},
        {"kind": "gcp", "target": "gcp-usc1", "registry": "us-central1-docker.pkg.dev"},
        {"kind": "onprem", "target": "dc1", "registry": "registry.dc1.internal"},
    ]


def test_registry_logins_cli(project_dir, capsys, monkeypatch):
    monkeypatch.chdir(project_dir)
    assert main(["prod"]) == 0
    assert [r["kind"] for r in json.loads(capsys.readouterr().out)] == ["source", "aws", "gcp", "onprem"]
    assert main(["dev"]) == 0 and json.loads(capsys.readouterr().out) == []
    assert main(["nope"]) == 2
    assert "stack 'nope'" in capsys.readouterr().err
