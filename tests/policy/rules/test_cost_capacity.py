"""Cases for GPU capacity anywhere in the Plan (COST-10), the prod instance allow-list (COST-05)
and budget alert thresholds (COST-11)."""

import copy

import pytest

from tests.policy.harness import Case, add, cases_params, chain, check, config, resource, set_

POOL_LABEL = "llm-fleet.dev/gpu-pool"


def _copy_of(name, suffix="-extra", **changes):
    """A second capacity resource cloned from ``name``, not tied to any configured pool."""

    def change(plan):
        clone = copy.deepcopy(resource(plan, name))
        clone["name"] += suffix
        clone["urn"] += suffix
        props = clone["props"]
        for labels in (
            props.get("spec", {}).get("template", {}).get("metadata", {}).get("labels"),
            props.get("nodeConfig", {}).get("labels"),
            props.get("labels"),
        ):
            if isinstance(labels, dict):
                labels.pop(POOL_LABEL, None)
        for path, value in changes.items():
            node = props
            keys = path.split(".")
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            if value is None:
                node.pop(keys[-1], None)
            else:
                node[keys[-1]] = value
        plan["resources"].append(clone)

    return change


def _machine(type_, name, props, target="aws1"):
    from tests.policy.baseline import _res

    return add(_res(type_, name, props, target, f"{target}-{'aws' if target == 'aws1' else 'gcp'}"))


EC2 = "aws:ec2/instance:Instance"
ASG = "aws:autoscaling/group:Group"
GCE = "gcp:compute/instance:Instance"

NAP = {
    "enabled": True,
    "resourceLimits": [
        {"resourceType": "cpu", "maximum": 100},
        {"resourceType": "memory", "maximum": 1000},
        {"resourceType": "nvidia-h100-80gb", "maximum": 16},
    ],
}

CASES = {
    "COST-10": [
        Case("baseline"),
        Case(
            "bounded-karpenter-pool-outside-the-config", _copy_of("aws1-h100", **{"spec.limits": {"nvidia.com/gpu": 8}})
        ),
        Case("fixed-gke-pool-outside-the-config", _copy_of("gcp1-h100", autoscaling=None, nodeCount=1)),
        Case("bounded-autoprovisioning", set_("gcp1-cluster", "clusterAutoscaling", NAP)),
        Case(
            "cpu-only-karpenter-pool",
            _copy_of(
                "aws1-h100",
                **{
                    "spec.limits": {"cpu": "64"},
                    "spec.template.spec.taints": [],
                    "spec.template.spec.requirements": [
                        {"key": "karpenter.k8s.aws/instance-category", "operator": "In", "values": ["c", "m", "r"]}
                    ],
                },
            ),
        ),
        Case(
            "unrestricted-karpenter-pool-can-launch-gpus",
            _copy_of(
                "aws1-h100",
                **{
                    "spec.limits": {"cpu": "1000"},
                    "spec.template.spec.taints": [],
                    "spec.template.spec.requirements": [],
                },
            ),
            {
                "aws1-h100-extra": [
                    "GPU capacity is not priced into the ceiling: no spec.limits['nvidia.com/gpu']: Karpenter adds "
                    "GPU nodes without bound"
                ]
            },
        ),
        Case(
            "gpu-family-karpenter-pool",
            _copy_of(
                "aws1-h100",
                **{
                    "spec.limits": {"cpu": "1000"},
                    "spec.template.spec.taints": [],
                    "spec.template.spec.requirements": [
                        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["p5", "g6e"]}
                    ],
                },
            ),
            {
                "aws1-h100-extra": [
                    "GPU capacity is not priced into the ceiling: no spec.limits['nvidia.com/gpu']: Karpenter adds "
                    "GPU nodes without bound"
                ]
            },
        ),
        Case("cpu-instance", _machine(EC2, "aws1-bastion", {"instanceType": "t3.micro"})),
        Case("gpu-instance-priced", _machine(EC2, "aws1-gpu-box", {"instanceType": "p5.48xlarge"})),
        Case("gce-gpu-instance-priced", _machine(GCE, "gcp1-gpu-box", {"machineType": "a3-highgpu-8g"}, "gcp1")),
        Case(
            "gpu-instance-not-in-the-catalogue",
            _machine(EC2, "aws1-gpu-box", {"instanceType": "p5en.48xlarge"}),
            {
                "aws1-gpu-box": [
                    "GPU capacity is not priced into the ceiling: instance types ['p5en.48xlarge'] (with their accelerators) are not in the price catalogue"
                ]
            },
        ),
        Case(
            "gpu-auto-scaling-group-without-maximum",
            _machine(
                ASG,
                "aws1-gpu-asg",
                {"mixedInstancesPolicy": {"launchTemplate": {"overrides": [{"instanceType": "p5.48xlarge"}]}}},
            ),
            {
                "aws1-gpu-asg": [
                    "GPU capacity is not priced into the ceiling: no maximum size: the group can grow without bound"
                ]
            },
        ),
        Case(
            "gpu-auto-scaling-group-bounded",
            _machine(
                ASG,
                "aws1-gpu-asg",
                {
                    "maxSize": 2,
                    "mixedInstancesPolicy": {"launchTemplate": {"overrides": [{"instanceType": "p5.48xlarge"}]}},
                },
            ),
        ),
        Case(
            "unbounded-karpenter-pool",
            _copy_of("aws1-h100", **{"spec.limits": None}),
            {
                "aws1-h100-extra": [
                    "GPU capacity is not priced into the ceiling: no spec.limits['nvidia.com/gpu']: Karpenter adds GPU nodes without bound"
                ]
            },
        ),
        Case(
            "gke-pool-autoscaling-without-maximum",
            _copy_of("gcp1-h100", autoscaling={"minNodeCount": 0}),
            {
                "gcp1-h100-extra": [
                    "GPU capacity is not priced into the ceiling: no maximum node count: the group or pool can grow without bound"
                ]
            },
        ),
        Case(
            "uncatalogued-gpu-type",
            _copy_of(
                "aws1-h100",
                **{
                    "spec.limits": {"nvidia.com/gpu": 8},
                    "spec.template.spec.requirements": [
                        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["p6-b200.48xlarge"]}
                    ],
                },
            ),
            {
                "aws1-h100-extra": [
                    "GPU capacity is not priced into the ceiling: instance types ['p6-b200.48xlarge'] are not in the price catalogue"
                ]
            },
        ),
        Case(
            "autoprovisioning-without-gpu-maximum",
            set_(
                "gcp1-cluster",
                "clusterAutoscaling",
                {**NAP, "resourceLimits": [*NAP["resourceLimits"][:2], {"resourceType": "nvidia-l4"}]},
            ),
            {
                "gcp1-cluster": [
                    "GPU capacity is not priced into the ceiling: auto-provisioning of nvidia-l4: no maximum"
                ]
            },
        ),
    ],
    "COST-07": [
        Case(
            "a-gpu-instance-counts-against-the-budget",
            chain(config("budget.monthlyUsd", 190_000), _machine(EC2, "aws1-gpu-box", {"instanceType": "p5.48xlarge"})),
            {
                "llm-fleet-prod": [
                    "monthly ceiling $196,978 exceeds budget.monthlyUsd $190,000 (floor $125,358, expected $125,358)"
                ]
            },
        ),
        Case(
            "capacity-outside-the-config-counts-against-the-budget",
            chain(
                config("budget.monthlyUsd", 400_000), _copy_of("aws1-h100", **{"spec.limits": {"nvidia.com/gpu": 64}})
            ),
            {
                "llm-fleet-prod": [
                    "monthly ceiling $478,233 exceeds budget.monthlyUsd $400,000 (floor $85,179, expected $85,179)"
                ]
            },
        ),
    ],
    "COST-05": [
        Case(
            "gpu-instance-outside-the-allow-list",
            _machine(EC2, "aws1-gpu-box", {"instanceType": "p4d.24xlarge"}),
            {
                "aws1-gpu-box": [
                    "GPU machine types ['p4d.24xlarge'] are not allowed; allowed: ['a3-highgpu-8g', 'p5.48xlarge']"
                ]
            },
        ),
        Case(
            "emptied-in-prod",
            config("policy.allowedInstanceTypes", []),
            {
                "llm-fleet-prod": [
                    "policy.allowedInstanceTypes is empty in prod (any instance type); expected the reviewed list"
                ]
            },
        ),
        Case(
            "empty-in-dev",
            chain(
                config("environment", "dev"),
                config("policy.allowedInstanceTypes", []),
                lambda plan: plan.__setitem__("stack", "dev"),
            ),
        ),
    ],
    "COST-03": [
        Case(
            "fixed-count-beyond-the-pool",
            chain(set_("gcp1-h100", "autoscaling", None), set_("gcp1-h100", "nodeCount", 3)),
            {"gcp1-h100": ["nodeCount 3 x 2 zones is 6 nodes; pool 'h100' allows at most 2"]},
        ),
    ],
    "COST-11": [
        Case("baseline"),
        Case(
            "absolute-threshold-under-the-limit", set_("aws1-budget", "notifications.0.thresholdType", "ABSOLUTE_VALUE")
        ),
        Case(
            "config-thresholds-above-budget",
            config("budget.alertThresholdsPercent", [110, 150]),
            {"llm-fleet-prod": ["budget.alertThresholdsPercent is [110.0, 150.0]; expected one at or below 100"]},
        ),
        Case(
            "aws-notifications-above-budget",
            chain(
                set_("aws1-budget", "notifications.0.threshold", 120),
                set_("aws1-budget", "notifications.1.threshold", 150),
            ),
            {"aws1-budget": ["no notification at or below 100% of limitAmount"]},
        ),
        Case(
            "gcp-rules-above-budget",
            set_("gcp1-budget", "thresholdRules", [{"thresholdPercent": 1.2}]),
            {"gcp1-budget": ["thresholdRules thresholdPercent [1.2]; expected one at or below 1.0 (100%)"]},
        ),
        Case("iam-recipients-only", set_("gcp1-budget", "allUpdatesRule", {"disableDefaultIamRecipients": False})),
        Case(
            "nobody-notified",
            set_(
                "gcp1-budget",
                "allUpdatesRule",
                {"disableDefaultIamRecipients": True, "monitoringNotificationChannels": []},
            ),
            {
                "gcp1-budget": [
                    "allUpdatesRule notifies no channel, topic or billing admin; expected notification channels"
                ]
            },
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule(rule_id, case):
    check(rule_id, case)
