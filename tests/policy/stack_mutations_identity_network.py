"""Prod mutations for the identity, network, guardrail-adjacent and capacity rules (IAM-*, NET-*,
KMS-06, S3-08, COST-10, COST-11): each edits the real prod Plan the way a change could and must
raise a new finding of its rule. Merged into tests/policy/test_stacks.py's MUTATIONS."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

Plan = dict[str, Any]
Res = dict[str, Any]
FOREIGN = "arn:aws:iam::999988887777:root"


def _doc_append(prop: str, statement: dict[str, Any]) -> Callable[[Res], None]:
    def change(r: Res) -> None:
        doc = json.loads(r["props"][prop])
        doc["Statement"] = [*doc["Statement"], statement]
        r["props"][prop] = json.dumps(doc)

    return change


def _clone(type_: str, where: Callable[[Res], bool], change: Callable[[Res], None]) -> Callable[[Plan], None]:
    def mutate(plan: Plan) -> None:
        from tests.policy.test_stacks import _first

        clone = copy.deepcopy(_first(type_, where)(plan))
        clone["name"] += "-extra"
        clone["urn"] += "-extra"
        change(clone)
        plan["resources"].append(clone)

    return mutate


def _unlabel_karpenter(r: Res) -> None:
    r["props"]["spec"]["template"]["metadata"]["labels"].pop("llm-fleet.dev/gpu-pool", None)
    r["props"]["spec"].pop("limits", None)


def _server_route(r: Res) -> bool:
    return r["name"].endswith("-route-api")


def mutations() -> dict[str, Callable[[Plan], None]]:
    from tests.policy.test_stacks import _config, _first, _on, _remove

    iam_policy = "aws:iam/rolePolicy:RolePolicy"
    server = lambda r: r["name"].endswith("-server")  # noqa: E731 - a short predicate
    return {
        "IAM-01": _on(
            _first("aws:sqs/queuePolicy:QueuePolicy"),
            _doc_append("policy", {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}),
        ),
        "IAM-02": _on(
            _first("aws:ecr/repositoryPolicy:RepositoryPolicy"),
            _doc_append("policy", {"Effect": "Allow", "Principal": {"AWS": FOREIGN}, "Action": "ecr:BatchGetImage"}),
        ),
        "IAM-03": _on(
            _first(iam_policy, server), _doc_append("policy", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
        ),
        "IAM-04": _on(
            _first(iam_policy, server),
            _doc_append("policy", {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}),
        ),
        "IAM-05": _on(
            _first("aws:iam/role:Role", server),
            _doc_append("assumeRolePolicy", {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}),
        ),
        "IAM-06": _on(
            _first("aws:eks/accessPolicyAssociation:AccessPolicyAssociation"),
            lambda r: r["props"].__setitem__("principalArn", "arn:aws:iam::123456789012:role/some-workload"),
        ),
        "IAM-07": lambda plan: _on(
            _first("aws:eks/podIdentityAssociation:PodIdentityAssociation", server),
            lambda r: r["props"].__setitem__(
                "roleArn",
                _first(
                    "aws:eks/podIdentityAssociation:PodIdentityAssociation",
                    lambda x: x["props"]["serviceAccount"] == "karpenter",
                )(plan)["props"]["roleArn"],
            ),
        )(plan),
        "IAM-08": _on(
            _first("gcp:projects/iAMMember:IAMMember"), lambda r: r["props"].__setitem__("role", "roles/editor")
        ),
        "IAM-09": _on(
            _first("gcp:projects/iAMMember:IAMMember"), lambda r: r["props"].__setitem__("member", "allUsers")
        ),
        "IAM-10": _on(
            _first("gcp:projects/iAMMember:IAMMember"),
            lambda r: r["props"].__setitem__("role", "roles/iam.serviceAccountTokenCreator"),
        ),
        "IAM-11": _on(
            _first(iam_policy, server),
            _doc_append("policy", {"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}),
        ),
        "IAM-12": _on(
            _first("gcp:projects/iAMMember:IAMMember"),
            lambda r: r["props"].__setitem__(
                "member", "serviceAccount:123456789012-compute@developer.gserviceaccount.com"
            ),
        ),
        "IAM-13": _on(
            _first(iam_policy, server),
            _doc_append("policy", {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "arn:aws:s3:::x/*"}),
        ),
        "IAM-14": _on(
            _first("gcp:serviceaccount/iAMMember:IAMMember"),
            lambda r: r["props"].__setitem__("member", "serviceAccount:ci@someone-elses-proj.iam.gserviceaccount.com"),
        ),
        "IAM-15": _on(
            _first("aws:sqs/queuePolicy:QueuePolicy"),
            _doc_append(
                "policy",
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": "*",
                },
            ),
        ),
        "KMS-06": _on(
            _first("aws:kms/key:Key"), lambda r: r["props"].__setitem__("bypassPolicyLockoutSafetyCheck", True)
        ),
        "S3-08": _clone(
            "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
            lambda r: True,
            lambda r: r.update(
                type="aws:s3/bucketAcl:BucketAcl", props={"bucket": r["props"]["bucket"], "acl": "public-read"}
            ),
        ),
        "NET-01": _on(
            _first("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", lambda r: r["props"].get("cidrIpv4")),
            lambda r: r["props"].update(fromPort=10250, toPort=10250),
        ),
        "NET-02": _on(
            _first("gcp:compute/firewall:Firewall"),
            lambda r: r["props"].update(sourceRanges=["0.0.0.0/1", "128.0.0.0/1"], allows=[{"protocol": "all"}]),
        ),
        "NET-03": _config(
            lambda c: next(t for t in c["targets"] if t["kind"] == "gcp").__setitem__(
                "masterAuthorizedCidrs", ["0.0.0.0/0"]
            )
        ),
        "NET-04": _remove("aws:ec2/flowLog:FlowLog"),
        "NET-05": _on(_first("gcp:compute/subnetwork:Subnetwork"), lambda r: r["props"].pop("logConfig")),
        "NET-06": _on(
            _first("kubernetes:core/v1:Service", lambda r: r["name"].endswith("-service") and "edge" not in r["name"]),
            lambda r: r["props"]["spec"].__setitem__("type", "NodePort"),
        ),
        "NET-07": _on(
            _first("kubernetes:networking.k8s.io/v1:NetworkPolicy", lambda r: r["name"].endswith("-netpol-server")),
            lambda r: r["props"]["spec"]["ingress"].append({"from": [{"namespaceSelector": {}}]}),
        ),
        # The API route is an AIGatewayRoute now; the prefixed route is the HTTPRoute to the model server.
        "NET-08": _on(
            _first("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute", lambda r: r["name"].endswith("-route-prefixed")),
            lambda r: r["props"]["spec"]["rules"].append(
                {
                    "matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                    "backendRefs": r["props"]["spec"]["rules"][0]["backendRefs"],
                }
            ),
        ),
        "NET-09": _on(
            _first("kubernetes:gateway.networking.k8s.io/v1:Gateway"),
            lambda r: r["props"]["spec"]["listeners"][0].__setitem__("allowedRoutes", {"namespaces": {"from": "All"}}),
        ),
        "NET-10": _on(
            _first("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"),
            lambda r: r["props"].update(cidrIpv4="0.0.0.0/0", ipProtocol="-1", referencedSecurityGroupId=None),
        ),
        "NET-11": _on(
            _first("aws:lb/loadBalancer:LoadBalancer"), lambda r: r["props"].__setitem__("loadBalancerType", "network")
        ),
        "NET-12": _on(
            _first("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", lambda r: r["name"].startswith("aws")),
            lambda r: r["props"]["spec"]["provider"]["kubernetes"]["envoyService"].__setitem__("type", "NodePort"),
        ),
        "NET-13": _clone(
            "aws:ec2/flowLog:FlowLog",
            lambda r: True,
            lambda r: r.update(
                type="aws:ec2/networkAclRule:NetworkAclRule",
                props={
                    "networkAclId": "acl-1",
                    "ruleNumber": 10,
                    "protocol": "tcp",
                    "fromPort": 3389,
                    "toPort": 3389,
                    "ruleAction": "allow",
                    "cidrBlock": "0.0.0.0/0",
                },
            ),
        ),
        "NET-14": _on(
            _first("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"),
            lambda r: r["props"].__setitem__(
                "egress", [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}]
            ),
        ),
        "NET-15": _on(
            _first("aws:ec2/route:Route", lambda r: bool(r["props"].get("natGatewayId"))),
            lambda r: (r["props"].pop("natGatewayId"), r["props"].__setitem__("gatewayId", "igw-0123")),
        ),
        "COST-10": _clone("kubernetes:karpenter.sh/v1:NodePool", lambda r: True, _unlabel_karpenter),
        "COST-11": _config(lambda c: c["budget"].__setitem__("alertThresholdsPercent", [120])),
    }
