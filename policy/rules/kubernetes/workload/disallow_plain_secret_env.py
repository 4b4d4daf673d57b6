"""SUPPLY-02: containers take secrets from Secrets, never as literal env values."""

from policy.props import as_list, get
from policy.rules._helpers import WORKLOAD_TYPES, looks_secret, secret_by_name, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="SUPPLY-02",
    title="Containers take secrets from Secrets, never as literal env values",
    severity="critical",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Use env[].valueFrom.secretKeyRef (the Secret filled from the cloud secret store) or a mounted "
    "secret file; never env[].value.",
    references=("CKV_K8S_35", "custom"),
)
def disallow_plain_secret_env(resource, ctx):
    for where, _, _, container in workload_containers(resource):
        for env in as_list(get(container, "env")):
            name, value = str(get(env, "name") or ""), get(env, "value")
            if looks_secret(value):
                yield f"{where}: env {name} holds a literal credential; expected valueFrom.secretKeyRef"
            elif secret_by_name(name, value):
                yield f"{where}: env {name} is a literal value; expected valueFrom.secretKeyRef"
