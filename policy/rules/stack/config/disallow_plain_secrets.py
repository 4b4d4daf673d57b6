"""SUPPLY-04: the stack configuration holds secret references, never secret values."""

from policy.rules._credentials import credential_shape, literal_under_credential_key, walk_keyed_strings
from policy.rules.base import Violation, stack_rule


@stack_rule(
    id="SUPPLY-04",
    title="The stack configuration holds secret references, never secret values",
    severity="critical",
    category="security",
    types=(),
    remediation="Store the value with `pulumi config set --secret NAME` (or in the cloud secret store) and reference it "
    "({config: NAME}, {awsSecretsManager: ...}, {gcpSecretManager: ...}); no user:password@ in URLs.",
    references=("custom",),
)
def disallow_plain_secrets(ctx):
    for path, key, value in walk_keyed_strings(dict(ctx.settings.raw)):
        if credential_shape(value) or literal_under_credential_key(key, value):
            yield Violation(f"config {path} holds a credential in plain text; expected a secret reference")
