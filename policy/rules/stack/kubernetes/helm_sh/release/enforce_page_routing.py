"""OPS-01: prod page alerts reach a receiver on every target.

Reads every Alertmanager configuration in the Plan, however it got there: kube-prometheus-stack
releases (``values.alertmanager.config`` or ``stringConfig``) and Google Managed Prometheus'
``alertmanager`` Secret in ``gmp-public`` (its ``alertmanager.yaml`` when readable; planned as a
secret, it is read from the redacted copy in the ``llm-fleet.dev/alertmanager-routing`` annotation).
The routing tree is walked as Alertmanager walks it (matchers, ``continue``, inherited receivers)
for each page alert (labelled with its target as ``target`` and ``cluster``, as this project's
alerts are); a receiver counts when it notifies someone (at least one ``*_configs`` entry).
"""

import base64
import json
import re

import yaml

from policy.props import as_list, get, is_map
from policy.rules.base import Violation, stack_rule

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET_TYPE = "kubernetes:core/v1:Secret"  # noqa: S105 - a resource type
GMP_NAMESPACE = "gmp-public"
GMP_SECRET_NAME = "alertmanager"  # noqa: S105 - a Secret's name
GMP_KEY = "alertmanager.yaml"
ROUTING_ANNOTATION = "llm-fleet.dev/alertmanager-routing"
PAGE_ALERTS = (
    "ModelAvailabilityBurnRatePage",
    "ModelTtftBurnRatePage",
    "ModelItlBurnRatePage",
    "VllmGenerationStalled",
    "GpuXidHardwareError",
    "GpuEccDoubleBitError",
)
"""The generated alerts with severity critical (a test keeps this in step with the generator)."""
_MATCHER = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(.*?))\s*$')


def _matcher(text: str, labels: dict[str, str]) -> bool:
    found = _MATCHER.match(str(text))
    if found is None:
        return False
    name, op, quoted, bare = found.groups()
    value = quoted if quoted is not None else bare
    actual = labels.get(name, "")
    if op in ("=~", "!~"):
        hit = re.fullmatch(value, actual) is not None
        return hit if op == "=~" else not hit
    return (actual == value) if op == "=" else (actual != value)


def _route_matches(route, labels: dict[str, str]) -> bool:
    if not all(_matcher(m, labels) for m in as_list(get(route, "matchers"))):
        return False
    if any(labels.get(k, "") != str(v) for k, v in (get(route, "match") or {}).items()):
        return False
    return all(re.fullmatch(str(v), labels.get(k, "")) for k, v in (get(route, "match_re") or {}).items())


def receivers_for(route, labels: dict[str, str], inherited: str | None = None) -> list[str]:
    """Receivers an alert with ``labels`` reaches from ``route`` (already matched), Alertmanager's way."""
    receiver = get(route, "receiver") or inherited
    reached: list[str] = []
    for child in as_list(get(route, "routes")):
        if _route_matches(child, labels):
            reached += receivers_for(child, labels, receiver)
            if not get(child, "continue"):
                break
    return reached or ([receiver] if receiver else [])


def _notifies(config, name: str) -> bool:
    for receiver in as_list(get(config, "receivers")):
        if get(receiver, "name") == name:
            return any(k.endswith("_configs") and as_list(v) for k, v in receiver.items())
    return False


def _load(text) -> dict | None:
    if not isinstance(text, str) or text == "[secret]":
        return None
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    return loaded if is_map(loaded) else None


def _release_config(release):
    props = release.props
    if get(props, "chart") != "kube-prometheus-stack":
        return None
    values = get(props, "values") or {}
    if get(values, "alertmanager.enabled") is False:
        return None
    config = get(values, "alertmanager.config")
    return config if is_map(config) else _load(get(values, "alertmanager.stringConfig"))


def _gmp_config(secret):
    props = secret.props
    if get(props, "metadata.name") != GMP_SECRET_NAME or get(props, "metadata.namespace") != GMP_NAMESPACE:
        return None
    config = _load(get(props, ("stringData", GMP_KEY)))
    encoded = get(props, ("data", GMP_KEY))
    if config is None and isinstance(encoded, str) and encoded != "[secret]":
        try:
            config = _load(base64.b64decode(encoded).decode())
        except ValueError:
            config = None
    if config is None:
        config = _load(get(props, ("metadata", "annotations", ROUTING_ANNOTATION)))
    return config


def unrouted(config, target: str) -> list[str]:
    """Page alerts of ``target`` that reach no notifying receiver under ``config``."""
    route = get(config, "route") or {}
    missing = []
    for alert in PAGE_ALERTS:
        labels = {"alertname": alert, "severity": "critical", "target": target, "cluster": target}
        if not any(_notifies(config, r) for r in receivers_for(route, labels)):
            missing.append(alert)
    return missing


@stack_rule(
    id="OPS-01",
    title="Prod page alerts reach a receiver on every target",
    severity="high",
    category="reliability",
    types=(RELEASE, SECRET_TYPE),
    remediation="Set alerting.receivers and alerting.page: every target's Alertmanager (in-cluster, or "
    "GMP's managed one) then routes severity=critical to them.",
    references=("custom",),
)
def enforce_page_routing(ctx):
    if ctx.settings.environment != "prod":
        return
    configs: dict[str, list] = {}
    for resource in [*ctx.of_type(RELEASE), *ctx.of_type(SECRET_TYPE)]:
        config = _release_config(resource) if resource.type == RELEASE else _gmp_config(resource)
        if config is not None:
            configs.setdefault(ctx.target_of(resource), []).append((resource, json.loads(json.dumps(config))))
    for target in ctx.settings.target_names:
        found = configs.get(target, [])
        if not found:
            yield Violation(f"target {target!r}: no Alertmanager configuration: page alerts reach no one", ctx.stack_urn)
            continue
        for resource, config in found:
            missing = unrouted(config, target)
            if missing:
                yield Violation(f"page alerts {missing} reach no receiver that notifies anyone", resource.urn)
