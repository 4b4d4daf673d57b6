"""Cases for the stack rules that join resources or read the stack config
(policy/rules/stack/{kubernetes,config,cost,reliability}) and the per-resource cost bounds
(aws/eks/node_group, gcp/container)."""

import pytest

from tests.policy.baseline import DIGEST, IMAGE
from tests.policy.harness import Case, add, attr, cases_params, chain, check, config, drop, remove, resource, set_

STACK = "llm-fleet-prod"
D, LWS = "dc1-server", "dc1-lws"
C = "spec.template.spec.containers.0"


def _dev(plan):
    """The baseline as a compliant dev stack: spot, scale to zero."""
    plan["config"]["environment"] = "dev"
    for target in plan["config"]["targets"]:
        for pool in target["gpuPools"]:
            if target["kind"] != "onprem":
                pool["capacityType"] = "spot"
                pool["nodes"]["min"] = 0
    for placement in plan["config"]["models"][0]["placements"]:
        if placement["target"] != "dc1":
            placement["replicas"]["min"] = 0
    nodepool = resource(plan, "aws1-h100")["props"]["spec"]["template"]["spec"]["requirements"][1]
    nodepool["values"] = ["spot"]
    gke = resource(plan, "gcp1-h100")["props"]
    gke["nodeConfig"]["spot"] = True
    gke["autoscaling"]["totalMinNodeCount"] = 0


def _dev_with(*changes):
    def change(plan):
        _dev(plan)
        for c in changes:
            c(plan)

    return change


CIP = "dc1-admission-serving-image-policy"
NOT_CHECKED = "(label policy.sigstore.dev/include=true missing)"
SERVER_PODS = {
    D: ["spec.template.spec"],
    LWS: ["spec.leaderWorkerTemplate.leaderTemplate.spec", "spec.leaderWorkerTemplate.workerTemplate.spec"],
}


def _uncovered(image, servers=(D, LWS)):
    return {
        name: [
            f"{where}: container 'server': no enforcing ClusterImagePolicy with a pinned signer covers image {image!r}"
            for where in SERVER_PODS[name]
        ]
        for name in servers
    }


def _not_copied(digest):
    repository = IMAGE.split("@", 1)[0]
    return {
        name: [
            f"{where}: container 'server': nothing copies {digest} into {repository!r} (the pods would not find it)"
            for where in SERVER_PODS[name]
        ]
        for name in (D, LWS)
    }


def _no_default_tags(plan):
    resource(plan, "aws1-aws")["props"].pop("defaultTags")


# COST-09 without the provider's default tags: every billable AWS resource that has no tags of its own.
UNTAGGED_AWS = {
    name: ["tags lacks llm-fleet-environment, llm-fleet-owner, llm-fleet-cost-center"]
    for name in (
        "aws1-cluster",
        "aws1-system",
        "aws1-nat",
        "aws1-cluster-logs",
        "aws1-alb",
        "aws1-waf",
        "aws1-serving",
    )
}

CASES = {
    "K8S-14": [
        Case("baseline"),
        Case(
            "two-policies",
            chain(
                set_("dc1-model-ns-deny", "spec.policyTypes", ["Ingress"]),
                add(
                    {
                        **{
                            "urn": "urn:extra",
                            "type": "kubernetes:networking.k8s.io/v1:NetworkPolicy",
                            "name": "dc1-egress",
                            "custom": True,
                            "parent": None,
                            "provider": "urn:pulumi:prod::llm-fleet::pulumi:providers:kubernetes::dc1-k8s",
                            "protect": False,
                        },
                        "props": {
                            "metadata": {"namespace": "llm-llama-8b"},
                            "spec": {"podSelector": {}, "policyTypes": ["Egress"]},
                        },
                    }
                ),
            ),
        ),
        Case(
            "ingress-only",
            set_("dc1-model-ns-deny", "spec.policyTypes", ["Ingress"]),
            {"dc1-model-ns": ["namespace 'llm-llama-8b' has no default-deny NetworkPolicy for Egress"]},
        ),
        Case(
            "allow-all",
            set_("dc1-model-ns-deny", "spec.ingress", [{}]),
            {"dc1-model-ns": ["namespace 'llm-llama-8b' has no default-deny NetworkPolicy for Ingress"]},
        ),
        Case(
            "other-cluster",
            attr("dc1-model-ns-deny", "provider", "urn:pulumi:prod::llm-fleet::pulumi:providers:kubernetes::aws1-k8s"),
            {"dc1-model-ns": ["namespace 'llm-llama-8b' has no default-deny NetworkPolicy for Ingress and Egress"]},
        ),
    ],
    "SUPPLY-01": [
        Case("baseline"),
        Case("ecr-image", set_(D, f"{C}.image", f"123456789012.dkr.ecr.us-east-1.amazonaws.com/aws1-serving@{DIGEST}")),
        Case(
            "artifact-registry",
            set_(D, f"{C}.image", f"us-central1-docker.pkg.dev/acme-prod-1/gcp1-serving/serving@{DIGEST}"),
        ),
        Case(
            "docker-hub",
            set_(D, f"{C}.image", f"vllm/vllm-openai@{DIGEST}"),
            {
                D: [
                    f"spec.template.spec: container 'server': image 'vllm/vllm-openai@{DIGEST}' is not from the stack's registries"
                ]
            },
        ),
        Case(
            "lookalike-registry",
            set_(D, f"{C}.image", f"registry.dc1.internal.evil/llm-fleet/serving@{DIGEST}"),
            {
                D: [
                    f"spec.template.spec: container 'server': image 'registry.dc1.internal.evil/llm-fleet/serving@{DIGEST}' is not "
                    "from the stack's registries"
                ]
            },
        ),
    ],
    "SUPPLY-04": [
        Case("baseline"),
        Case(
            "plain-token",
            config("models.0.source.token", {"value": "hf_" + "x" * 34}),
            {
                STACK: [
                    "config models[0].source.token.value holds a credential in plain text; expected a secret reference"
                ]
            },
        ),
    ],
    "SUPPLY-05": [
        Case("baseline"),
        Case(
            "unlisted-org",
            config("models.0.source.uri", "hf://someone/Llama-3.1-8B"),
            {
                STACK: [
                    "models[0] (llama-8b).source.uri 'hf://someone/Llama-3.1-8B' is not under an allowed source "
                    "['hf://meta-llama/', 'hf://Qwen/']"
                ]
            },
        ),
        Case(
            "branch",
            config("models.0.source.revision", "main"),
            {STACK: ["models[0] (llama-8b).source.revision 'main' is not a pinned 40-hex commit"]},
        ),
    ],
    "EDGE-01": [
        Case("baseline"),
        Case(
            "no-https",
            set_(
                "dc1-gateway",
                "spec.listeners",
                [{"name": "http", "protocol": "HTTP", "port": 80, "allowedRoutes": {"namespaces": {"from": "All"}}}],
            ),
            {
                "dc1-gateway": ["Gateway 'llm-gateway' has no HTTPS listener"],
                "dc1-api": [
                    "HTTPRoute 'llama-8b' serves plain HTTP on Gateway 'llm-gateway'; expected only a redirect to https"
                ],
                "dc1-health": [
                    "HTTPRoute 'llama-8b-health' serves plain HTTP on Gateway 'llm-gateway'; expected only a redirect to https"
                ],
            },
        ),
        Case(
            "no-certificate",
            drop("dc1-gateway", "spec.listeners.0.tls"),
            {"dc1-gateway": ["listener 'https' has no tls.certificateRefs"]},
        ),
        Case(
            "http-admits-all",
            set_("dc1-gateway", "spec.listeners.1.allowedRoutes.namespaces.from", "All"),
            {
                "dc1-api": [
                    "HTTPRoute 'llama-8b' serves plain HTTP on Gateway 'llm-gateway'; expected only a redirect to https"
                ],
                "dc1-health": [
                    "HTTPRoute 'llama-8b-health' serves plain HTTP on Gateway 'llm-gateway'; expected only a redirect to https"
                ],
            },
        ),
        Case("cloud-gateway-behind-lb-exempt", set_("gcp1-gke-gateway", "spec.listeners.0.protocol", "HTTP")),
    ],
    "EDGE-02": [
        Case("baseline"),
        Case(
            "gateway-wide-auth",
            chain(
                set_("dc1-auth", "metadata.namespace", "llm-edge"),
                set_(
                    "dc1-auth",
                    "spec.targetRefs",
                    [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "llm-gateway"}],
                ),
            ),
        ),
        Case(
            "cidr-only",
            drop("dc1-auth", "spec.apiKeyAuth"),
            {
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no SecurityPolicy with apiKeyAuth/jwt/oidc/extAuth/basicAuth"
                ]
            },
        ),
        Case(
            "catch-all-route",
            chain(remove("dc1-auth"), set_("dc1-health", "spec.rules.0.matches", [])),
            {
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no SecurityPolicy with apiKeyAuth/jwt/oidc/extAuth/basicAuth"
                ],
                "dc1-health": [
                    "HTTPRoute 'llama-8b-health' on Gateway 'llm-gateway' has no SecurityPolicy with "
                    "apiKeyAuth/jwt/oidc/extAuth/basicAuth"
                ],
            },
        ),
    ],
    "EDGE-03": [
        Case("baseline"),
        Case(
            "missing",
            remove("dc1-rate-limit"),
            {
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no BackendTrafficPolicy with rateLimit rules within the edge's limit"
                ]
            },
        ),
    ],
    "EDGE-04": [
        Case("baseline"),
        Case(
            "waf-off-in-config",
            config("targets.2.edge.waf", False),
            {STACK: ["targets.dc1.edge.waf is false; expected true"]},
        ),
        Case(
            "no-waf-policy",
            remove("dc1-waf"),
            {
                "dc1-api": [
                    "HTTPRoute 'llama-8b' on Gateway 'llm-gateway' has no blocking Coraza/OWASP CRS EnvoyExtensionPolicy"
                ]
            },
        ),
    ],
    "COST-02": [
        Case("baseline"),
        Case(
            "gpu-group-above-pool",
            chain(
                set_("aws1-system", "labels", {"llm-fleet.dev/gpu-pool": "h100"}),
                set_("aws1-system", "scalingConfig.maxSize", 5),
            ),
            {"aws1-system": ["scalingConfig.maxSize is 5; pool 'h100' allows at most 2 nodes"]},
        ),
        Case(
            "no-max",
            drop("aws1-system", "scalingConfig.maxSize"),
            {"aws1-system": ["scalingConfig.maxSize is not set; expected the pool's maximum"]},
        ),
    ],
    "COST-03": [
        Case("baseline"),
        Case(
            "per-zone-max-above-pool",
            chain(drop("gcp1-h100", "autoscaling.totalMaxNodeCount"), set_("gcp1-h100", "autoscaling.maxNodeCount", 2)),
            {"gcp1-h100": ["autoscaling allows 4 nodes; pool 'h100' allows at most 2"]},
        ),
        Case(
            "no-max",
            drop("gcp1-h100", "autoscaling.totalMaxNodeCount"),
            {"gcp1-h100": ["autoscaling has no totalMaxNodeCount or maxNodeCount (unbounded); expected a maximum"]},
        ),
        Case("fixed-size", chain(drop("gcp1-h100", "autoscaling"), set_("gcp1-h100", "nodeCount", 1))),
        Case(
            "neither",
            drop("gcp1-h100", "autoscaling"),
            {"gcp1-h100": ["neither autoscaling nor nodeCount is set; expected autoscaling.totalMaxNodeCount"]},
        ),
    ],
    "COST-04": [
        Case("baseline"),
        Case(
            "nap-capped",
            set_(
                "gcp1-cluster",
                "clusterAutoscaling",
                {
                    "enabled": True,
                    "resourceLimits": [
                        {"resourceType": "cpu", "maximum": 256},
                        {"resourceType": "memory", "maximum": 2048},
                        {"resourceType": "nvidia-h100-80gb", "maximum": 16},
                    ],
                },
            ),
        ),
        Case(
            "nap-uncapped-gpus",
            set_(
                "gcp1-cluster",
                "clusterAutoscaling",
                {
                    "enabled": True,
                    "resourceLimits": [
                        {"resourceType": "cpu", "maximum": 256},
                        {"resourceType": "memory", "maximum": 2048},
                    ],
                },
            ),
            {
                "gcp1-cluster": [
                    "clusterAutoscaling.resourceLimits has no maximum for any nvidia-* GPU; expected one per GPU type"
                ]
            },
        ),
    ],
    "COST-05": [
        Case("baseline"),
        Case(
            "no-allow-list",
            config("policy.allowedInstanceTypes", []),
            {STACK: ["policy.allowedInstanceTypes is empty in prod (any instance type); expected the reviewed list"]},
        ),
        Case(
            "config-pool",
            config("targets.0.gpuPools.0.instanceTypes", ["p5.48xlarge", "p4d.24xlarge"]),
            {
                STACK: [
                    "targets.aws1.gpuPools.h100.instanceTypes has ['p4d.24xlarge']; allowed: ['a3-highgpu-8g', 'p5.48xlarge']"
                ]
            },
        ),
        Case(
            "karpenter",
            set_("aws1-h100", "spec.template.spec.requirements.0.values", ["p4d.24xlarge"]),
            {
                "aws1-h100": [
                    "instance types ['p4d.24xlarge'] are not allowed; allowed: ['a3-highgpu-8g', 'p5.48xlarge']"
                ]
            },
        ),
        Case(
            "karpenter-families",
            set_(
                "aws1-h100",
                "spec.template.spec.requirements.0",
                {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["p5"]},
            ),
            {
                "aws1-h100": [
                    "GPU NodePool has no node.kubernetes.io/instance-type In requirement; the allow-list cannot hold"
                ]
            },
        ),
        Case(
            "gke",
            set_("gcp1-h100", "nodeConfig.machineType", "a2-ultragpu-1g"),
            {
                "gcp1-h100": [
                    "nodeConfig.machineType 'a2-ultragpu-1g' is not allowed; allowed: ['a3-highgpu-8g', 'p5.48xlarge']"
                ]
            },
        ),
        Case("system-pool-exempt", set_("aws1-system", "instanceTypes", ["m7i.2xlarge"])),
    ],
    "COST-06": [
        Case("prod-exempt"),
        Case("dev-compliant", _dev),
        Case(
            "dev-on-demand",
            _dev_with(
                config("targets.0.gpuPools.0.capacityType", "on-demand"),
                set_("aws1-h100", "spec.template.spec.requirements.1.values", ["spot", "on-demand"]),
            ),
            {
                STACK: ["targets.aws1.gpuPools.h100.capacityType is 'on-demand'; expected 'spot' in dev"],
                "aws1-h100": ["karpenter.sh/capacity-type is ['spot', 'on-demand']; expected ['spot'] in dev"],
            },
        ),
        Case(
            "dev-warm-replica",
            _dev_with(config("models.0.placements.2.replicas.min", 1)),
            {STACK: ["models.llama-8b.placements[gcp1].replicas.min is 1; expected 0 in dev"]},
        ),
        Case(
            "dev-gke-floor",
            _dev_with(set_("gcp1-h100", "autoscaling.totalMinNodeCount", 1)),
            {"gcp1-h100": ["autoscaling minimum is 1; expected 0 in dev"]},
        ),
    ],
    "COST-07": [
        Case("baseline"),
        Case(
            "over-budget",
            config("budget.monthlyUsd", 50_000),
            {STACK: ["monthly ceiling $156,799 exceeds budget.monthlyUsd $50,000 (floor $85,179, expected $85,179)"]},
        ),
    ],
    "COST-08": [
        Case("baseline"),
        Case(
            "no-aws-budget",
            remove("aws1-budget"),
            {STACK: ["the stack has an aws target but no aws:budgets/budget:Budget"]},
        ),
        Case(
            "actual-only",
            set_("aws1-budget", "notifications.1.subscriberEmailAddresses", []),
            {"aws1-budget": ["no FORECASTED notification with a subscriber"]},
        ),
        Case(
            "over-stack-budget",
            set_("aws1-budget", "limitAmount", "2000000"),
            {"aws1-budget": ["limitAmount 2e+06 exceeds budget.monthlyUsd 1e+06"]},
        ),
        Case(
            "no-gcp-budget",
            remove("gcp1-budget"),
            {STACK: ["billing account 01A2B3-C4D5E6-F7A8B9 has no gcp:billing/budget:Budget"]},
        ),
        Case(
            "gcp-no-forecast",
            set_("gcp1-budget", "thresholdRules", [{"thresholdPercent": 1.0}]),
            {"gcp1-budget": ["no threshold rule on FORECASTED_SPEND"]},
        ),
    ],
    "COST-09": [
        Case("baseline"),
        Case("provider-default-tags-cover", drop("aws1-system", "tags")),
        Case(
            "untagged",
            chain(_no_default_tags, drop("aws1-system", "tags")),
            UNTAGGED_AWS,
        ),
        Case(
            "wrong-owner",
            set_("gcp1-weights", "labels.llm-fleet-owner", "someone"),
            {"gcp1-weights": ["labels has llm-fleet-owner='someone' (expected 'ml-platform')"]},
        ),
        Case(
            "karpenter-node-tags",
            drop("aws1-h100-class", "spec.tags"),
            {"aws1-h100-class": ["spec.tags lacks llm-fleet-environment, llm-fleet-owner, llm-fleet-cost-center"]},
        ),
        Case(
            "untagged-alb-alias-token",
            chain(
                _no_default_tags,
                drop("aws1-system", "tags"),
                attr("aws1-alb", "type", "aws:alb/loadBalancer:LoadBalancer"),
            ),
            UNTAGGED_AWS,
        ),
    ],
    "CAP-01": [
        Case("baseline"),
        Case(
            "peak-beyond-max-replicas",
            config(
                "models.0.traffic",
                {"promptTokens": 2000, "outputTokens": 400, "peakRequestsPerSecond": 150, "sharedPrefixPercent": 0},
            ),
            {
                STACK: [
                    "models.llama-8b on aws1/h100: peak 50 req/s (33% of the model's) of 2,000 in / 400 out needs 6 replicas within the SLOs (9.09 req/s each at batch 173, 47 ms/token, bound by kv cache); replicas.max is 2",
                    "models.llama-8b on dc1/h100: peak 50 req/s (33% of the model's) of 2,000 in / 400 out needs 6 replicas within the SLOs (9.09 req/s each at batch 173, 47 ms/token, bound by kv cache); replicas.max is 4",
                    "models.llama-8b on gcp1/h100: peak 50 req/s (33% of the model's) of 2,000 in / 400 out needs 6 replicas within the SLOs (9.09 req/s each at batch 173, 47 ms/token, bound by kv cache); replicas.max is 2",
                ]
            },
        ),
        Case(
            "itl-slo-no-batch-meets",
            config("models.0.slo", {"ttftP95Ms": 2000, "itlP95Ms": 5}),
            {
                STACK: [
                    "models.llama-8b on aws1/h100: no batch meets the SLOs for 1,024 in / 256 out: one stream already takes 6.5 ms/token (itlP95Ms 5) and 35 ms to the first token (ttftP95Ms 2000)",
                    "models.llama-8b on dc1/h100: no batch meets the SLOs for 1,024 in / 256 out: one stream already takes 6.5 ms/token (itlP95Ms 5) and 35 ms to the first token (ttftP95Ms 2000)",
                    "models.llama-8b on gcp1/h100: no batch meets the SLOs for 1,024 in / 256 out: one stream already takes 6.5 ms/token (itlP95Ms 5) and 35 ms to the first token (ttftP95Ms 2000)",
                ]
            },
        ),
        Case(
            "idle-minimum",
            chain(
                config("models.0.placements.0.replicas", {"min": 4, "max": 4}),
                config("models.0.traffic", {"peakRequestsPerSecond": 0.5}),
            ),
            {
                STACK: [
                    "models.llama-8b on dc1/h100: replicas.min 4 is more than 2x the 1 replica(s) its peak 0.167 req/s needs: idle GPUs are paid for",
                ]
            },
        ),
        Case(
            "routing-share-decides",
            chain(
                config(
                    "models.0.traffic",
                    {"promptTokens": 2000, "outputTokens": 400, "peakRequestsPerSecond": 60, "sharedPrefixPercent": 0},
                ),
                config(
                    "routing",
                    [
                        {
                            "hostname": "api.example.com",
                            "dnsZone": "example.com",
                            "mode": "weighted",
                            "models": ["llama-8b"],
                            "endpoints": [{"target": "dc1", "weight": 90}, {"target": "aws1", "weight": 10}],
                        }
                    ],
                ),
            ),
            {
                STACK: [
                    "models.llama-8b on dc1/h100: peak 54 req/s (90% of the model's) of 2,000 in / 400 out needs 6 replicas within the SLOs (9.09 req/s each at batch 173, 47 ms/token, bound by kv cache); replicas.max is 4",
                ]
            },
        ),
    ],
    "REL-01": [
        Case("baseline"),
        Case(
            "too-long-for-the-gpu",
            chain(
                config("targets.0.gpuPools.0.instanceTypes", ["g6.xlarge"]),
                config("models.0.maxModelLen", 131072),
                config("models.0.placements.1.tensorParallel", 1),
            ),
            {
                STACK: [
                    "models.llama-8b on aws1/h100: does not fit: the KV cache (3.07 GiB per GPU) holds 25,136 tokens, "
                    "fewer than one sequence of max_model_len 131,072"
                ]
            },
        ),
        Case(
            "group-of-whole-nodes",
            chain(config("targets.2.gpuPools.0.gpusPerNode", 4), config("models.0.placements.0.tensorParallel", 8)),
        ),
        Case(
            "group-not-whole-nodes",
            chain(config("targets.2.gpuPools.0.gpusPerNode", 3), config("models.0.placements.0.tensorParallel", 4)),
            {
                STACK: [
                    "models.llama-8b on dc1/h100: one server needs 4 GPUs (tp=4), which do not split evenly over nodes of 3"
                ]
            },
        ),
        Case(
            "group-wider-than-pool",
            chain(
                config("targets.2.gpuPools.0.gpusPerNode", 2),
                config("targets.2.gpuPools.0.nodes", {"min": 2, "max": 3}),
                config("models.0.placements.0.tensorParallel", 8),
            ),
            {STACK: ["models.llama-8b on dc1/h100: one server spans 4 nodes of 2 GPUs but the pool has at most 3"]},
        ),
        Case(
            "invalid-tp",
            config("models.0.placements.0.tensorParallel", 16),
            {
                STACK: [
                    "models.llama-8b on dc1/h100: tp: 16 is not a valid tensor-parallel size for llama-3.1-8b (32 attention "
                    "heads, 8 KV heads; allowed: 1, 2, 4, 8)"
                ]
            },
        ),
    ],
    "REL-07": [
        Case("baseline"),
        Case("minimum-exactly-fills-the-pool", chain(config("models.0.placements.0.tensorParallel", 8))),
        Case(
            "minimum-beyond-the-pool",
            chain(config("models.0.placements.0.tensorParallel", 8), config("models.0.placements.0.replicas.min", 3)),
            {
                STACK: [
                    "pool dc1/h100: the minimum replicas of llama-8b (3 x 8 GPU) need at least 3 nodes but nodes.max is 2"
                ]
            },
        ),
        Case(
            "groups-take-whole-nodes",
            chain(
                config("targets.2.gpuPools.0.gpusPerNode", 4),
                config("targets.2.gpuPools.0.nodes", {"min": 2, "max": 3}),
                config("models.0.placements.0.tensorParallel", 8),
            ),
            {
                STACK: [
                    "pool dc1/h100: the minimum replicas of llama-8b (2 x 8 GPU) need at least 4 nodes but nodes.max is 3"
                ]
            },
        ),
    ],
    "REL-04": [
        Case("baseline"),
        Case("dev-exempt", chain(config("environment", "dev"), remove("dc1-server-pdb"))),
        Case(
            "missing", remove("dc1-server-pdb"), {D: ["no PodDisruptionBudget selects the pods of 'llama-8b-server'"]}
        ),
        Case(
            "selects-other-pods",
            set_("dc1-lws-pdb", "spec.selector.matchLabels", {"app": "other"}),
            {LWS: ["no PodDisruptionBudget selects the pods of 'llama-70b-server'"]},
        ),
    ],
    "REL-05": [
        Case("baseline"),
        Case(
            "no-spread",
            drop(D, "spec.template.spec.topologySpreadConstraints"),
            {D: ["spec.template.spec: no topology spread on kubernetes.io/hostname or topology.kubernetes.io/zone"]},
        ),
        Case(
            "anti-affinity-counts",
            chain(
                drop(D, "spec.template.spec.topologySpreadConstraints"),
                set_(
                    D,
                    "spec.template.spec.affinity",
                    {
                        "podAntiAffinity": {
                            "preferredDuringSchedulingIgnoredDuringExecution": [
                                {"weight": 100, "podAffinityTerm": {"topologyKey": "topology.kubernetes.io/zone"}}
                            ]
                        }
                    },
                ),
            ),
        ),
    ],
    "REL-06": [
        Case("baseline"),
        Case(
            "unprotected-key",
            attr("gcp1-key", "protect", False),
            {"gcp1-key": ["protect is false; expected protect=True"]},
        ),
        Case(
            "unprotected-bucket",
            attr("aws1-logs", "protect", False),
            {"aws1-logs": ["protect is false; expected protect=True"]},
        ),
    ],
    "IMG-01": [
        Case("baseline"),
        Case("dev-needs-no-check", chain(config("environment", "dev"), remove("dc1-admission-serving-image-policy"))),
        Case(
            "namespace-not-checked",
            set_("dc1-model-ns", ("metadata", "labels", "policy.sigstore.dev/include"), "false"),
            {
                D: [
                    f"spec.template.spec: container 'server': namespace 'llm-llama-8b' is not checked at admission {NOT_CHECKED}"
                ],
                LWS: [
                    f"spec.leaderWorkerTemplate.leaderTemplate.spec: container 'server': namespace 'llm-llama-8b' is not checked at admission {NOT_CHECKED}",
                    f"spec.leaderWorkerTemplate.workerTemplate.spec: container 'server': namespace 'llm-llama-8b' is not checked at admission {NOT_CHECKED}",
                ],
            },
        ),
        Case("policy-in-warn-mode", set_(CIP, "spec.mode", "warn"), _uncovered(IMAGE)),
        Case("no-policy", remove(CIP), _uncovered(IMAGE)),
        Case(
            "policy-for-another-repository", set_(CIP, "spec.images", [{"glob": "ghcr.io/acme/**"}]), _uncovered(IMAGE)
        ),
        Case(
            "any-signer-accepted",
            set_(
                CIP,
                "spec.authorities.0.keyless.identities",
                [{"issuer": "https://token.actions.githubusercontent.com", "subjectRegExp": ".*"}],
            ),
            _uncovered(IMAGE),
        ),
        Case(
            "anchored-signer-pattern",
            set_(
                CIP,
                "spec.authorities.0.keyless.identities",
                [
                    {
                        "issuer": "https://token.actions.githubusercontent.com",
                        "subjectRegExp": "^https://github\\.com/acme/llm-fleet/",
                    }
                ],
            ),
        ),
        Case(
            "unsigned-image-elsewhere",
            set_(D, f"{C}.image", f"ghcr.io/acme/other@{DIGEST}"),
            _uncovered(f"ghcr.io/acme/other@{DIGEST}", servers=(D,)),
        ),
    ],
    "IMG-02": [
        Case("baseline"),
        Case(
            "image-is-the-source",
            chain(remove("dc1-image-copy"), config("image.source", "registry.dc1.internal/llm-fleet/serving")),
        ),
        Case("dev-builds-its-own", chain(config("environment", "dev"), remove("dc1-image-copy"))),
        Case("no-copy", remove("dc1-image-copy"), _not_copied(DIGEST)),
        Case(
            "copy-of-another-digest",
            set_("dc1-image-copy", "environment.DIGEST", "sha256:" + "0" * 64),
            _not_copied(DIGEST),
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
