"""Signature verification at admission on every target (infra/workloads/admission.py)."""

from __future__ import annotations

import pytest

from infra.config import ImageSigner
from infra.plan import Plan
from infra.workloads.admission import cluster_image_policy_spec, repository_of
from policy.rules.stack.kubernetes.workload.enforce_signed_images import glob_matches

CIP = "kubernetes:policy.sigstore.dev/v1beta1:ClusterImagePolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
SIGNER = "https://github.com/acme/llm-fleet/.github/workflows/main.yml@refs/heads/main"


def of_type(plan: Plan, type_: str) -> list:
    return [r for r in plan.resources if r.type == type_]


def targets(plan: Plan) -> list[str]:
    return [t["name"] for t in plan.config["targets"]]


def server_images(plan: Plan) -> dict[str, set[str]]:
    """Target -> images of its GPU-requesting containers."""
    out: dict[str, set[str]] = {}
    for r in plan.resources:
        text = str(r.props)
        if "nvidia.com/gpu" not in text or not r.type.startswith("kubernetes:") or r.type == RELEASE:
            continue
        for target in targets(plan):
            if r.name.startswith(target + "-"):
                out.setdefault(target, set()).update(_images(r.props))
    return out


def _images(node) -> set[str]:
    found = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "image" and isinstance(value, str):
                found.add(value)
            else:
                found |= _images(value)
    elif isinstance(node, list):
        for item in node:
            found |= _images(item)
    return found


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_target_runs_policy_controller_and_a_policy_for_its_serving_image(stack, dev_plan, prod_plan):
    plan = {"dev": dev_plan, "prod": prod_plan}[stack]
    policies = {r.name.split("-admission")[0]: r for r in of_type(plan, CIP)}
    releases = {r.name.split("-admission")[0] for r in of_type(plan, RELEASE) if r.props["chart"] == "policy-controller"}
    assert set(policies) == releases == set(targets(plan))
    for target, images in server_images(plan).items():
        spec = policies[target].props["spec"]
        for image in images:
            assert any(glob_matches(i["glob"], image) for i in spec["images"]), (target, image)
        (authority,) = spec["authorities"]
        assert authority["keyless"]["identities"] == [
            {"issuer": "https://token.actions.githubusercontent.com", "subject": SIGNER}
        ]
        assert authority["signatureFormat"] == "bundle"  # cosign v3's default


def test_prod_enforces_and_dev_warns(dev_plan, prod_plan):
    # dev builds its image inside the stack (unsigned): a warning, never a blocked rollout.
    assert {r.props["spec"]["mode"] for r in of_type(prod_plan, CIP)} == {"enforce"}
    assert {r.props["spec"]["mode"] for r in of_type(dev_plan, CIP)} == {"warn"}


def test_only_model_namespaces_are_checked(stack_plan):
    checked = {
        r.props["metadata"]["name"]
        for r in of_type(stack_plan, NAMESPACE)
        if (r.props["metadata"].get("labels") or {}).get("policy.sigstore.dev/include") == "true"
    }
    models = {
        r.props["metadata"]["name"]
        for r in of_type(stack_plan, NAMESPACE)
        if "llm-fleet.dev/model" in (r.props["metadata"].get("labels") or {})
    }
    assert checked == models and models


def test_policy_controller_runs_hardened_and_fails_closed(prod_plan):
    for release in (r for r in of_type(prod_plan, RELEASE) if r.props["chart"] == "policy-controller"):
        values = release.props["values"]
        webhook = values["webhook"]
        assert release.props["namespace"] == "cosign-system"
        assert webhook["replicaCount"] >= 2 and webhook["podDisruptionBudget"]["enabled"] is True
        assert webhook["failurePolicy"] == "Fail"
        assert webhook["configData"] == {"no-match-policy": "deny"}
        assert webhook["namespaceSelector"]["matchExpressions"] == [
            {"key": "policy.sigstore.dev/include", "operator": "In", "values": ["true"]}
        ]
        container = webhook["podSecurityContext"]
        assert container["allowPrivilegeEscalation"] is False and container["readOnlyRootFilesystem"] is True
        assert container["capabilities"] == {"drop": ["ALL"]}
        assert container["seccompProfile"] == {"type": "RuntimeDefault"} and container["runAsNonRoot"] is True
        assert webhook["securityContext"]["runAsNonRoot"] is True


def test_policy_controller_namespace_is_restricted_and_default_deny(prod_plan):
    namespaces = [r for r in of_type(prod_plan, NAMESPACE) if r.props["metadata"]["name"] == "cosign-system"]
    assert len(namespaces) == len(targets(prod_plan))
    for ns in namespaces:
        assert ns.props["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = [
        r
        for r in of_type(prod_plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if r.props["metadata"].get("namespace") == "cosign-system"
    ]
    deny = [p for p in policies if p.props["metadata"]["name"] == "default-deny"]
    assert len(deny) == len(targets(prod_plan))
    assert all(d.props["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]} for d in deny)


def test_gke_declares_its_binary_authorization_policy(prod_plan):
    (policy,) = of_type(prod_plan, "gcp:binaryauthorization/policy:Policy")
    assert policy.props["globalPolicyEvaluationMode"] == "ENABLE"
    assert policy.props["defaultAdmissionRule"]["enforcementMode"] == "ENFORCED_BLOCK_AND_AUDIT_LOG"
    (cluster,) = of_type(prod_plan, "gcp:container/cluster:Cluster")
    assert cluster.props["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("registry.dc1.internal/llm-fleet/serving@sha256:" + "a" * 64, "registry.dc1.internal/llm-fleet/serving"),
        ("registry.lab:5000/llm/serving:0.32.0", "registry.lab:5000/llm/serving"),
        ("us-central1-docker.pkg.dev/p/r/serving", "us-central1-docker.pkg.dev/p/r/serving"),
    ],
)
def test_repository_of(image, repository):
    assert repository_of(image) == repository


@pytest.mark.parametrize(
    ("glob", "image", "matches"),
    [
        ("registry.dc1.internal/llm-fleet/serving**", "registry.dc1.internal/llm-fleet/serving@sha256:ab", True),
        ("ghcr.io/acme/*", "ghcr.io/acme/serving:1", True),
        ("ghcr.io/acme/*", "ghcr.io/acme/team/serving:1", False),
        ("ghcr.io/acme/**", "ghcr.io/acme/team/serving:1", True),
        ("registry.dc1.internal/llm-fleet/serving**", "registry.dc1.internal.evil/llm-fleet/serving@sha256:ab", False),
    ],
)
def test_glob_semantics(glob, image, matches):
    assert glob_matches(glob, image) is matches


def test_policy_spec_names_exactly_the_signing_workflow():
    signer = ImageSigner(repository="acme/llm-fleet", ref="refs/tags/v1.2.0")
    spec = cluster_image_policy_spec("r.example/x", signer, enforce=True)
    assert spec["authorities"][0]["keyless"]["identities"][0]["subject"] == (
        "https://github.com/acme/llm-fleet/.github/workflows/main.yml@refs/tags/v1.2.0"
    )
    assert spec["mode"] == "enforce" and spec["images"] == [{"glob": "r.example/x**"}]
