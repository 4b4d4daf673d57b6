"""SUPPLY-03: ConfigMaps and Helm values hold no credentials."""

from policy.props import get, is_map
from policy.rules._credentials import (
    credential_shape,
    literal_under_credential_key,
    may_hold_credentials,
    walk_keyed_strings,
)
from policy.rules.base import resource_rule


def _yaml_documents(path: str, key: str, value: str):
    """A ConfigMap value that is a YAML document, walked like the rest (config files often are)."""
    if "\n" not in value or ":" not in value or value.lstrip()[:1] in "{[":
        return []
    import yaml

    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        return []
    return list(walk_keyed_strings(parsed, path)) if is_map(parsed) else []


def _findings(tree, root: str, expected: str):
    if not may_hold_credentials(tree, by_key=True):
        return
    for path, key, value in walk_keyed_strings(tree, root):
        nested = _yaml_documents(path, key, value)
        for inner_path, inner_key, inner_value in nested or [(path, key, value)]:
            if credential_shape(inner_value) or literal_under_credential_key(inner_key, inner_value):
                yield f"{inner_path} holds a credential; expected {expected}"


@resource_rule(
    id="SUPPLY-03",
    title="ConfigMaps and Helm values hold no credentials",
    severity="critical",
    category="security",
    types=("kubernetes:core/v1:ConfigMap", "kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"),
    remediation="Move the value into a Secret (filled from the cloud secret store or a Pulumi secret) and reference it "
    "(a chart's existingSecret, a *File path, an env var); '[secret]' placeholders are fine.",
    references=("custom",),
)
def disallow_plain_secrets(resource, ctx):
    if resource.type == "kubernetes:core/v1:ConfigMap":
        yield from sorted(set(_findings(get(resource.props, "data") or {}, "data", "a Secret")))
        return
    # Offline, Pulumi secrets in values are redacted to '[secret]'; a literal under a password-like key is
    # not, and a chart reads it from its own values Secret that anyone with access to the release can read.
    yield from sorted(set(_findings(get(resource.props, "values") or {}, "values", "a Secret reference")))
