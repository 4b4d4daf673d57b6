"""The report page: one self-contained HTML file (inline CSS and SVG, no script, no URL)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable

from infra.plan.model import Plan
from infra.report.charts import esc, memory_chart, money, range_chart
from infra.report.data import (
    SEVERITY_ORDER,
    CapacityView,
    CostView,
    FindingView,
    Missing,
    PolicyView,
    Range,
    ReportData,
    gather,
)
from infra.report.fleetmap import fleet_map_svg
from infra.report.style import CSS, KIND_COLOURS, KIND_LABELS, MEMORY_COLOURS, RANGE_COLOURS, SEVERITY_COLOURS, TIMES

SOON_DAYS = 30
"""A suppression that expires within this many days is highlighted."""


def build_report(plan: Plan, today: dt.date | None = None) -> str:
    """The HTML text of the fleet report for ``plan`` (``today`` fixes suppression countdowns)."""
    data = gather(plan, today)
    body = [
        _header(data),
        "<main>",
        _kpis(data),
        _map_section(data),
        _cost_section(data),
        _capacity_section(data),
        _policy_section(data),
        f"<footer>llm-fleet report · stack {esc(data.stack)} · generated offline from the Plan on "
        f"{esc(data.today.isoformat())} · costs are estimates from the price catalogue</footer>",
        "</main>",
    ]
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>llm-fleet report · {esc(data.stack)}</title>",
            f"<style>{CSS}</style>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def _na(what: str, missing: Missing) -> str:
    return f'<p class="na">{esc(what)} not available: {esc(missing.reason)}</p>'


def _legend(items: Iterable[tuple[str, str]]) -> str:
    spans = "".join(f'<span><i style="background:{colour}"></i>{esc(label)}</span>' for label, colour in items)
    return f'<div class="legend">{spans}</div>'


def _table(headers: list[str], rows: list[list[str]], numeric: frozenset[int] | set[int] = frozenset()) -> str:
    """A table; ``rows`` hold already-escaped HTML cells, ``numeric`` the right-aligned columns."""
    head = "".join(f"<th{' class=num' if i in numeric else ''}>{esc(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _badge(text: str, colour: str) -> str:
    return f'<span class="badge" style="background:{colour}">{esc(text)}</span>'


# ---------------------------------------------------------------------------
# Sections
# ---------------------------------------------------------------------------


def _header(data: ReportData) -> str:
    return (
        '<header class="top">'
        f"<h1>llm-fleet · stack {esc(data.stack)}</h1>"
        f"<p>environment {esc(data.environment)} · owner {esc(data.owner)} · policy enforcement "
        f"{esc(data.enforcement)} · as of {esc(data.today.isoformat())}</p>"
        "</header>"
    )


def _kpi(key: str, value: str, sub: str = "", state: str = "") -> str:
    return (
        f'<div class="kpi {state}"><div class="k">{esc(key)}</div><div class="v">{esc(value)}</div>'
        f'<div class="s">{esc(sub)}</div></div>'
    )


def _kpis(data: ReportData) -> str:
    kinds = Counter(t.kind for t in data.targets)
    gpus_min = sum(p.min_nodes * p.gpus_per_node for t in data.targets for p in t.pools)
    gpus_max = sum(p.max_nodes * p.gpus_per_node for t in data.targets for p in t.pools)
    models = sorted({p.model for p in data.placements})
    cards = [
        _kpi("targets", str(len(data.targets)), " · ".join(f"{KIND_LABELS.get(k, k)} {n}" for k, n in kinds.items())),
        _kpi(
            "placements",
            str(len(data.placements)),
            f"{len(models)} model{'s' if len(models) != 1 else ''}: {', '.join(models)}",
        ),
        _kpi("GPUs", f"{gpus_min}..{gpus_max}", "pool minimum..maximum"),
    ]
    if isinstance(data.cost, CostView):
        m = data.cost.monthly
        share = m.ceiling / data.budget_usd * 100 if data.budget_usd else 0
        cards.append(
            _kpi(
                "monthly cost",
                money(m.expected, data.cost.currency),
                f"floor {money(m.floor)} · ceiling {money(m.ceiling)}",
            )
        )
        cards.append(
            _kpi(
                "budget",
                money(data.budget_usd),
                f"ceiling is {share:.0f}% of budget",
                "bad" if m.ceiling > data.budget_usd else "ok",
            )
        )
    else:
        cards.append(_kpi("monthly cost", "n/a", "cost model not available"))
        cards.append(_kpi("budget", money(data.budget_usd), "per month"))
    if isinstance(data.policy, PolicyView):
        open_ = [f for f in data.policy.findings if not f.suppressed]
        mandatory = sum(1 for f in open_ if f.enforcement == "mandatory")
        suppressed = len(data.policy.findings) - len(open_)
        cards.append(
            _kpi(
                "open findings",
                str(len(open_)),
                f"{mandatory} mandatory · {suppressed} suppressed",
                "bad" if mandatory else ("ok" if not open_ else ""),
            )
        )
    else:
        cards.append(_kpi("open findings", "n/a", "policy engine not available"))
    return '<div class="kpis">' + "".join(cards) + "</div>"


def _map_section(data: ReportData) -> str:
    legend = _legend(
        [(f"{KIND_LABELS[k]} target", KIND_COLOURS[k][0]) for k in ("aws", "gcp", "onprem")]
        + [("public hostname (routing: weight or failover role; dashed = secondary)", "#1e293b")]
    )
    return (
        '<section class="card row" aria-labelledby="fleet-map-title">'
        '<h2 id="fleet-map-title">Fleet map</h2>'
        f"{legend}"
        f'<div class="map">{fleet_map_svg(data)}</div>'
        "</section>"
    )


def _by_rule(findings: list[FindingView]) -> list[list[FindingView]]:
    """Findings grouped by rule, in first-seen order."""
    groups: dict[str, list[FindingView]] = {}
    for f in findings:
        groups.setdefault(f.rule, []).append(f)
    return list(groups.values())


def _finding_rows(findings: list[FindingView], suppressed: bool) -> list[list[str]]:
    """One row per rule: the rule, each resource with its message, the remediation, enforcement."""
    rows = []
    for group in _by_rule(findings):
        first = group[0]
        refs = f'<br><span class="muted">{esc(", ".join((first.category, *first.references)))}</span>'
        hits = []
        for f in group:
            line = f"<li><code>{esc(f.resource)}</code> {esc(f.message)}"
            if suppressed:
                line += f'<br><span class="muted">justification: {esc(f.justification or "")}</span>'
            hits.append(line + "</li>")
        if suppressed:
            last = _badge(first.severity, SEVERITY_COLOURS.get(first.severity, "#64748b"))
        else:
            last = " ".join(
                _badge(e or "-", "#b91c1c" if e == "mandatory" else "#64748b")
                for e in sorted({f.enforcement for f in group}, reverse=True)
            )
        rows.append(
            [
                f"<code>{esc(first.rule)}</code> <b>{esc(first.title)}</b>{refs}",
                f'<ul class="hits">{"".join(hits)}</ul>',
                f'<span class="fix">{esc(first.remediation)}</span>',
                last,
            ]
        )
    return rows


def _policy_section(data: ReportData) -> str:
    out = [
        '<section class="card row" aria-labelledby="findings-title">',
        '<h2 id="findings-title">Policy findings</h2>',
    ]
    if isinstance(data.policy, Missing):
        out.append(_na("Policy findings", data.policy))
    else:
        findings = data.policy.findings
        open_ = [f for f in findings if not f.suppressed]
        if not open_:
            out.append(f'<p class="clean">No open findings: every rule passes on stack {esc(data.stack)}.</p>')
        for severity in SEVERITY_ORDER + tuple(sorted({f.severity for f in open_} - set(SEVERITY_ORDER))):
            group = [f for f in open_ if f.severity == severity]
            if not group:
                continue
            colour = SEVERITY_COLOURS.get(severity, "#64748b")
            rules = len({f.rule for f in group})
            out.append(f'<div class="sev-group" style="border-left-color:{colour}">')
            out.append(
                f"<h3>{_badge(severity, colour)} {len(group)} finding{'s' if len(group) != 1 else ''} "
                f"of {rules} rule{'s' if rules != 1 else ''}</h3>"
            )
            out.append(
                _findings_table(
                    ["rule", "resources and findings", "remediation", "enforcement"], _finding_rows(group, False)
                )
            )
            out.append("</div>")
        hidden = [f for f in findings if f.suppressed]
        if hidden:
            out.append(f"<h3>Suppressed findings ({len(hidden)})</h3>")
            out.append(
                _findings_table(
                    ["rule", "resources and findings", "remediation", "severity"], _finding_rows(hidden, True)
                )
            )
    out.append(_suppressions(data))
    out.append("</section>")
    return "\n".join(out)


def _findings_table(headers: list[str], rows: list[list[str]]) -> str:
    cols = '<colgroup><col style="width:24%"><col style="width:38%"><col style="width:30%"><col></colgroup>'
    return _table(headers, rows).replace("<table>", f'<table class="findings">{cols}', 1)


def _suppressions(data: ReportData) -> str:
    if not data.suppressions:
        return '<h3>Suppressions</h3><p class="muted">None: the stack accepts no finding.</p>'
    rows = []
    for s in data.suppressions:
        if s.days_left < 0:
            left = f'<span class="expired">expired {-s.days_left} d ago</span>'
        elif s.days_left <= SOON_DAYS:
            left = f'<span class="soon">{s.days_left} d</span>'
        else:
            left = f"{s.days_left} d"
        rows.append(
            [
                f"<code>{esc(s.rule)}</code>",
                f"<code>{esc(s.resource)}</code>",
                esc(s.owner),
                esc(s.justification),
                esc(s.expires.isoformat()),
                left,
                str(s.matched),
            ]
        )
    table = _table(
        ["rule", "resource", "owner", "justification", "expires", "days to expiry", "findings matched"], rows, {5, 6}
    )
    return f"<h3>Suppressions ({len(rows)})</h3>{table}"


def _cost_section(data: ReportData) -> str:
    out = ['<section class="card row" aria-labelledby="cost-title">', '<h2 id="cost-title">Monthly cost</h2>']
    cost = data.cost
    if isinstance(cost, Missing):
        out.append(_na("Cost", cost))
        out.append("</section>")
        return "\n".join(out)
    out.append(_legend([(name, colour) for name, colour in RANGE_COLOURS.items()] + [("budget", "#b91c1c")]))
    out.append('<div class="grid2">')
    rows = [("stack total", cost.monthly), *sorted(cost.by_target.items())]
    out.append("<div><h3>Per target</h3>")
    out.append(
        range_chart(
            "cost-target", f"Monthly cost per target, stack {data.stack}", rows, cost.currency, budget=data.budget_usd
        )
    )
    out.append("</div><div><h3>Per category</h3>")
    if cost.by_category:
        by_cat = sorted(cost.by_category.items(), key=lambda kv: -kv[1].ceiling)
        out.append(
            range_chart("cost-category", f"Monthly cost per category, stack {data.stack}", by_cat, cost.currency)
        )
        # GPU nodes dwarf the rest on a linear axis: the table gives every category its figures and share.
        out.append(_category_table(by_cat, cost.currency))
    else:
        out.append('<p class="na">The cost model gives no per-category split.</p>')
    out.append("</div></div>")
    out.append("<h3>Per placement: $ per 1M output tokens</h3>")
    out.append(_token_price_table(cost))
    if cost.by_client:
        out.append("<h3>Per API client (showback, estimate)</h3>")
        out.append(_showback_table(cost))
    if cost.unpriced:
        out.append(
            f'<p class="muted">{cost.unpriced} billable resource{"s are" if cost.unpriced != 1 else " is"} '
            "usage-based or not in the price catalogue and not included; <code>llmfleet cost</code> lists them.</p>"
        )
    out.append("</section>")
    return "\n".join(out)


def _showback_table(cost: CostView) -> str:
    rows = [
        [
            f"<b>{esc(c.client)}</b>",
            esc(c.owner),
            ", ".join(f"{esc(m)} {esc(money(r.expected, cost.currency))}" for m, r in sorted(c.by_model.items())) or "-",
            esc(money(c.monthly.floor, cost.currency)),
            f"<b>{esc(money(c.monthly.expected, cost.currency))}</b>",
            esc(money(c.monthly.ceiling, cost.currency)),
        ]
        for c in cost.by_client
    ]
    if cost.unallocated is not None and cost.unallocated.expected > 0:
        u = cost.unallocated
        rows.append(["(unallocated)", "models no client may call", "-", esc(money(u.floor, cost.currency)),
                     esc(money(u.expected, cost.currency)), esc(money(u.ceiling, cost.currency))])
    table = _table(["client", "owner", "expected by model", "floor", "expected", "ceiling"], rows, {3, 4, 5})
    return f'<div class="nowrap">{table}</div><p class="muted">{esc(cost.showback_basis)}.</p>'


def _token_price(value: float | None, currency: str) -> str:
    if value is None:
        return "n/a"
    return money(value, currency) if value >= 100 else f"{'$' if currency == 'USD' else ''}{value:,.2f}"


def _category_table(by_cat: list[tuple[str, Range]], currency: str) -> str:
    total = sum(r.expected for _, r in by_cat) or 1.0
    rows = [
        [
            esc(name),
            esc(money(r.floor, currency)),
            esc(money(r.expected, currency)),
            esc(money(r.ceiling, currency)),
            f"{100 * r.expected / total:.1f}%",
        ]
        for name, r in by_cat
    ]
    return _table(["category", "floor", "expected", "ceiling", "share of expected"], rows, {1, 2, 3, 4})


def _token_price_table(cost: CostView) -> str:
    if not cost.per_placement:
        return '<p class="na">The cost model gives no per-placement token price.</p>'
    rows = [
        [
            f"{esc(p.target)} / <b>{esc(p.model)}</b>",
            str(p.gpus_per_replica) if p.gpus_per_replica is not None else "n/a",
            esc(_token_price(p.replica_hourly, cost.currency)) if p.replica_hourly is not None else "n/a",
            f"<b>{esc(_token_price(p.expected_usd_per_million_output_tokens, cost.currency))}</b>",
            f"{p.decode_tokens_per_second:,.0f}" if p.decode_tokens_per_second is not None else "n/a",
            esc(_token_price(p.usd_per_million_output_tokens, cost.currency)),
        ]
        for p in cost.per_placement
    ]
    table = _table(
        [
            "placement",
            "GPUs per replica",
            "replica per hour",
            f"{cost.currency} per 1M output tokens, expected from traffic",
            "worst-case decode tokens/s per replica",
            f"{cost.currency} per 1M output tokens, worst case (max length)",
        ],
        rows,
        {1, 2, 3, 4, 5},
    )
    notes = "".join(
        f"<li>{esc(p.target)} / {esc(p.model)}: {esc(p.assumptions)}</li>" for p in cost.per_placement if p.assumptions
    )
    assumptions = (
        f'<details><summary>assumptions behind the expected price</summary><ul class="muted">{notes}</ul></details>'
        if notes
        else ""
    )
    return f'<div class="nowrap">{table}</div>{assumptions}'


def _capacity_rows(views: tuple[CapacityView, ...]) -> list[list[str]]:
    rows = []
    for v in views:
        fits = "" if v.fits else f'<br><span class="expired">does not fit: {esc("; ".join(v.problems))}</span>'
        rows.append(
            [
                f"{esc(v.target)} / <b>{esc(v.model)}</b>{fits}",
                esc(f"{v.tp}{TIMES} {v.gpu}"),
                f"{v.max_model_len:,}",
                f"<b>{v.max_concurrency:.1f}</b>",
            ]
        )
    return rows


def _capacity_section(data: ReportData) -> str:
    out = ['<section class="card row" aria-labelledby="capacity-title">', '<h2 id="capacity-title">GPU capacity</h2>']
    if isinstance(data.capacity, Missing):
        out.append(_na("Capacity", data.capacity))
    else:
        out.append('<div class="grid2"><div>')
        out.append('<p class="muted">Memory of one GPU of each placement\'s model server (GiB), as vLLM splits it.</p>')
        out.append(_legend(MEMORY_COLOURS.items()))
        out.append(memory_chart("capacity", f"GPU memory split per placement, stack {data.stack}", data.capacity))
        out.append("</div><div>")
        out.append('<div class="nowrap">')
        out.append(
            _table(
                ["placement", "GPUs per server", "max model len", "max concurrency"],
                _capacity_rows(data.capacity),
                {2, 3},
            )
        )
        out.append("</div>")
        out.append(
            '<p class="muted">Max concurrency: sequences of the full max model length the KV cache holds at once '
            '(vLLM\'s "Maximum concurrency").</p>'
        )
        out.append("</div></div>")
    out.append("</section>")
    return "\n".join(out)
