"""KMS-09: resources encrypt with KMS keys of the stack's own accounts."""

import re

from policy.rules._helpers import walk_strings
from policy.rules._policy_documents import stack_accounts
from policy.rules.base import resource_rule

KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:(\d{12}):(key|alias)/")
KEY_FIELD = re.compile(r"(kms|^keyarn$|^keyid$)", re.IGNORECASE)


def _field(path: str) -> str:
    return re.sub(r"\[\d+\]$", "", path.rsplit(".", 1)[-1])


@resource_rule(
    id="KMS-09",
    title="Resources encrypt with KMS keys of the stack's own accounts",
    severity="high",
    category="security",
    types=("*",),
    remediation="Point kmsKeyId / kmsMasterKeyId / keyArn at a key of the stack's account (its Keys component "
    "makes one per purpose): a key in another account lets that account's admins decrypt, or lock the stack "
    "out of, its data.",
    references=("custom",),
    doc="https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html",
)
def enforce_own_kms_keys(resource, ctx):
    if not resource.type.startswith(("aws:", "kubernetes:")):
        return
    accounts = stack_accounts(ctx)
    if not accounts:
        return  # no anchor to tell own from foreign (a stack without an EKS cluster)
    for path, value in walk_strings(resource.props):
        match = KEY_ARN.match(value)
        if match and KEY_FIELD.search(_field(path)) and match.group(1) not in accounts:
            yield f"{path} is a KMS key of account {match.group(1)}; expected a key of the stack's accounts"
