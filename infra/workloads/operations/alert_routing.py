"""Alertmanager configuration generated from the stack's ``alerting`` setting.

Pure functions: config in, an ``alertmanager.yml`` dict out. ``tests/operations/test_alert_routing.py``
feeds it to ``amtool check-config`` and ``amtool config routes test``.

Routing follows the severities of :mod:`.alerts`: ``critical`` pages (SLO fast burn, stalled
generation, GPU hardware faults) and goes to ``alerting.page``; ``warning`` is a ticket (slow
burn, cause alerts, soft GPU errors) and goes to ``alerting.ticket``. Anything else (kube-prometheus-
stack's ``Watchdog`` and ``InfoInhibitor``, severity none/info) reaches the silent root receiver.
Notifications are grouped per cluster, target and model. Two inhibitions keep a page readable:
while an SLO page fires for a model on a target, that model's cause alerts there and its slower
ticket burn alert for the same SLO are held back (they are in the page's runbook).

Credentials are never in the configuration. Two ways of supplying them:

* files (in-cluster Alertmanager): each credential is a Kubernetes Secret that the Alertmanager
  resource mounts (``alertmanagerSpec.secrets``) at ``/etc/alertmanager/secrets/<secret>/<key>``,
  read through the receivers' ``*_file`` fields;
* inline (Google Managed Prometheus' managed Alertmanager, which mounts nothing of ours): the
  values are written into the configuration itself, which lives only in the ``alertmanager``
  Secret of ``gmp-public`` as a Pulumi secret.

Field names are those of Alertmanager 0.25 (Debian's amtool) and later: the webhook credential is
a bearer token (``http_config.authorization.credentials_file``), not ``url_file``, which amtool
0.25 does not know.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.config import Alerting, AlertReceiver, SecretRef
from infra.workloads.operations import alerts

SECRETS_DIR = "/etc/alertmanager/secrets"
"""Where prometheus-operator mounts ``alertmanagerSpec.secrets`` (one folder per Secret)."""
CREDENTIAL_KEY = "credential"
SILENT_RECEIVER = "silent"
GROUP_BY = ("cluster", "target", "model")
PAGE_REPEAT = "4h"
TICKET_REPEAT = "24h"

SLO_PAGE_ALERTS = tuple(sorted(f"{stem}BurnRatePage" for stem in alerts._ALERT_STEM.values()))
SLO_TICKET_ALERTS = tuple(sorted(f"{stem}BurnRateTicket" for stem in alerts._ALERT_STEM.values()))
CAUSE_ALERTS = (
    "ModelPodsRestarting",
    "ModelReplicasBelowMinimum",
    "VllmGenerationStalled",
    "VllmKvCacheSaturated",
    "VllmPreemptionsHigh",
    "VllmQueueGrowing",
)
"""Per-placement cause alerts (``alerts._cause_alert_group``; a test keeps the two in step)."""


@dataclass(frozen=True)
class Credential:
    """One secret a receiver needs, and where Alertmanager reads it."""

    receiver: str
    field: str
    ref: SecretRef

    @property
    def secret_name(self) -> str:
        kebab = re.sub(r"(?<!^)(?=[A-Z])", "-", self.field).lower()
        return f"alertmanager-{self.receiver}-{kebab}"

    @property
    def path(self) -> str:
        return f"{SECRETS_DIR}/{self.secret_name}/{CREDENTIAL_KEY}"

    @property
    def key(self) -> str:
        """The stack-config key path (for error messages)."""
        return f"alerting.receivers.{self.receiver}.{self.field}"


def credentials(alerting: Alerting) -> list[Credential]:
    out = []
    for receiver in alerting.receivers:
        if receiver.pagerduty:
            out.append(Credential(receiver.name, "routingKey", receiver.pagerduty.routing_key))
        elif receiver.slack:
            out.append(Credential(receiver.name, "apiUrl", receiver.slack.api_url))
        elif receiver.email and receiver.email.auth_password:
            out.append(Credential(receiver.name, "authPassword", receiver.email.auth_password))
        elif receiver.webhook and receiver.webhook.token:
            out.append(Credential(receiver.name, "token", receiver.webhook.token))
    return out


def _secret(credential: Credential, field: str, inline: Mapping[str, str] | None) -> dict[str, str]:
    """``{field_file: path}``, or ``{field: value}`` when values are written inline."""
    if inline is None:
        return {f"{field}_file": credential.path}
    return {field: inline[credential.secret_name]}


def _receiver(receiver: AlertReceiver, inline: Mapping[str, str] | None) -> dict[str, Any]:
    creds = {c.field: c for c in credentials(Alerting(receivers=[receiver]))}
    if receiver.pagerduty:
        return {
            "name": receiver.name,
            "pagerduty_configs": [
                {
                    **_secret(creds["routingKey"], "routing_key", inline),
                    "send_resolved": True,
                    "description": '{{ template "pagerduty.default.description" . }}',
                }
            ],
        }
    if receiver.slack:
        return {
            "name": receiver.name,
            "slack_configs": [
                {
                    **_secret(creds["apiUrl"], "api_url", inline),
                    "channel": receiver.slack.channel,
                    "send_resolved": True,
                    "title": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} "
                    "{{ .CommonLabels.model }} {{ .CommonLabels.target }}",
                    "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ .Annotations.runbook }}\n{{ end }}",
                }
            ],
        }
    if receiver.email:
        email = receiver.email
        config: dict[str, Any] = {
            "to": ", ".join(email.to),
            "from": email.sender,
            "smarthost": email.smarthost,
            "require_tls": True,
            "send_resolved": True,
        }
        if email.auth_username:
            config["auth_username"] = email.auth_username
            config.update(_secret(creds["authPassword"], "auth_password", inline))
        return {"name": receiver.name, "email_configs": [config]}
    webhook = receiver.webhook
    assert webhook is not None  # AlertReceiver validates that exactly one kind is set
    config = {"url": webhook.url, "send_resolved": True}
    if webhook.token:
        auth = {"type": "Bearer", **_secret(creds["token"], "credentials", inline)}
        config["http_config"] = {"authorization": auth}
    return {"name": receiver.name, "webhook_configs": [config]}


def _fan_out(severity: str, names: list[str], repeat: str) -> list[dict[str, Any]]:
    """One child route per receiver; ``continue`` lets an alert reach every one of them."""
    return [
        {
            "matchers": [f'severity="{severity}"'],
            "receiver": name,
            "repeat_interval": repeat,
            **({"continue": True} if i < len(names) - 1 else {}),
        }
        for i, name in enumerate(names)
    ]


def _alternation(names: tuple[str, ...]) -> str:
    return "|".join(names)


def inhibit_rules() -> list[dict[str, Any]]:
    return [
        {
            # The SLO page names the symptom; the causes of the same model on the same target are its runbook.
            "source_matchers": ['severity="critical"', f'alertname=~"{_alternation(SLO_PAGE_ALERTS)}"'],
            "target_matchers": [f'alertname=~"{_alternation(CAUSE_ALERTS)}"'],
            "equal": ["target", "model"],
        },
        {
            # A fast burn of one SLO makes its slow-burn ticket redundant.
            "source_matchers": ['severity="critical"', f'alertname=~"{_alternation(SLO_PAGE_ALERTS)}"'],
            "target_matchers": ['severity="warning"', f'alertname=~"{_alternation(SLO_TICKET_ALERTS)}"'],
            "equal": ["target", "model", "slo"],
        },
    ]


def alertmanager_config(alerting: Alerting | None, inline: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The whole ``alertmanager.yml``. ``inline`` maps :attr:`Credential.secret_name` to values
    (managed Alertmanager); without it credentials are read from mounted files."""
    receivers: list[dict[str, Any]] = [{"name": SILENT_RECEIVER}]
    routes: list[dict[str, Any]] = []
    if alerting is not None:
        receivers += [_receiver(r, inline) for r in alerting.receivers]
        routes = [
            *_fan_out("critical", list(alerting.page), PAGE_REPEAT),
            *_fan_out("warning", list(alerting.ticket), TICKET_REPEAT),
        ]
    route: dict[str, Any] = {
        "receiver": SILENT_RECEIVER,
        "group_by": list(GROUP_BY),
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": TICKET_REPEAT,
    }
    if routes:
        route["routes"] = routes
    return {"route": route, "inhibit_rules": inhibit_rules(), "receivers": receivers}


def redacted(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` with every inline credential replaced by ``[secret]`` (safe to show in a Plan)."""
    secret_fields = {"routing_key", "service_key", "api_url", "auth_password", "credentials"}

    def walk(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {k: "[secret]" if k in secret_fields else walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    return walk(config)
