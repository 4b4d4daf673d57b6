"""Cases for the pod-template rules (policy/rules/kubernetes/workload), namespaces and objects
(kubernetes/core, kubernetes/object) and the Karpenter NodePool limit (kubernetes/karpenter_sh).

The same checks run on Deployments, Jobs and LeaderWorkerSets (custom resources): cases
change the LeaderWorkerSet's worker template too."""

import pytest

from tests.policy.harness import Case, add, cases_params, chain, check, drop, set_

D = "dc1-server"
C = "spec.template.spec.containers.0"
P = "spec.template.spec"
LWS = "dc1-lws"
LW = "spec.leaderWorkerTemplate.workerTemplate.spec"
WHERE = "spec.template.spec: container 'server'"
LWHERE = "spec.leaderWorkerTemplate.workerTemplate.spec: container 'server'"
JOB = "dc1-stage"
NS = "dc1-model-ns"

CASES = {
    "K8S-01": [
        Case("baseline"),
        Case("pod-level-only", drop(D, f"{C}.securityContext.runAsNonRoot")),
        Case(
            "root",
            chain(
                drop(D, f"{C}.securityContext.runAsNonRoot"),
                drop(D, f"{P}.securityContext.runAsNonRoot"),
                set_(D, f"{C}.securityContext.runAsUser", 0),
            ),
            {
                D: [
                    f"{WHERE}: securityContext.runAsNonRoot is not true; expected true",
                    f"{WHERE}: securityContext.runAsUser is 0; expected a non-zero UID",
                ]
            },
        ),
        Case(
            "lws-worker-root",
            set_(LWS, f"{LW}.containers.0.securityContext.runAsNonRoot", False),
            {LWS: [f"{LWHERE}: securityContext.runAsNonRoot is not true; expected true"]},
        ),
    ],
    "K8S-02": [
        Case("baseline"),
        Case(
            "escalation",
            drop(D, f"{C}.securityContext.allowPrivilegeEscalation"),
            {D: [f"{WHERE}: securityContext.allowPrivilegeEscalation is not false; expected false"]},
        ),
        Case(
            "privileged",
            set_(D, f"{C}.securityContext.privileged", True),
            {D: [f"{WHERE}: securityContext.privileged is true; expected false"]},
        ),
    ],
    "K8S-03": [
        Case("baseline"),
        Case(
            "no-drop",
            drop(D, f"{C}.securityContext.capabilities"),
            {D: [f"{WHERE}: securityContext.capabilities.drop does not contain 'ALL'; expected ['ALL']"]},
        ),
        Case(
            "add",
            set_(D, f"{C}.securityContext.capabilities.add", ["NET_ADMIN"]),
            {D: [f"{WHERE}: securityContext.capabilities.add is ['NET_ADMIN']; expected none"]},
        ),
    ],
    "K8S-04": [
        Case("baseline"),
        Case(
            "unconfined",
            chain(
                set_(D, f"{P}.securityContext.seccompProfile.type", "Unconfined"),
                drop(D, f"{C}.securityContext.seccompProfile"),
            ),
            {D: [f"{WHERE}: securityContext.seccompProfile.type is 'Unconfined'; expected 'RuntimeDefault'"]},
        ),
        Case(
            "container-overrides-pod",
            set_(D, f"{C}.securityContext.seccompProfile", {"type": "Unconfined"}),
            {D: [f"{WHERE}: securityContext.seccompProfile.type is 'Unconfined'; expected 'RuntimeDefault'"]},
        ),
    ],
    "K8S-05": [
        Case("baseline"),
        Case(
            "writable",
            set_(D, f"{C}.securityContext.readOnlyRootFilesystem", False),
            {D: [f"{WHERE}: securityContext.readOnlyRootFilesystem is not true; expected true"]},
        ),
    ],
    "K8S-06": [
        Case("baseline"),
        Case(
            "no-limits",
            drop(D, f"{C}.resources.limits"),
            {D: [f"{WHERE}: resources limits.cpu, limits.memory not set; expected cpu and memory requests and limits"]},
        ),
        Case(
            "job-no-memory-request",
            drop(JOB, f"{P}.containers.0.resources.requests.memory"),
            {
                JOB: [
                    "spec.template.spec: container 'stage': resources requests.memory not set; expected cpu and memory requests and limits"
                ]
            },
        ),
    ],
    "K8S-07": [
        Case("baseline"),
        Case(
            "tag",
            set_(D, f"{C}.image", "registry.dc1.internal/llm-fleet/serving:0.32.0"),
            {
                D: [
                    f"{WHERE}: image 'registry.dc1.internal/llm-fleet/serving:0.32.0' is not pinned by digest; expected <repository>@sha256:<digest>"
                ]
            },
        ),
        Case(
            "latest-in-lws",
            set_(LWS, f"{LW}.containers.0.image", "vllm/vllm-openai:latest"),
            {
                LWS: [
                    f"{LWHERE}: image 'vllm/vllm-openai:latest' is not pinned by digest; expected <repository>@sha256:<digest>"
                ]
            },
        ),
    ],
    "K8S-08": [
        Case("baseline"),
        Case(
            "host-network",
            set_(D, f"{P}.hostNetwork", True),
            {D: ["spec.template.spec: hostNetwork is true; expected false"]},
        ),
        Case(
            "host-path",
            set_(D, f"{P}.volumes.1", {"name": "tmp", "hostPath": {"path": "/tmp"}}),
            {D: ["spec.template.spec: volume 'tmp' is a hostPath; expected none"]},
        ),
    ],
    "K8S-09": [
        Case("baseline"),
        Case(
            "automount",
            drop(D, f"{P}.automountServiceAccountToken"),
            {D: ["spec.template.spec: automountServiceAccountToken is not false; expected false"]},
        ),
    ],
    "K8S-10": [
        Case("baseline"),
        Case(
            "default",
            set_(D, f"{P}.serviceAccountName", "default"),
            {D: ["spec.template.spec: serviceAccountName is 'default'; expected a dedicated service account"]},
        ),
        Case(
            "unset",
            drop(JOB, f"{P}.serviceAccountName"),
            {JOB: ["spec.template.spec: serviceAccountName is None; expected a dedicated service account"]},
        ),
    ],
    "K8S-11": [
        Case("baseline"),
        Case("no-liveness", drop(D, f"{C}.livenessProbe"), {D: [f"{WHERE}: livenessProbe is not set; expected one"]}),
    ],
    "K8S-12": [
        Case("baseline"),
        Case(
            "default-ns",
            set_("dc1-spec", "metadata.namespace", "default"),
            {"dc1-spec": ["metadata.namespace is 'default'; expected a dedicated namespace"]},
        ),
        Case(
            "unset-ns",
            drop("dc1-rate-limit", "metadata.namespace"),
            {"dc1-rate-limit": ["metadata.namespace is None; expected a dedicated namespace"]},
        ),
        Case(
            "cluster-scoped-custom-kind",
            add(
                {
                    "urn": "urn:pulumi:prod::llm-fleet::kubernetes:monitoring.googleapis.com/v1:ClusterRules::dc1-rules",
                    "type": "kubernetes:monitoring.googleapis.com/v1:ClusterRules",
                    "name": "dc1-rules",
                    "custom": True,
                    "parent": None,
                    "provider": None,
                    "protect": False,
                    "props": {"metadata": {"name": "gpu"}, "spec": {}},
                }
            ),
        ),
        Case(
            "helm-default",
            drop("dc1-gpu-operator", "namespace"),
            {"dc1-gpu-operator": ["namespace is None; expected the release's own namespace"]},
        ),
    ],
    "K8S-13": [
        Case("baseline"),
        Case(
            "justified-privileged",  # a system namespace (no model server in it)
            chain(
                set_(NS, "metadata.name", "gpu-operator"),
                set_(NS, "metadata.labels", {"pod-security.kubernetes.io/enforce": "privileged"}),
                set_(
                    NS,
                    "metadata.annotations",
                    {"llm-fleet.dev/pod-security-exception": "GPU Operator needs host access"},
                ),
            ),
        ),
        Case(
            "baseline-level",
            set_(NS, "metadata.labels", {"pod-security.kubernetes.io/enforce": "baseline"}),
            {
                NS: [
                    "label pod-security.kubernetes.io/enforce is 'baseline' in a namespace that runs model servers; "
                    "expected 'restricted' (no exception)"
                ]
            },
        ),
        Case(
            "unlabelled",
            set_(NS, "metadata.labels", {}),
            {
                NS: [
                    "label pod-security.kubernetes.io/enforce is not set in a namespace that runs model servers; "
                    "expected 'restricted' (no exception)"
                ]
            },
        ),
    ],
    "COST-01": [
        Case("baseline"),
        Case(
            "unbounded",
            drop("aws1-h100", "spec.limits"),
            {"aws1-h100": ["spec.limits is not set (unbounded capacity); expected a limit"]},
        ),
        Case(
            "cpu-limit-only",
            set_("aws1-h100", "spec.limits", {"cpu": "1000"}),
            {
                "aws1-h100": [
                    "spec.limits['nvidia.com/gpu'] is not set on a GPU NodePool; expected the pool's GPU ceiling"
                ]
            },
        ),
        Case(
            "above-pool",
            set_("aws1-h100", ("spec", "limits", "nvidia.com/gpu"), 64),
            {"aws1-h100": ["spec.limits['nvidia.com/gpu'] is 64; pool 'h100' allows at most 2 nodes x 8 GPUs = 16"]},
        ),
    ],
    "SUPPLY-02": [
        Case("baseline"),
        Case(
            "literal-key",
            set_(D, f"{C}.env.0", {"name": "VLLM_API_KEY", "value": "not-a-real-key"}),
            {D: [f"{WHERE}: env VLLM_API_KEY is a literal value; expected valueFrom.secretKeyRef"]},
        ),
        Case(
            "hf-token-under-any-name",
            set_(D, f"{C}.env.1", {"name": "EXTRA", "value": "hf_" + "a" * 34}),
            {D: [f"{WHERE}: env EXTRA holds a literal credential; expected valueFrom.secretKeyRef"]},
        ),
        Case("token-path-is-fine", set_(D, f"{C}.env.1", {"name": "HF_TOKEN_PATH", "value": "/secrets/hf"})),
    ],
    "SUPPLY-03": [
        Case("baseline"),
        Case(
            "password-key",
            set_("dc1-spec", "data.password", "hunter2hunter2"),
            {"dc1-spec": ["data.password holds a credential; expected a Secret"]},
        ),
        Case(
            "aws-key-in-helm",
            set_("dc1-gpu-operator", "values.driver.accessKey", "AKIA" + "ABCDEFGHIJKLMNOP"),
            {"dc1-gpu-operator": ["values.driver.accessKey holds a credential; expected a Secret reference"]},
        ),
        Case("redacted-helm-secret", set_("dc1-gpu-operator", "values.driver.password", "[secret]")),
    ],
    "REL-02": [
        Case("baseline"),
        Case(
            "short-startup",
            set_(D, f"{C}.startupProbe.failureThreshold", 30),
            {D: [f"{WHERE}: startupProbe allows 300 s; expected at least 600 s for model load"]},
        ),
        Case(
            "no-startup",
            drop(LWS, f"{LW}.containers.0.startupProbe"),
            {LWS: [f"{LWHERE}: startupProbe is not set; expected one with a budget of at least 600 s"]},
        ),
        Case(
            "hair-trigger-liveness",
            set_(D, f"{C}.livenessProbe.failureThreshold", 1),
            {D: [f"{WHERE}: livenessProbe.failureThreshold is 1; expected at least 3"]},
        ),
        Case("cpu-containers-exempt", drop(JOB, f"{P}.containers.0.startupProbe")),
    ],
    "REL-03": [
        Case("baseline"),
        Case(
            "no-prestop",
            drop(D, f"{C}.lifecycle"),
            {
                D: [
                    f"{WHERE}: lifecycle.preStop is not set; expected a sleep so the endpoint is removed before shutdown"
                ]
            },
        ),
        Case(
            "short-grace",
            set_(D, f"{P}.terminationGracePeriodSeconds", 30),
            {
                D: [
                    f"{WHERE}: terminationGracePeriodSeconds is 30; expected at least 75 (preStop + shutdown timeout + 15 s)"
                ]
            },
        ),
        Case(
            "exec-sleep",
            chain(set_(D, f"{C}.lifecycle.preStop", {"exec": {"command": ["sh", "-c", "sleep 60"]}})),
            {
                D: [
                    f"{WHERE}: terminationGracePeriodSeconds is 90; expected at least 120 (preStop + shutdown timeout + 15 s)"
                ]
            },
        ),
    ],
    "K8S-18": [
        Case("baseline"),
        Case("switch-off-elsewhere", set_(D, f"{C}.env.1", {"name": "LLMFLEET_TEST_ON_CPUS", "value": "1"})),
        Case(
            "server-env",
            set_(D, f"{C}.env.1", {"name": "LLMFLEET_TEST_ON_CPU", "value": "1"}),
            {D: [f"{WHERE}: env LLMFLEET_TEST_ON_CPU is set; expected it unset (a CI-only test switch)"]},
        ),
        Case(
            "lws-worker-from-a-config-map",
            chain(
                set_(LWS, f"{LW}.containers.0.envFrom", [{"configMapRef": {"name": "llama-8b-spec"}, "prefix": "LLMFLEET_"}]),
                set_("dc1-spec", "data.TEST_ON_CPU", "1"),
            ),
            {
                LWS: [
                    f"{LWHERE}: envFrom ConfigMap llama-8b-spec sets LLMFLEET_TEST_ON_CPU; expected it unset (a CI-only "
                    "test switch)"
                ]
            },
        ),
        Case(
            "stage-job-from-a-secret",
            set_(JOB, "spec.template.spec.containers.0.env.0", {"name": "LLMFLEET_TEST_ON_CPU", "valueFrom": {"secretKeyRef": {"name": "x", "key": "y"}}}),
            {JOB: ["spec.template.spec: container 'stage': env LLMFLEET_TEST_ON_CPU is set; expected it unset (a CI-only test switch)"]},
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)


def test_unknown_custom_resource_pod_templates_are_checked():
    """A custom resource the rules do not know (a RayService, say) is searched for pod templates."""
    ray = {
        "urn": "urn:pulumi:prod::llm-fleet::kubernetes:ray.io/v1:RayService::dc1-ray",
        "type": "kubernetes:ray.io/v1:RayService",
        "name": "dc1-ray",
        "custom": True,
        "parent": None,
        "provider": None,
        "protect": False,
        "props": {
            "metadata": {"namespace": "llm-llama-8b"},
            "spec": {
                "rayClusterConfig": {
                    "headGroupSpec": {
                        "template": {"spec": {"containers": [{"name": "head", "image": "rayproject/ray:2.9"}]}}
                    }
                }
            },
        },
    }
    check(
        "K8S-07",
        Case(
            "ray",
            add(ray),
            {
                "dc1-ray": [
                    "spec.rayClusterConfig.headGroupSpec.template.spec: container 'head': image 'rayproject/ray:2.9' is not pinned "
                    "by digest; expected <repository>@sha256:<digest>"
                ]
            },
        ),
    )
