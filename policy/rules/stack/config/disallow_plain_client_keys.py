"""CLIENT-02: client API keys come only from generators or secret stores, and stay secret."""

from policy.props import as_list, get
from policy.rules._clients import SECRET, clients
from policy.rules._helpers import EG, object_name
from policy.rules.base import Violation, stack_rule

SECRET_SOURCES = ("config", "awsSecretsManager", "gcpSecretManager")
REDACTED = "[secret]"


def _redacted(value) -> bool:
    """A secret Output as the whole field, or a mapping whose every value is one (how the Plan
    shows ``string_data={key: Output.secret(...)}``: each secret value is redacted on its own)."""
    if value == REDACTED:
        return True
    return hasattr(value, "values") and all(v == REDACTED for v in value.values())


@stack_rule(
    id="CLIENT-02",
    title="Client API keys come only from generators or secret stores, and stay secret",
    severity="critical",
    category="security",
    types=(EG + "SecurityPolicy", SECRET),
    remediation="Give each client key `source: generated` (a Pulumi secret) or a secret reference "
    "({config: NAME} set with --secret, {awsSecretsManager: ...}, {gcpSecretManager: ...}); build credential "
    "Secrets from secret Outputs only.",
    references=("custom",),
)
def disallow_plain_client_keys(ctx):
    for ci, client in enumerate(clients(ctx)):
        for ki, key in enumerate(as_list(get(client, "keys"))):
            source = get(key, "source", "generated")
            if source == "generated":
                continue
            kinds = [k for k in SECRET_SOURCES if get(source, k)] if hasattr(source, "get") else []
            if not kinds:
                shown = sorted(source) if hasattr(source, "keys") else "a plain value"
                yield Violation(
                    f"config clients[{ci}].keys[{ki}] ({get(client, 'name')}.{get(key, 'id')}): source {shown} is not "
                    f"a secret store; expected 'generated' or one of {', '.join(SECRET_SOURCES)}"
                )
    # Any Secret an apiKeyAuth reads must reach the Plan redacted (a secret Output).
    for policy in ctx.of_type(EG + "SecurityPolicy"):
        for ref in as_list(get(policy.props, "spec.apiKeyAuth.credentialRefs")):
            namespace = get(ref, "namespace") or get(policy.props, "metadata.namespace")
            for secret in ctx.of_type(SECRET):
                if ctx.cluster_key(secret) != ctx.cluster_key(policy) or object_name(secret) != get(ref, "name"):
                    continue
                if get(secret.props, "metadata.namespace") != namespace:
                    continue
                for field in ("data", "stringData"):
                    value = get(secret.props, field)
                    if value is not None and not _redacted(value):
                        yield Violation(
                            f"Secret {namespace}/{object_name(secret)} (API keys of SecurityPolicy "
                            f"'{object_name(policy)}') has {field} in plain text; expected a secret Output",
                            secret.urn,
                        )
