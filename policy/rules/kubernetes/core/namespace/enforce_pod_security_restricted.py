"""K8S-13: namespaces enforce the Pod Security Standard 'restricted'."""

from policy.props import get, gpu_request
from policy.rules._helpers import is_workload, workload_containers
from policy.rules.base import resource_rule

LABEL = "pod-security.kubernetes.io/enforce"
EXCEPTION = "llm-fleet.dev/pod-security-exception"


def _model_namespaces(ctx) -> set[tuple[str, str]]:
    """(cluster, namespace) of every workload that requests GPUs: where model servers run."""

    def build() -> set[tuple[str, str]]:
        out = set()
        for type_ in list(ctx.types):
            for resource in ctx.of_type(type_):
                if not is_workload(resource):
                    continue
                if any(gpu_request(c) for _, _, _, c in workload_containers(resource, ("containers",))):
                    out.add((ctx.cluster_key(resource), str(get(resource.props, "metadata.namespace") or "default")))
        return out

    return ctx.memo("k8s:model-namespaces", build)


@resource_rule(
    id="K8S-13",
    title="Namespaces enforce the Pod Security Standard 'restricted'",
    severity="high",
    category="security",
    types=("kubernetes:core/v1:Namespace",),
    remediation=f"Label the namespace {LABEL}: restricted. A system namespace whose add-on needs host access "
    f"(GPU Operator, CSI drivers) may enforce 'privileged' or 'baseline' only with the annotation {EXCEPTION} "
    "giving the reason; a namespace that runs model servers (GPU workloads) never may.",
    references=("custom",),
    doc="https://kubernetes.io/docs/concepts/security/pod-security-admission/",
)
def enforce_pod_security_restricted(resource, ctx):
    level = get(resource.props, ("metadata", "labels", LABEL))
    if level == "restricted":
        return
    name = str(get(resource.props, "metadata.name") or resource.name)
    if (ctx.cluster_key(resource), name) in _model_namespaces(ctx):
        shown = "not set" if level is None else repr(level)
        yield f"label {LABEL} is {shown} in a namespace that runs model servers; expected 'restricted' (no exception)"
        return
    reason = str(get(resource.props, ("metadata", "annotations", EXCEPTION)) or "")
    if level in ("baseline", "privileged") and len(reason.strip()) >= 10:
        return
    if level is None:
        yield f"label {LABEL} is not set; expected 'restricted'"
    else:
        yield f"label {LABEL} is {level!r} without a {EXCEPTION} annotation; expected 'restricted'"
