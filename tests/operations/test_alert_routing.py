"""Alert routing: the generated Alertmanager configuration under Alertmanager's own tool
(``amtool check-config``, ``amtool config routes test``), how credentials reach it on each kind
of cluster, and the ``alerting`` setting's errors."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import Alerting, ConfigError, parse_stack_config
from infra.plan import Plan
from infra.stackfile import load_stack_file
from infra.workloads.operations import alert_routing, alerts
from infra.workloads.operations.cluster import (
    GMP_ALERTMANAGER_KEY,
    GMP_ALERTMANAGER_SECRET,
    GMP_PUBLIC_NAMESPACE,
    MONITORING_NAMESPACE,
    ROUTING_ANNOTATION,
)
from policy.rules.stack.kubernetes.helm_sh.release.enforce_page_routing import PAGE_ALERTS
from tests.operations.harness import ROOT
from tools import chartvalues

RELEASE = "kubernetes:helm.sh/v3:Release"
SECRET = "kubernetes:core/v1:Secret"
AMTOOL = shutil.which("amtool")
needs_amtool = pytest.mark.skipif(
    AMTOOL is None,
    reason="amtool not installed (Debian: apt-get install -y prometheus-alertmanager; `make tools` as root)",
)

EVERY_KIND = Alerting.model_validate(
    {
        "receivers": [
            {"name": "oncall", "pagerduty": {"routingKey": {"config": "pd"}}},
            {"name": "chat", "slack": {"apiUrl": {"env": "SLACK_URL"}, "channel": "#llm"}},
            {
                "name": "mail",
                "email": {
                    "to": ["team@example.com"],
                    "from": "am@example.com",
                    "smarthost": "smtp.example.com:587",
                    "authUsername": "am@example.com",
                    "authPassword": {"config": "smtp"},
                },
            },
            {"name": "bridge", "webhook": {"url": "https://incidents.example.com/hook", "token": {"config": "hook"}}},
            {"name": "plain-hook", "webhook": {"url": "https://audit.example.com/hook"}},
        ],
        "page": ["oncall", "bridge"],
        "ticket": ["chat", "mail", "plain-hook"],
    }
)
# Stand-in credential values for the inline (managed Alertmanager) form: shaped like the real ones.
STAND_INS = {
    "routingKey": "0123456789abcdef0123456789abcdef",
    "apiUrl": "https://hooks.slack.com/services/T000/B000/XXXX",
    "authPassword": "stand-in-password",
    "token": "stand-in-token",
}


def stack_alerting(stack: str) -> Alerting:
    config = load_stack_file(stack, ROOT).parse()
    assert config.alerting is not None
    return config.alerting


def inline_values(alerting: Alerting) -> dict[str, str]:
    return {c.secret_name: STAND_INS[c.field] for c in alert_routing.credentials(alerting)}


def write(config: dict[str, Any], tmp_path: Path, name: str = "alertmanager.yml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def amtool(*args: str) -> str:
    result = subprocess.run([AMTOOL, *args], capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def receivers_for(config_file: Path, *labels: str) -> list[str]:
    out = amtool("config", "routes", "test", f"--config.file={config_file}", *labels)
    return out.strip().split(",")


def kps_configs(plan: Plan) -> dict[str, dict[str, Any]]:
    return {
        r.name.split("-ops-")[0]: r.props["values"]["alertmanager"]
        for r in plan.of_type(RELEASE)
        if r.props["chart"] == "kube-prometheus-stack"
    }


# -- amtool ------------------------------------------------------------------------------


@needs_amtool
@pytest.mark.external
@pytest.mark.parametrize("inline", [False, True], ids=["mounted-files", "inline-managed"])
@pytest.mark.parametrize("alerting", [EVERY_KIND, None], ids=["every-receiver-kind", "no-alerting"])
def test_amtool_accepts_the_generated_config(alerting: Alerting | None, inline: bool, tmp_path: Path) -> None:
    values = inline_values(alerting) if inline and alerting else None
    path = write(alert_routing.alertmanager_config(alerting, values), tmp_path)
    out = amtool("check-config", str(path))
    assert "SUCCESS" in out
    expected = 1 + (len(alerting.receivers) if alerting else 0)
    assert f"{expected} receivers" in out and "2 inhibit rules" in out


@needs_amtool
@pytest.mark.external
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_planned_in_cluster_config_passes_amtool_and_routes_by_severity(
    stack: str, operations_plans: dict[str, Plan], tmp_path: Path
) -> None:
    alerting = stack_alerting(stack)
    configs = kps_configs(operations_plans[stack])
    assert configs, "no kube-prometheus-stack release in the plan"
    for target, values in configs.items():
        path = write(values["config"], tmp_path, f"{target}.yml")
        assert "SUCCESS" in amtool("check-config", str(path))
        page = receivers_for(path, "severity=critical", "alertname=ModelTtftBurnRatePage", "model=m", f"target={target}")
        ticket = receivers_for(path, "severity=warning", "alertname=VllmQueueGrowing", "model=m", f"target={target}")
        assert page == list(alerting.page)
        assert ticket == list(alerting.ticket)
        assert receivers_for(path, "severity=none", "alertname=Watchdog") == [alert_routing.SILENT_RECEIVER]


@needs_amtool
@pytest.mark.external
def test_prod_routes_pages_to_pagerduty_and_tickets_to_slack_and_email(tmp_path: Path) -> None:
    alerting = stack_alerting("prod")
    kinds = {r.name: r.kind for r in alerting.receivers}
    path = write(alert_routing.alertmanager_config(alerting, inline_values(alerting)), tmp_path)
    assert [kinds[r] for r in receivers_for(path, "severity=critical", "alertname=GpuXidHardwareError")] == ["pagerduty"]
    assert sorted(kinds[r] for r in receivers_for(path, "severity=warning", "alertname=GpuXidError")) == ["email", "slack"]


# -- credentials ----------------------------------------------------------------------------


def test_in_cluster_alertmanager_reads_every_credential_from_a_mounted_secret(operations_plans: dict[str, Plan]) -> None:
    for stack, plan in operations_plans.items():
        alerting = stack_alerting(stack)
        expected = alert_routing.credentials(alerting)
        secrets = {(r.name.split("-ops-")[0], r.props["metadata"]["name"]): r for r in plan.of_type(SECRET)}
        for target, values in kps_configs(plan).items():
            mounted = values["alertmanagerSpec"]["secrets"]
            assert mounted == [c.secret_name for c in expected]
            for credential in expected:
                secret = secrets[(target, credential.secret_name)]
                assert secret.props["metadata"]["namespace"] == MONITORING_NAMESPACE
                assert secret.props["stringData"] == "[secret]"
            text = json.dumps(values["config"])
            paths = [c.path for c in expected]
            assert all(text.count(p) == 1 for p in paths)
            assert all(p.startswith(f"{alert_routing.SECRETS_DIR}/") for p in paths)


@pytest.mark.parametrize(
    ("field", "key"),
    [("routingKey", "routing_key"), ("apiUrl", "api_url"), ("authPassword", "auth_password"), ("token", "credentials")],
)
def test_credentials_are_files_in_cluster_and_values_only_inline(field: str, key: str) -> None:
    mounted = json.dumps(alert_routing.alertmanager_config(EVERY_KIND))
    inline = json.dumps(alert_routing.alertmanager_config(EVERY_KIND, inline_values(EVERY_KIND)))
    assert f'"{key}_file"' in mounted and f'"{key}"' not in mounted
    assert STAND_INS[field] not in mounted
    assert STAND_INS[field] in inline and f'"{key}_file"' not in inline


def test_gmp_cluster_gets_the_managed_alertmanager_secret_with_credentials_hidden(ops_prod: Plan) -> None:
    found = [
        r
        for r in ops_prod.of_type(SECRET)
        if r.props["metadata"]["name"] == GMP_ALERTMANAGER_SECRET
        and r.props["metadata"]["namespace"] == GMP_PUBLIC_NAMESPACE
    ]
    assert [r.name.split("-ops-")[0] for r in found] == ["gcp-usc1"]
    secret = found[0]
    assert secret.props["stringData"] in ("[secret]", {GMP_ALERTMANAGER_KEY: "[secret]"})
    shown = json.loads(secret.props["metadata"]["annotations"][ROUTING_ANNOTATION])
    alerting = stack_alerting("prod")
    names = [c.secret_name for c in alert_routing.credentials(alerting)]
    assert shown == alert_routing.redacted(alert_routing.alertmanager_config(alerting, dict.fromkeys(names, "x")))
    assert "[secret]" in json.dumps(shown) and "_file" not in json.dumps(shown)


# -- inhibition and grouping --------------------------------------------------------------------


def test_cause_alerts_listed_for_inhibition_are_the_generated_ones(ops_prod: Plan) -> None:
    generated = {
        rule["alert"]
        for r in ops_prod.resources
        if r.type.endswith(":PrometheusRule") or r.type.endswith(":ClusterRules")
        for group in r.props["spec"]["groups"]
        if group["name"].endswith("causes")
        for rule in group["rules"]
    }
    assert generated == set(alert_routing.CAUSE_ALERTS)


def test_policy_page_alerts_are_the_generated_critical_alerts(ops_prod: Plan) -> None:
    """OPS-01 walks the routing of these alert names: they must be every alert generated as a page."""
    critical = {
        rule["alert"]
        for r in ops_prod.resources
        if r.type.endswith((":PrometheusRule", ":ClusterRules"))
        for group in r.props["spec"]["groups"]
        for rule in group["rules"]
        if rule.get("labels", {}).get("severity") == "critical"
    }
    assert critical == set(PAGE_ALERTS)
    assert {f"{stem}BurnRatePage" for stem in alerts._ALERT_STEM.values()} <= critical


def test_cause_and_ticket_alerts_are_inhibited_only_for_the_same_model_and_target() -> None:
    causes, tickets = alert_routing.inhibit_rules()
    assert causes["equal"] == ["target", "model"]
    assert tickets["equal"] == ["target", "model", "slo"]
    assert all("Page" in m for m in causes["source_matchers"][1:])


def test_notifications_are_grouped_per_cluster_target_and_model() -> None:
    assert alert_routing.alertmanager_config(EVERY_KIND)["route"]["group_by"] == ["cluster", "target", "model"]


# -- the setting's errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alerting", "message"),
    [
        ({"receivers": [{"name": "a", "webhook": {"url": "https://x.example.com"}}], "page": ["b"]}, "page: 'b' is not a receiver"),
        ({"receivers": [{"name": "a"}]}, "exactly one of"),
        ({"receivers": [{"name": "a", "webhook": {"url": "http://x.example.com"}}]}, "url"),
        (
            {"receivers": [{"name": "a", "email": {"to": ["x@example.com"], "from": "y@example.com", "smarthost": "s.example.com:25", "authUsername": "u"}}]},
            "authUsername and authPassword go together",
        ),
        ({"receivers": [{"name": "a", "pagerduty": {"routingKey": "plain-text-key"}}]}, "routingKey"),
    ],
)
def test_bad_alerting_settings_name_the_key(alerting: dict[str, Any], message: str) -> None:
    values = dict(load_stack_file("dev", ROOT).values)
    values["alerting"] = alerting
    with pytest.raises(ConfigError) as err:
        parse_stack_config(values, "dev")
    text = str(err.value)
    assert "alerting" in text and message in text
    assert "plain-text-key" not in text


# -- the real Alertmanager (Debian's prometheus-alertmanager) on loopback ----------------------

ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _http(url: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
    return json.loads(text) if text.strip() else None


@pytest.fixture
def alertmanager(tmp_path: Path):
    """Alertmanager serving the prod configuration on 127.0.0.1 (credentials files are read only
    when notifying, so the configuration runs as generated)."""
    if ALERTMANAGER is None:
        pytest.skip("Alertmanager not installed (Debian: apt-get install -y prometheus-alertmanager)")
    port = _free_port()
    config = write(alert_routing.alertmanager_config(stack_alerting("prod")), tmp_path)
    process = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/-/ready", timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.external
def test_alertmanager_holds_back_causes_and_tickets_only_under_a_page_for_the_same_model_and_target(alertmanager: str) -> None:
    def alert(name: str, severity: str, **labels: str) -> dict[str, Any]:
        return {"labels": {"alertname": name, "severity": severity, **labels}}

    _http(
        f"{alertmanager}/api/v2/alerts",
        [
            alert("ModelTtftBurnRatePage", "critical", model="m", target="t", slo="ttft"),
            alert("VllmQueueGrowing", "warning", model="m", target="t"),
            alert("VllmGenerationStalled", "critical", model="m", target="t"),
            alert("ModelTtftBurnRateTicket", "warning", model="m", target="t", slo="ttft"),
            alert("ModelItlBurnRateTicket", "warning", model="m", target="t", slo="itl"),
            alert("VllmQueueGrowing", "warning", model="m2", target="t"),
            alert("VllmQueueGrowing", "warning", model="m", target="t2"),
            alert("GpuXidError", "warning", target="t"),
        ],
    )
    alerts_ = _http(f"{alertmanager}/api/v2/alerts")
    state = {(a["labels"]["alertname"], a["labels"].get("model"), a["labels"]["target"]): a["status"]["state"] for a in alerts_}
    assert state == {
        ("ModelTtftBurnRatePage", "m", "t"): "active",
        ("VllmQueueGrowing", "m", "t"): "suppressed",
        ("VllmGenerationStalled", "m", "t"): "suppressed",
        ("ModelTtftBurnRateTicket", "m", "t"): "suppressed",
        ("ModelItlBurnRateTicket", "m", "t"): "active",  # another SLO: its own ticket still counts
        ("VllmQueueGrowing", "m2", "t"): "active",
        ("VllmQueueGrowing", "m", "t2"): "active",
        ("GpuXidError", None, "t"): "active",
    }
    receivers = {a["labels"]["alertname"] + "/" + a["labels"].get("model", "-"): [r["name"] for r in a["receivers"]] for a in alerts_}
    assert receivers["ModelTtftBurnRatePage/m"] == ["oncall"]
    assert receivers["VllmQueueGrowing/m2"] == ["team-slack", "team-email"]


# -- what Helm hands Alertmanager: the chart's defaults merged with our values --------------------

KPS = chartvalues.chart_for_pin("KUBE_PROMETHEUS_STACK")
"""The pinned chart's vendored values (vendor/charts/kube-prometheus-stack); Helm's merge is
tools/chartvalues.effective_values, the same one the Helm-values tests use."""


def test_helm_hands_our_alertmanager_config_over_untemplated() -> None:
    assert KPS.defaults["alertmanager"]["tplConfig"] is False  # Slack/PagerDuty templates reach Alertmanager as written


@needs_amtool
@pytest.mark.external
def test_effective_config_after_helm_merges_the_chart_defaults_passes_amtool(ops_prod: Plan, tmp_path: Path) -> None:
    alerting = stack_alerting("prod")
    for target, values in kps_configs(ops_prod).items():
        effective = chartvalues.effective_values({"alertmanager": values}, KPS)["alertmanager"]["config"]
        # Lists replace the chart's: its namespace-wide inhibitions and 'null' receiver are gone.
        assert effective["inhibit_rules"] == alert_routing.inhibit_rules()
        assert effective["route"]["group_by"] == list(alert_routing.GROUP_BY)
        path = write(effective, tmp_path, f"{target}-effective.yml")
        assert "SUCCESS" in amtool("check-config", str(path))
        assert receivers_for(path, "severity=critical", "alertname=ModelItlBurnRatePage") == list(alerting.page)
        assert receivers_for(path, "severity=none", "alertname=Watchdog") == [alert_routing.SILENT_RECEIVER]


@pytest.mark.external
def test_alertmanager_delivers_grouped_notifications_with_the_mounted_token(tmp_path: Path) -> None:
    """Webhook receivers on loopback: the bearer token is read from its mounted file, and one
    notification carries the alerts of one model on one target."""
    import http.server
    import threading

    if ALERTMANAGER is None:
        pytest.skip("Alertmanager not installed (Debian: apt-get install -y prometheus-alertmanager)")
    received: list[tuple[str, str, dict[str, Any]]] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((self.path, self.headers.get("Authorization", ""), body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    hook = http.server.HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    alerting = Alerting.model_validate(
        {
            "receivers": [
                {"name": "pager", "webhook": {"url": "https://pager.example.com/page", "token": {"config": "pagerToken"}}},
                {"name": "tickets", "webhook": {"url": "https://tickets.example.com/ticket"}},
            ],
            "page": ["pager"],
            "ticket": ["tickets"],
        }
    )
    config = alert_routing.alertmanager_config(alerting)
    # Test-only changes: plain HTTP to the loopback stand-in, a 1 s group wait, the token file here.
    token = alert_routing.credentials(alerting)[0]
    token_file = tmp_path / "token"
    token_file.write_text("stand-in-token")
    text = yaml.safe_dump(config).replace(token.path, str(token_file))
    text = re.sub(r"https://[a-z.]+\.example\.com", f"http://127.0.0.1:{hook.server_port}", text)
    config = yaml.safe_load(text)
    config["route"]["group_wait"] = "1s"
    path = write(config, tmp_path)
    port = _free_port()
    process = subprocess.Popen(
        [ALERTMANAGER, f"--config.file={path}", f"--storage.path={tmp_path / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                _http(f"{url}/api/v2/alerts", [])
                break
            except OSError:
                assert time.monotonic() < deadline and process.poll() is None
                time.sleep(0.2)
        page = {"severity": "critical", "model": "m", "target": "t", "cluster": "t"}
        _http(
            f"{url}/api/v2/alerts",
            [
                {"labels": {"alertname": "VllmGenerationStalled", **page, "pod": "p1"}},
                {"labels": {"alertname": "VllmGenerationStalled", **page, "pod": "p2"}},
                {"labels": {"alertname": "VllmGenerationStalled", **page, "model": "m2", "pod": "p3"}},
                {"labels": {"alertname": "GpuXidError", "severity": "warning", "target": "t", "cluster": "t"}},
            ],
        )
        deadline = time.monotonic() + 20
        while len(received) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)
        hook.shutdown()
    by_group = sorted((p, auth, len(b["alerts"]), b["groupLabels"].get("model", "-")) for p, auth, b in received)
    assert by_group == [
        ("/page", "Bearer stand-in-token", 1, "m2"),
        ("/page", "Bearer stand-in-token", 2, "m"),
        ("/ticket", "", 1, "-"),
    ]
