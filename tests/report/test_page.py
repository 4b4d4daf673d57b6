"""The report page of the real stacks: self-contained, complete, escaped, and true to its sources."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli import app
from infra.config import parse_stack_config
from infra.plan import Plan
from infra.report import build_report, charts, fleetmap
from policy import cost, engine
from serving.errors import LlmFleetError
from tests.report.conftest import TODAY, clone, fleet_map, require_dot

ROOT = Path(__file__).resolve().parents[2]

# Anything that would make a browser fetch: URL-bearing attributes, CSS url()/@import,
# external scripts and <link> elements.
URL_ATTR = re.compile(
    r"""\b(?:src|href|xlink:href|srcset|action|poster|data|background)\s*=\s*["']?([^"'\s>]*)""", re.I
)
CSS_URL = re.compile(r"url\(|@import", re.I)


def visible_text(html: str) -> str:
    """The page's text: tags removed, entities decoded, whitespace collapsed."""
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))


def test_references_nothing_over_the_network(stack_report: tuple[Plan, str]) -> None:
    _, html = stack_report
    assert URL_ATTR.findall(html) == []  # no src/href at all: nothing to load, nothing to follow
    assert not CSS_URL.search(html)
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    for tag in ("<iframe", "<img", "<object", "<embed", "<audio", "<video", "http-equiv"):
        assert tag not in html.lower()


def test_is_one_html_document_with_inline_css_and_svg(prod_html: str) -> None:
    assert prod_html.startswith("<!DOCTYPE html>")
    assert prod_html.count("<style>") == 1
    assert "<?xml" not in prod_html and "<!DOCTYPE svg" not in prod_html  # Graphviz prolog stripped
    # the map, the two cost charts and the capacity chart
    assert prod_html.count("<svg") >= 2


def test_every_target_pool_model_and_route_appears(stack_report: tuple[Plan, str]) -> None:
    plan, html = stack_report
    config = parse_stack_config(plan.config, plan.stack)
    text = visible_text(html)
    floors = cost.estimate_cost(plan.to_json()).nodes_by_pool  # the map shows the minimum as priced
    for target in config.targets:
        assert target.name in text
        assert target.edge.domain in text
        for pool in target.gpu_pools:
            assert f"pool {pool.name}" in text
            floor = floors[f"{target.name}/{pool.name}"].floor
            assert floor >= pool.nodes.min
            assert f"nodes {floor:.0f}..{pool.nodes.max}" in text
    for model in config.models:
        assert model.name in text
        for placement in model.placements:
            assert f"{placement.target} / {model.name}" in text  # its capacity row
    for route in config.routing:
        assert route.hostname in text


def test_map_shows_each_target_and_model_with_routing(stack_report: tuple[Plan, str]) -> None:
    plan, html = stack_report
    config = parse_stack_config(plan.config, plan.stack)
    svg = visible_text(fleet_map(html))
    for target in config.targets:
        assert target.name in svg
        for pool in target.gpu_pools:
            assert f"pool {pool.name}" in svg
    for model in config.models:
        assert model.name in svg
        assert model.architecture in svg
    for route in config.routing:
        assert route.hostname in svg
        for endpoint in route.endpoints:
            if route.mode == "failover":
                assert endpoint.role in svg
        if route.mode == "weighted":
            total = sum(e.weight or 0 for e in route.endpoints)
            for endpoint in route.endpoints:
                assert f"{100 * (endpoint.weight or 0) / total:.0f}%" in svg


def test_map_edges_show_tls_and_waf(prod_html: str) -> None:
    svg = visible_text(fleet_map(prod_html))
    assert "WAF: AWS WAFv2" in svg and "TLS: ACM certificate" in svg
    assert "WAF: Cloud Armor" in svg and "TLS: Google-managed certificate" in svg
    assert "TLS: cert-manager (acme)" in svg and "WAF: Coraza OWASP CRS" in svg


def test_every_finding_appears_with_its_remediation(stack_report: tuple[Plan, str]) -> None:
    plan, html = stack_report
    report = engine.evaluate_plan(plan.to_json(), today=TODAY)
    text = visible_text(html)
    for finding in report.findings:
        assert f"{finding.rule} {finding.meta.title}" in text
        assert f"{finding.name} {finding.message}" in text
        assert finding.meta.remediation in text
    if not [f for f in report.findings if not f.suppressed]:
        assert "No open findings" in text


def test_findings_are_grouped_by_severity_in_order(dev_plan: Plan) -> None:
    require_dot()
    plan = clone(dev_plan)
    # an expired suppression and one that matches nothing: two engine findings of different severity
    plan.config.setdefault("policy", {})["suppressions"] = [
        {
            "rule": "K8S-07",
            "resource": "nothing-*",
            "justification": "kept for the test of grouping",
            "owner": "qa",
            "expires": "2026-01-01",
        },
    ]
    report = engine.evaluate_plan(plan.to_json(), today=TODAY)
    severities = {f.meta.severity for f in report.findings if not f.suppressed}
    assert {"medium", "low"} <= severities
    html = build_report(plan, today=TODAY)
    headings = re.findall(r'<h3><span class="badge"[^>]*>(\w+)</span> (\d+) findings? of \d+ rules?</h3>', html)
    order = ["critical", "high", "medium", "low"]
    assert [h[0] for h in headings] == [s for s in order if s in severities]
    for severity, count in headings:
        assert int(count) == sum(1 for f in report.findings if not f.suppressed and f.meta.severity == severity)


def test_cost_totals_match_the_cost_model(stack_report: tuple[Plan, str]) -> None:
    from infra.report.charts import money

    plan, html = stack_report
    data = cost.estimate_cost(plan.to_json()).to_json()
    text = visible_text(html)
    for key in ("floor", "expected", "ceiling"):
        assert f"stack total {key}: {money(data['monthly'][key])} per month" in text
    for target, values in data["byTarget"].items():
        assert f"{target} ceiling: {money(values['ceiling'])} per month" in text


def test_cost_categories_cover_every_item(prod_plan: Plan) -> None:
    from infra.report.data import CostView, gather

    view = gather(prod_plan, TODAY).cost
    assert isinstance(view, CostView)
    assert "other" not in view.by_category, "a cost item type has no report category (infra/report/data.py)"
    for key in ("floor", "expected", "ceiling"):
        total = sum(getattr(r, key) for r in view.by_category.values())
        assert total == pytest.approx(getattr(view.monthly, key), abs=1.0)
    assert {"GPU nodes", "control plane", "load balancer", "WAF / Cloud Armor", "KMS"} <= set(view.by_category)


def test_token_price_of_every_placement_appears(prod_plan: Plan, prod_html: str) -> None:
    data = cost.estimate_cost(prod_plan.to_json()).to_json()
    text = visible_text(prod_html)
    assert data["placements"]
    for p in data["placements"]:
        worst, expected = p["usdPerMillionOutputTokens"], p["expectedUsdPerMillionOutputTokens"]
        shown = "n/a" if expected is None else f"${expected:,.2f}"
        row = rf"{re.escape(p['target'])} / {re.escape(p['model'])} \d+ \S+ {re.escape(shown)} [\d,]+ \${worst:,.2f}"
        assert re.search(row, text), row
        assert p["traffic"]["assumptions"] in text  # the assumptions behind the expected price are spelled out


def test_showback_of_every_client_appears(prod_plan: Plan, prod_html: str) -> None:
    data = cost.estimate_cost(prod_plan.to_json()).to_json()
    text = visible_text(prod_html)
    assert "Per API client (showback, estimate)" in text
    for name, view in data["byClient"].items():
        expected = charts.money(view["monthly"]["expected"])
        assert re.search(rf"{re.escape(name)} {re.escape(view['owner'])} .*{re.escape(expected)}", text), name


def test_capacity_rows_are_the_planners_numbers(prod_plan: Plan, prod_html: str) -> None:
    from serving.capacity import plan_capacity

    config = parse_stack_config(prod_plan.config, "prod")
    text = visible_text(prod_html)
    model = next(m for m in config.models if m.name == "llama-70b")
    sized = plan_capacity(model.architecture, "H100-80GB", tp=4, max_model_len=model.max_model_len, strict=False)
    weights, kv = sized.weight_dtype, sized.kv_cache_dtype
    assert f"dc1/llama-70b weights ({weights}): {sized.weights_gib_per_gpu:.2f} GiB per GPU" in text
    assert f"dc1/llama-70b KV cache ({kv}): {sized.kv_cache_gib_per_gpu:.2f} GiB per GPU" in text
    assert f"max concurrency {sized.max_concurrency:.1f} at {model.max_model_len}" in text


def test_every_string_is_escaped(dev_plan: Plan) -> None:
    require_dot()
    plan = clone(dev_plan)
    plan.config["owner"] = "ml-platform"
    plan.config.setdefault("policy", {})["suppressions"] = [
        {
            "rule": "K8S-07",
            "resource": "<img src=x onerror=alert(1)>",
            "justification": "<script>alert('owned')</script> & more",
            "owner": '"><b>mallory</b>',
            "expires": "2027-01-01",
        }
    ]
    html = build_report(plan, today=TODAY)
    assert "<script>" not in html and "<img" not in html and "<b>mallory" not in html
    assert "&lt;script&gt;alert(&#x27;owned&#x27;)&lt;/script&gt; &amp; more" in html
    assert "&quot;&gt;&lt;b&gt;mallory&lt;/b&gt;" in html


def test_suppressions_show_owner_justification_and_days_to_expiry(dev_plan: Plan) -> None:
    require_dot()
    plan = clone(dev_plan)
    plan.config.setdefault("policy", {})["suppressions"] = [
        {
            "rule": "COST-02",
            "resource": "lab-*",
            "justification": "lab nodes are owned hardware",
            "owner": "lab-team",
            "expires": (TODAY + dt.timedelta(days=45)).isoformat(),
        },
        {
            "rule": "K8S-07",
            "resource": "aws-dev-*",
            "justification": "waiting for the chart upgrade",
            "owner": "platform-oncall",
            "expires": (TODAY - dt.timedelta(days=3)).isoformat(),
        },
    ]
    text = visible_text(build_report(plan, today=TODAY))
    assert re.search(r"COST-02\s+lab-\*\s+lab-team\s+lab nodes are owned hardware\s+2027-01-12\s+45 d", text)
    assert re.search(
        r"K8S-07\s+aws-dev-\*\s+platform-oncall\s+waiting for the chart upgrade\s+2026-11-25\s+"
        r"expired 3 d ago",
        text,
    )


def test_secrets_in_the_plan_never_reach_the_page(prod_plan: Plan) -> None:
    require_dot()
    plan = clone(prod_plan)
    for resource in plan.resources:
        resource.props["kubeconfig"] = "SECRET-KUBECONFIG-VALUE"
    assert "SECRET-KUBECONFIG-VALUE" not in build_report(plan, today=TODAY)


def test_missing_dot_is_an_error_with_the_install_hint(prod_plan: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fleetmap.shutil, "which", lambda name: None)
    with pytest.raises(
        LlmFleetError, match=r"'dot' command is not on PATH; install Graphviz: apt-get install -y graphviz"
    ):
        build_report(prod_plan, today=TODAY)


def test_dot_failure_is_an_error() -> None:
    require_dot()
    with pytest.raises(LlmFleetError, match=r"Graphviz 'dot' failed \(exit 1\): .*syntax error"):
        fleetmap.render_svg("digraph { a -> }")


def test_dot_source_escapes_labels() -> None:
    assert fleetmap._q('a"b\\c') == '"a\\"b\\\\c"'
    assert fleetmap._label(("b", "<x> & y")) == '<<B><FONT POINT-SIZE="13">&lt;x&gt; &amp; y</FONT></B>>'


def test_cli_report_writes_the_page(tmp_path: Path) -> None:
    require_dot()
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, ["report", "prod", "--out", str(out), "-C", str(ROOT)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "llm-fleet · stack prod" in page and 'class="fleet-map"' in page


def test_cli_report_reads_a_plan_file(tmp_path: Path, dev_plan: Plan) -> None:
    require_dot()
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(dev_plan.dumps(), encoding="utf-8")
    out = tmp_path / "dev.html"
    result = CliRunner().invoke(app, ["report", str(plan_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "llm-fleet · stack dev" in out.read_text(encoding="utf-8")
