"""Prod mutations for the edge, workloads/RBAC, secrets and supply-chain rules of round 2
(WAF-05, ARMOR-04/05, ALB-07/11, EDGE-05, K8S-15..19, SUPPLY-06..09): each edits the real prod
Plan the way a change could and must raise a new finding of its rule. Merged into
tests/policy/test_stacks.py's MUTATIONS."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

Plan = dict[str, Any]
Res = dict[str, Any]
RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"


def _add_k8s(like_type: str, type_: str, name: str, body: dict[str, Any]) -> Callable[[Plan], None]:
    """Add a Kubernetes object on the same cluster (provider, parent) as the first resource of ``like_type``."""

    def mutate(plan: Plan) -> None:
        from tests.policy.test_stacks import _first

        like = _first(like_type)(plan)
        group_version, kind = type_.split(":")[1], type_.split(":")[2]
        plan["resources"].append(
            {
                "urn": like["urn"].rsplit("::", 2)[0] + f"::{type_}::{name}",
                "type": type_,
                "name": name,
                "custom": True,
                "parent": like.get("parent"),
                "provider": like.get("provider"),
                "protect": False,
                "props": {"apiVersion": group_version.removeprefix("core/"), "kind": kind, **body},
            }
        )

    return mutate


def mutations() -> dict[str, Callable[[Plan], None]]:
    from tests.policy.test_stacks import _config, _first, _on, _pod

    deployment = "kubernetes:apps/v1:Deployment"
    armor = _first("gcp:compute/securityPolicy:SecurityPolicy")
    sa = {"kind": "ServiceAccount", "name": "llama-8b-server", "namespace": "llm-llama-8b"}
    return {
        "WAF-05": _on(
            _first("aws:wafv2/webAcl:WebAcl"),
            lambda r: r["props"]["rules"].insert(
                0,
                {
                    "name": "allow-partners",
                    "priority": -1,
                    "action": {"allow": {}},
                    "statement": {"ipSetReferenceStatement": {"arn": "arn:aws:wafv2:us-east-1:1:regional/ipset/p/1"}},
                },
            ),
        ),
        "ARMOR-04": _on(armor, lambda r: r["props"]["rules"][-2].__setitem__("priority", 10)),  # throttle first
        "ARMOR-05": _on(armor, lambda r: r["props"].pop("adaptiveProtectionConfig")),
        "ALB-07": _on(
            _first("gcp:compute/sSLPolicy:SSLPolicy"),
            lambda r: r["props"].update(profile="CUSTOM", customFeatures=["TLS_RSA_WITH_AES_128_CBC_SHA"]),
        ),
        "ALB-11": _on(
            _first("gcp:compute/backendService:BackendService"), lambda r: r["props"].__setitem__("logConfig", {})
        ),
        "EDGE-05": _on(
            _first("kubernetes:gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy", lambda r: "aws" in r["name"]),
            lambda r: r["props"]["spec"]["clientIPDetection"]["xForwardedFor"].__setitem__("numTrustedHops", 3),
        ),
        "K8S-15": _pod(lambda s: s.setdefault("securityContext", {}).__setitem__("seLinuxOptions", {"type": "spc_t"})),
        "K8S-16": _add_k8s(
            deployment,
            RBAC + "ClusterRoleBinding",
            "server-cluster-admin",
            {
                "metadata": {"name": "server-cluster-admin"},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
                "subjects": [sa],
            },
        ),
        "K8S-17": lambda plan: [
            _add_k8s(
                deployment,
                RBAC + "ClusterRole",
                "secret-reader",
                {
                    "metadata": {"name": "secret-reader"},
                    "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}],
                },
            )(plan),
            _add_k8s(
                deployment,
                RBAC + "ClusterRoleBinding",
                "secret-reader",
                {
                    "metadata": {"name": "secret-reader"},
                    "roleRef": {
                        "apiGroup": "rbac.authorization.k8s.io",
                        "kind": "ClusterRole",
                        "name": "secret-reader",
                    },
                    "subjects": [sa],
                },
            )(plan),
        ],
        "K8S-19": _pod(
            lambda s: s.setdefault("securityContext", {}).__setitem__(
                "sysctls", [{"name": "kernel.core_pattern", "value": "|/bin/sh"}]
            )
        ),
        "K8S-20": _on(
            _first("kubernetes:helm.sh/v3:Release"),
            lambda r: r["props"].setdefault("values", {}).__setitem__("hostNetwork", True),
        ),
        "SUPPLY-06": _on(
            _first("aws:ec2/launchTemplate:LaunchTemplate"),
            lambda r: r["props"].__setitem__(
                "userData", base64.b64encode(b"#!/bin/bash\nexport AWS_ACCESS_KEY_ID=AKIAQWERTYUIOPASDFGH\n").decode()
            ),
        ),
        "SUPPLY-07": _on(
            _first("kubernetes:helm.sh/v3:Release"),
            lambda r: r["props"].__setitem__("repositoryOpts", {"repo": "http://charts.example.com"}),
        ),
        "WAF-06": _on(
            _first("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"),
            lambda r: r["props"].pop("redactedFields", None),
        ),
        "K8S-21": _add_k8s(
            deployment,
            "kubernetes:core/v1:Secret",
            "server-token",
            {
                "metadata": {
                    "name": "server-token",
                    "namespace": "llm-llama-8b",
                    "annotations": {"kubernetes.io/service-account.name": "llama-8b-server"},
                },
                "type": "kubernetes.io/service-account-token",
            },
        ),
        "SUPPLY-10": _on(
            _first("kubernetes:helm.sh/v3:Release", lambda r: "grafana" in (r["props"].get("values") or {})),
            lambda r: r["props"]["values"]["grafana"].__setitem__(
                "grafana.ini", {"auth.anonymous": {"enabled": True, "org_role": "Admin"}}
            ),
        ),
        "SUPPLY-08": _config(lambda c: c["image"].update(build=True, digest=None)),
        "SUPPLY-09": _config(
            lambda c: next(t for t in c["targets"] if t["kind"] == "onprem")["weights"].__setitem__(
                "endpoint", "http://s3.dc1.internal"
            )
        ),
    }
