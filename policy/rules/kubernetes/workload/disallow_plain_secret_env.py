"""SUPPLY-02: containers take secrets from Secrets, never as literal env values or arguments."""

from policy.props import as_list, get
from policy.rules._credentials import argv_credentials, credential_shape, looks_random_token
from policy.rules._helpers import WORKLOAD_TYPES, secret_by_name, workload_containers
from policy.rules.base import resource_rule


@resource_rule(
    id="SUPPLY-02",
    title="Containers take secrets from Secrets, never as literal env values or arguments",
    severity="critical",
    category="security",
    types=WORKLOAD_TYPES,
    remediation="Use env[].valueFrom.secretKeyRef (the Secret filled from the cloud secret store) or a mounted "
    "secret file; never env[].value, and never a key in args/command (pass '--api-key $(VAR)' or a file path).",
    references=("CKV_K8S_35", "custom"),
)
def disallow_plain_secret_env(resource, ctx):
    for where, _, _, container in workload_containers(resource):
        for env in as_list(get(container, "env")):
            name, value = str(get(env, "name") or ""), get(env, "value")
            if credential_shape(value) or (isinstance(value, str) and looks_random_token(value)):
                yield f"{where}: env {name} holds a literal credential; expected valueFrom.secretKeyRef"
            elif secret_by_name(name, value):
                yield f"{where}: env {name} is a literal value; expected valueFrom.secretKeyRef"
        for field in ("command", "args"):
            for reason in sorted(set(argv_credentials([str(a) for a in as_list(get(container, field))]))):
                yield f"{where}: {field} has {reason}; expected a secret file or $(ENV) from a Secret"
