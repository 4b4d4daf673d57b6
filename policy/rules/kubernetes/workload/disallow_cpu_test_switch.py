"""K8S-18: no pod sets the launcher's CPU test switch."""

from policy.props import as_list, get
from policy.rules._helpers import WORKLOAD_TYPES, workload_containers
from policy.rules.base import resource_rule
from serving.versions import CPU_TEST_ENV

CONFIG_MAP = "kubernetes:core/v1:ConfigMap"


def _config_map_keys(ctx, namespace: str | None, name: str) -> set[str]:
    """Keys of the Plan's ConfigMap ``namespace/name`` (empty when the Plan has none)."""
    keys: set[str] = set()
    for config_map in ctx.of_type(CONFIG_MAP):
        meta = get(config_map.props, "metadata") or {}
        if get(meta, "name") == name and get(meta, "namespace") == namespace:
            keys |= set((get(config_map.props, "data") or {}).keys())
    return keys


@resource_rule(
    id="K8S-18",
    title="No pod sets the launcher's CPU test switch",
    severity="high",
    category="reliability",
    types=WORKLOAD_TYPES,
    remediation=f"Remove {CPU_TEST_ENV} from the container's env (and from any ConfigMap it loads with envFrom): "
    "it skips the GPU preflight and exists only for `make test-vllm-server`.",
    references=("custom",),
)
def disallow_cpu_test_switch(resource, ctx):
    namespace = get(resource.props, "metadata.namespace")
    for where, _, _, container in workload_containers(resource):
        for env in as_list(get(container, "env")):
            if get(env, "name") == CPU_TEST_ENV:
                yield f"{where}: env {CPU_TEST_ENV} is set; expected it unset (a CI-only test switch)"
        for source in as_list(get(container, "envFrom")):
            name = get(source, "configMapRef.name")
            prefix = get(source, "prefix") or ""
            if name and any(prefix + key == CPU_TEST_ENV for key in _config_map_keys(ctx, namespace, name)):
                yield f"{where}: envFrom ConfigMap {name} sets {CPU_TEST_ENV}; expected it unset (a CI-only test switch)"
