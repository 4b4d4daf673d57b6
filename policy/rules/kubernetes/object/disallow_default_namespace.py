"""K8S-12: namespaced Kubernetes objects are not placed in the 'default' namespace."""

from policy.props import get, is_custom_resource, is_kubernetes
from policy.rules.base import resource_rule

CLUSTER_SCOPED = {
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "RuntimeClass", "IngressClass", "GatewayClass", "ValidatingWebhookConfiguration",
    "MutatingWebhookConfiguration", "APIService", "CSIDriver", "VolumeSnapshotClass", "NodePool", "EC2NodeClass",
    "ClusterIssuer", "ClusterSecretStore", "ComputeClass",
}  # fmt: skip


@resource_rule(
    id="K8S-12",
    title="Namespaced Kubernetes objects are not placed in the 'default' namespace",
    severity="low",
    category="security",
    types=("kubernetes:*",),
    remediation="Set metadata.namespace to the model's or add-on's own namespace (the provider's default is 'default').",
    references=("CKV_K8S_21",),
    doc="https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/",
)
def disallow_default_namespace(resource, ctx):
    if not is_kubernetes(resource.type) or not resource.custom:
        return
    kind = resource.type.rsplit(":", 1)[-1]
    # Custom resource kinds named Cluster*/Global* are cluster-scoped by convention
    # (ClusterRules, ClusterPodMonitoring, ClusterTriggerAuthentication, GlobalRules, ...).
    cluster_scoped = kind in CLUSTER_SCOPED or (
        is_custom_resource(resource.type) and kind.startswith(("Cluster", "Global"))
    )
    if cluster_scoped or kind.endswith("List") or resource.type.startswith("kubernetes:helm.sh/"):
        if resource.type.startswith("kubernetes:helm.sh/") and get(resource.props, "namespace") in (
            None,
            "",
            "default",
        ):
            yield f"namespace is {get(resource.props, 'namespace')!r}; expected the release's own namespace"
        return
    namespace = get(resource.props, "metadata.namespace")
    if namespace in (None, "", "default"):
        yield f"metadata.namespace is {namespace!r}; expected a dedicated namespace"
