"""Cases for host ports (K8S-08), AppArmor/SELinux confinement (K8S-15), the Pod Security
exception on model-server namespaces (K8S-13) and RBAC (K8S-16, K8S-17).

Pod checks run on Deployments and on the LeaderWorkerSet's worker template (a custom resource)."""

import pytest

from tests.policy.baseline import PROVIDERS, TARGET_URN
from tests.policy.harness import Case, add, cases_params, chain, check, set_

D, LWS, NS = "dc1-server", "dc1-lws", "dc1-model-ns"
C, P, T = "spec.template.spec.containers.0", "spec.template.spec", "spec.template.metadata"
LW = "spec.leaderWorkerTemplate.workerTemplate"
WHERE = "spec.template.spec: container 'server'"
CRB, RB, ROLE = "dc1-metrics-reader-binding", "dc1-stage-binding", "dc1-stage-role"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1:"


def _k8s(kind: str, name: str, body: dict) -> dict:
    return {
        "urn": f"urn:pulumi:prod::llm-fleet::{RBAC}{kind}::{name}",
        "type": RBAC + kind,
        "name": name,
        "custom": True,
        "parent": TARGET_URN["dc1"],
        "provider": PROVIDERS["dc1-k8s"],
        "protect": False,
        "props": {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, **body},
    }


WILDCARD_ROLE = _k8s(
    "ClusterRole",
    "dc1-everything",
    {"metadata": {"name": "everything"}, "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]},
)
SECRET_READER = _k8s(
    "ClusterRole",
    "dc1-secret-reader",
    {
        "metadata": {"name": "secret-reader"},
        "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}],
    },
)
SA = {"kind": "ServiceAccount", "name": "llama-8b-server", "namespace": "llm-llama-8b"}


def _binding(kind: str, name: str, role_kind: str, role: str, subjects: list, namespace: str | None = None) -> dict:
    metadata = {"name": name} | ({"namespace": namespace} if namespace else {})
    return _k8s(
        kind,
        f"dc1-{name}",
        {
            "metadata": metadata,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": subjects,
        },
    )


CASES = {
    "K8S-08": [
        Case("container-port-only", set_(D, f"{C}.ports", [{"containerPort": 8000, "name": "http"}])),
        Case(
            "host-port",
            set_(D, f"{C}.ports", [{"containerPort": 8000, "hostPort": 8000}]),
            {D: ["spec.template.spec: container 'server' port 8000 has hostPort 8000; expected none"]},
        ),
        Case(
            "windows-host-process",
            set_(D, f"{P}.securityContext.windowsOptions", {"hostProcess": True}),
            {D: ["spec.template.spec: securityContext.windowsOptions.hostProcess is true; expected false"]},
        ),
        Case(
            "lws-host-port",
            set_(LWS, f"{LW}.spec.containers.0.ports", [{"containerPort": 8000, "hostPort": 80}]),
            {LWS: [f"{LW}.spec: container 'server' port 8000 has hostPort 80; expected none"]},
        ),
    ],
    "K8S-15": [
        Case("baseline"),
        Case(
            "runtime-default",
            set_(D, f"{T}.annotations", {"container.apparmor.security.beta.kubernetes.io/server": "runtime/default"}),
        ),
        Case(
            "container-t",
            set_(D, f"{P}.securityContext.seLinuxOptions", {"type": "container_t", "level": "s0:c123,c456"}),
        ),
        Case(
            "apparmor-annotation",
            set_(D, f"{T}.annotations", {"container.apparmor.security.beta.kubernetes.io/server": "unconfined"}),
            {
                D: [
                    "spec.template.spec: annotation container.apparmor.security.beta.kubernetes.io/server is 'unconfined'; expected runtime/default"
                ]
            },
        ),
        Case(
            "apparmor-field",
            set_(D, f"{C}.securityContext.appArmorProfile", {"type": "Unconfined"}),
            {D: [f"{WHERE}: securityContext.appArmorProfile.type is 'Unconfined'; expected RuntimeDefault"]},
        ),
        Case(
            "spc-t-in-lws-worker",
            set_(LWS, f"{LW}.spec.securityContext.seLinuxOptions", {"type": "spc_t"}),
            {
                LWS: [
                    f"{LW}.spec: securityContext.seLinuxOptions.type is 'spc_t'; expected one of ['container_t', "
                    "'container_init_t', 'container_kvm_t', 'container_engine_t']"
                ]
            },
        ),
    ],
    "K8S-19": [
        Case("baseline"),
        Case(
            "safe-sysctl",
            set_(D, f"{P}.securityContext.sysctls", [{"name": "net.ipv4.tcp_keepalive_time", "value": "60"}]),
        ),
        Case(
            "core-pattern",
            set_(D, f"{P}.securityContext.sysctls", [{"name": "kernel.core_pattern", "value": "|/bin/sh"}]),
            {
                D: [
                    "spec.template.spec: securityContext.sysctls sets 'kernel.core_pattern'; expected only the baseline's safe sysctls"
                ]
            },
        ),
        Case(
            "unmasked-proc-in-lws",
            set_(LWS, f"{LW}.spec.containers.0.securityContext.procMount", "Unmasked"),
            {LWS: [f"{LW}.spec: container 'server': securityContext.procMount is 'Unmasked'; expected 'Default'"]},
        ),
    ],
    "K8S-20": [
        Case("baseline"),
        Case(
            "explicitly-unprivileged",
            set_("dc1-gpu-operator", "values.dcgmExporter.securityContext", {"privileged": False}),
        ),
        Case(
            "host-network-and-sys-admin",
            set_(
                "dc1-gpu-operator",
                "values.dcgmExporter",
                {"hostNetwork": True, "securityContext": {"capabilities": {"add": ["SYS_ADMIN", "CHOWN"]}}},
            ),
            {
                "dc1-gpu-operator": [
                    "values.dcgmExporter.hostNetwork is true; expected false or unset",
                    "values.dcgmExporter.securityContext.capabilities.add adds ['SYS_ADMIN']; expected none",
                ]
            },
        ),
        Case(
            "privileged-sidecar",
            set_(
                "dc1-gpu-operator",
                "values.extraContainers",
                [{"name": "debug", "securityContext": {"privileged": True}}],
            ),
            {
                "dc1-gpu-operator": [
                    "values.extraContainers[0].securityContext.privileged is true; expected false or unset"
                ]
            },
        ),
    ],
    "K8S-21": [
        Case("baseline"),
        Case(
            "long-lived-token",
            chain(
                set_("dc1-api-keys", "type", "kubernetes.io/service-account-token"),
                set_("dc1-api-keys", "metadata.annotations", {"kubernetes.io/service-account.name": "llama-8b-server"}),
            ),
            {
                "dc1-api-keys": [
                    "type is 'kubernetes.io/service-account-token' (a token for llama-8b-server that never expires); "
                    "expected none"
                ]
            },
        ),
    ],
    "K8S-13": [
        Case(
            "system-namespace-without-reason",
            chain(
                set_(NS, "metadata.name", "gpu-operator"),
                set_(NS, "metadata.labels", {"pod-security.kubernetes.io/enforce": "privileged"}),
            ),
            {
                NS: [
                    "label pod-security.kubernetes.io/enforce is 'privileged' without a "
                    "llm-fleet.dev/pod-security-exception annotation; expected 'restricted'"
                ]
            },
        ),
        Case(
            "exception-on-model-namespace",
            chain(
                set_(NS, "metadata.labels", {"pod-security.kubernetes.io/enforce": "privileged"}),
                set_(
                    NS, "metadata.annotations", {"llm-fleet.dev/pod-security-exception": "the vendor said so, really"}
                ),
            ),
            {
                NS: [
                    "label pod-security.kubernetes.io/enforce is 'privileged' in a namespace that runs model servers; "
                    "expected 'restricted' (no exception)"
                ]
            },
        ),
    ],
    "K8S-16": [
        Case("baseline"),
        Case(
            "human-admins-may",
            add(
                _binding(
                    "ClusterRoleBinding",
                    "platform-admins",
                    "ClusterRole",
                    "cluster-admin",
                    [{"kind": "Group", "name": "platform-admins", "apiGroup": "rbac.authorization.k8s.io"}],
                )
            ),
        ),
        Case(
            "namespaced-view-for-sa",
            add(_binding("RoleBinding", "stage-view", "ClusterRole", "view", [SA], "llm-llama-8b")),
        ),
        Case(
            "namespaced-edit-for-default-sa",
            add(
                _binding(
                    "RoleBinding", "default-edit", "ClusterRole", "edit", [{**SA, "name": "default"}], "llm-llama-8b"
                )
            ),
            {
                "dc1-default-edit": [
                    "binds 'edit' to ServiceAccount llm-llama-8b/default; expected a least-privilege Role"
                ]
            },
        ),
        Case(
            "escalate-and-exec",
            chain(
                add(
                    _k8s(
                        "Role",
                        "dc1-debug-role",
                        {
                            "metadata": {"name": "debug", "namespace": "llm-llama-8b"},
                            "rules": [
                                {
                                    "apiGroups": ["rbac.authorization.k8s.io"],
                                    "resources": ["roles"],
                                    "verbs": ["escalate", "bind"],
                                },
                                {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
                            ],
                        },
                    )
                ),
                add(_binding("RoleBinding", "debug", "Role", "debug", [SA], "llm-llama-8b")),
            ),
            {
                "dc1-debug": [
                    "binds 'debug', which allows ['bind', 'escalate'] (privilege escalation); ['create'] on "
                    "['pods/exec'], to ServiceAccount llm-llama-8b/llama-8b-server; expected a least-privilege Role"
                ]
            },
        ),
        Case(
            "pod-creator-in-kube-system",
            chain(
                add(
                    _k8s(
                        "Role",
                        "dc1-creator-role",
                        {
                            "metadata": {"name": "creator", "namespace": "kube-system"},
                            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["create", "get"]}],
                        },
                    )
                ),
                add(_binding("RoleBinding", "creator", "Role", "creator", [SA], "kube-system")),
            ),
            {
                "dc1-creator": [
                    "binds 'creator', which allows ['create'] on ['pods'], to ServiceAccount llm-llama-8b/llama-8b-server; "
                    "expected a least-privilege Role"
                ]
            },
        ),
        Case(
            "namespaced-secret-lister",
            chain(
                add(
                    _k8s(
                        "Role",
                        "dc1-lister-role",
                        {
                            "metadata": {"name": "lister", "namespace": "llm-llama-8b"},
                            "rules": [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}],
                        },
                    )
                ),
                add(_binding("RoleBinding", "lister", "Role", "lister", [SA], "llm-llama-8b")),
            ),
            {
                "dc1-lister": [
                    "binds 'lister', which allows reading every Secret it can list (no resourceNames), to "
                    "ServiceAccount llm-llama-8b/llama-8b-server; expected a least-privilege Role"
                ]
            },
        ),
        Case(
            "cluster-admin-to-sa",
            add(_binding("ClusterRoleBinding", "server-admin", "ClusterRole", "cluster-admin", [SA])),
            {
                "dc1-server-admin": [
                    "binds 'cluster-admin' to ServiceAccount llm-llama-8b/llama-8b-server; expected a least-privilege Role"
                ]
            },
        ),
        Case(
            "wildcard-role-to-sa",
            chain(
                add(WILDCARD_ROLE),
                add(_binding("RoleBinding", "everything", "ClusterRole", "everything", [SA], "llm-llama-8b")),
            ),
            {
                "dc1-everything": [
                    "binds 'everything', which allows every verb ('*') on ['*'], to ServiceAccount "
                    "llm-llama-8b/llama-8b-server; expected a least-privilege Role"
                ]
            },
        ),
        Case(
            "view-to-all-authenticated",
            add(
                _binding(
                    "ClusterRoleBinding",
                    "everyone-views",
                    "ClusterRole",
                    "view",
                    [{"kind": "Group", "name": "system:authenticated", "apiGroup": "rbac.authorization.k8s.io"}],
                )
            ),
            {
                "dc1-everyone-views": [
                    "binds 'view' to Group system:authenticated (everyone in it); expected specific subjects"
                ]
            },
        ),
        Case(
            "existing-binding-widened",
            set_(
                CRB,
                "subjects.0",
                {"kind": "Group", "name": "system:serviceaccounts", "apiGroup": "rbac.authorization.k8s.io"},
            ),
            {
                CRB: [
                    "binds 'llm-fleet-metrics-reader' to Group system:serviceaccounts (everyone in it); expected specific subjects"
                ]
            },
        ),
    ],
    "K8S-17": [
        Case("baseline"),
        Case(
            "namespaced-use",
            chain(
                add(SECRET_READER),
                add(_binding("RoleBinding", "reader", "ClusterRole", "secret-reader", [SA], "llm-llama-8b")),
            ),
        ),
        Case(
            "cluster-wide-list",
            chain(
                add(SECRET_READER), add(_binding("ClusterRoleBinding", "reader", "ClusterRole", "secret-reader", [SA]))
            ),
            {
                "dc1-reader": [
                    "binds ClusterRole 'secret-reader', which reads Secrets, cluster-wide to ServiceAccount "
                    "llm-llama-8b/llama-8b-server; expected a namespaced Role with resourceNames"
                ]
            },
        ),
        Case(
            "existing-role-widened",
            set_("dc1-metrics-reader", "rules.0.resources", ["pods", "secrets"]),
            {
                CRB: [
                    "binds ClusterRole 'llm-fleet-metrics-reader', which reads Secrets, cluster-wide to ServiceAccount "
                    "monitoring/prometheus; expected a namespaced Role with resourceNames"
                ]
            },
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)
