"""K8S-13: namespaces enforce the Pod Security Standard 'restricted'."""

from policy.props import get
from policy.rules.base import resource_rule

LABEL = "pod-security.kubernetes.io/enforce"
EXCEPTION = "llm-fleet.dev/pod-security-exception"


@resource_rule(
    id="K8S-13",
    title="Namespaces enforce the Pod Security Standard 'restricted'",
    severity="high",
    category="security",
    types=("kubernetes:core/v1:Namespace",),
    remediation=f"Label the namespace {LABEL}: restricted. A system namespace whose add-on needs host access "
    f"(GPU Operator, CSI drivers) may enforce 'privileged' or 'baseline' only with the annotation {EXCEPTION} "
    "giving the reason.",
    references=("custom",),
    doc="https://kubernetes.io/docs/concepts/security/pod-security-admission/",
)
def enforce_pod_security_restricted(resource, ctx):
    level = get(resource.props, ("metadata", "labels", LABEL))
    if level == "restricted":
        return
    reason = str(get(resource.props, ("metadata", "annotations", EXCEPTION)) or "")
    if level in ("baseline", "privileged") and len(reason.strip()) >= 10:
        return
    if level is None:
        yield f"label {LABEL} is not set; expected 'restricted'"
    else:
        yield f"label {LABEL} is {level!r} without a {EXCEPTION} annotation; expected 'restricted'"
