"""GPU capacity: Karpenter (Helm, IAM, interruption queue) and per pool an EC2NodeClass and a
NodePool with IMDSv2, encrypted gp3 root volumes, the GPU taint and a hard GPU limit."""

from __future__ import annotations

import json

from infra import versions
from infra.targets import POOL_LABEL
from serving.catalog import get_instance
from tests.aws.conftest import AwsView, policy


def pools(view: AwsView) -> dict[str, dict]:
    return {p["name"]: p for p in view.config["gpuPools"]}


def test_karpenter_release_is_pinned_and_wired_to_the_cluster_and_queue(any_aws: AwsView) -> None:
    release = any_aws.named("karpenter", "kubernetes:helm.sh/v3:Release")
    assert release.props["chart"] == versions.KARPENTER.chart
    assert release.props["version"] == versions.KARPENTER.version
    assert release.props["namespace"] == "kube-system"
    settings = release.props["values"]["settings"]
    queue = any_aws.one("aws:sqs/queue:Queue")
    assert settings["clusterName"] == any_aws.one("aws:eks/cluster:Cluster").props["name"]
    assert settings["interruptionQueue"] == queue.props["name"]
    assert release.props["values"]["nodeSelector"] == {"llm-fleet.dev/node-role": "system"}


def test_interruption_queue_is_encrypted_and_fed_by_four_eventbridge_rules(any_aws: AwsView) -> None:
    queue = any_aws.one("aws:sqs/queue:Queue")
    assert queue.props["sqsManagedSseEnabled"] is True
    rules = any_aws.of_type("aws:cloudwatch/eventRule:EventRule")
    assert len(rules) == 4
    detail_types = {t for r in rules for t in json.loads(r.props["eventPattern"])["detail-type"]}
    assert detail_types == {
        "AWS Health Event",
        "EC2 Spot Instance Interruption Warning",
        "EC2 Instance Rebalance Recommendation",
        "EC2 Instance State-change Notification",
    }
    queue_arn = any_aws.output(queue, "arn")
    targets = any_aws.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert len(targets) == 4 and all(t.props["arn"] == queue_arn for t in targets)
    queue_policy = policy(any_aws.one("aws:sqs/queuePolicy:QueuePolicy"))["Statement"]
    allow = next(s for s in queue_policy if s["Effect"] == "Allow")
    assert allow["Principal"] == {"Service": "events.amazonaws.com"}
    assert len(allow["Condition"]["ArnEquals"]["aws:SourceArn"]) == 4
    deny = next(s for s in queue_policy if s["Effect"] == "Deny")
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_controller_identity_is_scoped_to_this_cluster(any_aws: AwsView) -> None:
    association = next(
        a for a in any_aws.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if a.props["serviceAccount"] == "karpenter"
    )
    assert association.props["namespace"] == "kube-system"
    statements = policy(any_aws.named("karpenter-controller", "aws:iam/rolePolicy:RolePolicy"))["Statement"]
    cluster = any_aws.one("aws:eks/cluster:Cluster").props["name"]
    delete = next(s for s in statements if s["Sid"] == "AllowScopedDeletion")
    assert delete["Condition"]["StringEquals"] == {f"aws:ResourceTag/kubernetes.io/cluster/{cluster}": "owned"}
    passrole = next(s for s in statements if s["Sid"] == "AllowPassingInstanceRole")
    assert passrole["Resource"] == [any_aws.output(any_aws.named("karpenter-node", "aws:iam/role:Role"), "arn")]
    assert not any(s["Action"] == ["*"] or s["Action"] == ["ec2:*"] for s in statements)


def test_karpenter_nodes_join_through_an_ec2_linux_access_entry(any_aws: AwsView) -> None:
    entry = any_aws.named("karpenter-node", "aws:eks/accessEntry:AccessEntry")
    assert entry.props["type"] == "EC2_LINUX"
    assert entry.props["principalArn"] == any_aws.output(any_aws.named("karpenter-node", "aws:iam/role:Role"), "arn")


def test_one_nodeclass_per_pool_with_imdsv2_and_an_encrypted_gp3_root_volume(any_aws: AwsView) -> None:
    classes = {c.props["metadata"]["name"]: c for c in any_aws.of_type("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")}
    assert set(classes) == set(pools(any_aws))
    node_role = any_aws.named("karpenter-node", "aws:iam/role:Role")
    for name, pool in pools(any_aws).items():
        spec = classes[name].props["spec"]
        assert spec["metadataOptions"]["httpTokens"] == "required"
        assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert spec["associatePublicIPAddress"] is False
        [root] = spec["blockDeviceMappings"]
        assert root["rootVolume"] is True
        assert root["ebs"]["volumeSize"] == f"{pool.get('diskGib', 200)}Gi"
        assert root["ebs"]["volumeType"] == "gp3"
        assert root["ebs"]["encrypted"] is True
        assert root["ebs"]["kmsKeyID"] == any_aws.key_arn("ebs")
        assert spec["subnetSelectorTerms"] == [
            {"tags": {"karpenter.sh/discovery": any_aws.one("aws:eks/cluster:Cluster").props["name"],
                      "llm-fleet.dev/subnet-tier": "private"}}
        ]
        assert spec["role"] == node_role.name
        assert spec["amiSelectorTerms"] == [{"alias": versions.KARPENTER_AMI_ALIAS}]
        assert spec["tags"]["llm-fleet-environment"] == any_aws.environment


def test_nodepools_carry_the_pool_shape_taint_label_and_a_hard_gpu_limit(any_aws: AwsView) -> None:
    nodepools = {p.props["metadata"]["name"]: p for p in any_aws.of_type("kubernetes:karpenter.sh/v1:NodePool")}
    assert set(nodepools) == set(pools(any_aws))
    for name, pool in pools(any_aws).items():
        spec = nodepools[name].props["spec"]
        template = spec["template"]
        requirements = {r["key"]: r["values"] for r in template["spec"]["requirements"]}
        assert requirements["node.kubernetes.io/instance-type"] == pool["instanceTypes"]
        assert requirements["karpenter.sh/capacity-type"] == [pool.get("capacityType", "on-demand")]
        if pool.get("zones"):
            assert requirements["topology.kubernetes.io/zone"] == pool["zones"]
        assert template["spec"]["taints"] == [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}]
        assert template["metadata"]["labels"] == {POOL_LABEL: name}
        assert template["spec"]["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": name}
        gpus = get_instance("aws", pool["instanceTypes"][0]).gpu_count
        assert spec["limits"] == {"nvidia.com/gpu": pool["nodes"]["max"] * gpus}
        assert spec["disruption"]["consolidationPolicy"] in {"WhenEmpty", "WhenEmptyOrUnderutilized"}
        assert spec["disruption"]["consolidateAfter"]


def test_prod_h100_pool_is_capped_at_sixteen_gpus(prod_aws: AwsView) -> None:
    h100 = next(p for p in prod_aws.of_type("kubernetes:karpenter.sh/v1:NodePool") if p.props["metadata"]["name"] == "h100")
    assert h100.props["spec"]["limits"] == {"nvidia.com/gpu": 16}


def test_device_plugin_runs_only_on_gpu_pools(any_aws: AwsView) -> None:
    release = any_aws.named("karpenter-nvidia-device-plugin", "kubernetes:helm.sh/v3:Release")
    assert release.props["version"] == versions.NVIDIA_DEVICE_PLUGIN.version
    values = release.props["values"]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": POOL_LABEL, "operator": "Exists"}]}]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in values["tolerations"]
