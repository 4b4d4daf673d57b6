"""GKE-19: GKE nodes keep the kubelet read-only port closed."""

from policy.props import get
from policy.rules.base import resource_rule

CLUSTER = "gcp:container/cluster:Cluster"
PATHS = {
    CLUSTER: (
        "nodePoolDefaults.nodeConfigDefaults.insecureKubeletReadonlyPortEnabled",
        "nodeConfig.kubeletConfig.insecureKubeletReadonlyPortEnabled",
        "nodePoolAutoConfig.nodeKubeletConfig.insecureKubeletReadonlyPortEnabled",
    ),
    "gcp:container/nodePool:NodePool": ("nodeConfig.kubeletConfig.insecureKubeletReadonlyPortEnabled",),
}


@resource_rule(
    id="GKE-19",
    title="GKE nodes keep the kubelet read-only port closed",
    severity="high",
    category="security",
    types=tuple(PATHS),
    remediation="Set insecureKubeletReadonlyPortEnabled 'FALSE' (cluster nodePoolDefaults and every node pool's "
    "kubeletConfig): port 10255 serves pod specs and metrics without authentication.",
    references=("CKV_K8S_141",),
)
def disable_kubelet_read_only_port(resource, ctx):
    for path in PATHS[resource.type]:
        if str(get(resource.props, path)).upper() == "TRUE":
            yield f"{path} is 'TRUE'; expected 'FALSE'"
