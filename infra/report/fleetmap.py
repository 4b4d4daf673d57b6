"""The fleet map: a Graphviz ``dot`` graph of targets, edges, pools, models and routing.

Graphviz does the layout (``dot -Tsvg``); this module only writes the graph. Each target
is a cluster holding its edge, its model placements and its GPU pools; public hostnames
sit above the clusters with an arrow to each target's edge, labelled with its weight or
failover role.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess

from infra.report.data import PlacementView, ReportData, RouteView, TargetView
from infra.report.style import KIND_COLOURS, KIND_LABELS, TIMES, model_colours
from serving.errors import LlmFleetError

DOT_TIMEOUT_S = 60
INSTALL_HINT = "install Graphviz: apt-get install -y graphviz (Debian/Ubuntu) or brew install graphviz"

EDGE_BY_KIND = {
    # What each target kind builds as its entry point (issues 3, 5 and 6): load balancer, TLS, WAF.
    "aws": ("ALB", "ACM certificate", "AWS WAFv2"),
    "gcp": ("global external ALB", "Google-managed certificate", "Cloud Armor"),
    "onprem": ("Envoy Gateway", "cert-manager", "Coraza OWASP CRS"),
}

FONT = "Helvetica"


def _q(text: str) -> str:
    """A DOT double-quoted ID."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _label(*lines: tuple[str, str]) -> str:
    """An HTML-like DOT label from (style, text) lines; style is 'b' (bold), 's' (small) or ''."""
    parts = []
    for style, text in lines:
        text = html.escape(text, quote=True)
        if style == "b":
            parts.append(f'<B><FONT POINT-SIZE="13">{text}</FONT></B>')
        elif style == "s":
            parts.append(f'<FONT POINT-SIZE="10" COLOR="#4a5565">{text}</FONT>')
        else:
            parts.append(text)
    return "<" + "<BR/>".join(parts) + ">"


def _edge_lines(target: TargetView) -> list[tuple[str, str]]:
    lb, cert, waf = EDGE_BY_KIND.get(target.kind, ("load balancer", "TLS", "WAF"))
    if target.kind == "onprem":
        cert = f"{cert} ({target.tls_issuer})"
    lines = [("b", target.domain), ("", lb), ("", f"TLS: {cert}"), ("", f"WAF: {waf if target.waf else 'off'}")]
    limits = f"{target.rate_limit_per_minute:,} req/min per client"
    if list(target.allowed_cidrs) != ["0.0.0.0/0"]:
        limits += " · from " + ", ".join(target.allowed_cidrs)
    lines.append(("s", limits))
    return lines


def _target_cluster(
    index: int,
    target: TargetView,
    placements: list[PlacementView],
    colours: dict[str, str],
    planned_tp: dict[tuple[str, str], int],
) -> list[str]:
    stroke, fill = KIND_COLOURS.get(target.kind, ("#6b7280", "#f3f4f6"))
    title = f"{KIND_LABELS.get(target.kind, target.kind)} · {target.name}"
    sub = f"{target.where} · {target.cluster} · {target.resources} resources"
    out = [
        f"  subgraph cluster_{index} {{",
        f"    label={_label(('b', title), ('s', sub))};",
        f'    color="{stroke}"; fillcolor="{fill}"; style="rounded,filled"; penwidth=2; margin=14;',
        f'    {_q(f"{target.name}/edge")} [shape=box, style="rounded,filled", fillcolor="#ffffff", '
        f'color="{stroke}", label={_label(*_edge_lines(target))}];',
    ]
    for pool in target.pools:
        kind = "/".join(pool.instance_types) or "on-prem nodes"
        out.append(
            f'    {_q(f"{target.name}/pool/{pool.name}")} [shape=box3d, style=filled, fillcolor="#ffffff", '
            f'color="#64748b", label={_label(("b", f"pool {pool.name}"), ("", f"{pool.gpus_per_node}{TIMES} {pool.gpu}"), ("s", kind), ("s", f"nodes {pool.min_nodes}..{pool.max_nodes} · {pool.capacity_type}"))}];'
        )
    for p in placements:
        if p.tensor_parallel:
            tp = f"TP {p.tensor_parallel}"
        elif (p.target, p.model) in planned_tp:
            tp = f"TP {planned_tp[(p.target, p.model)]} (planner)"
        else:
            tp = "TP auto"
        out.append(
            f'    {_q(f"{target.name}/model/{p.model}")} [shape=box, style="rounded,filled", '
            f'fillcolor="{colours[p.model]}", color="#1f2937", '
            f"label={_label(('b', p.model), ('s', p.architecture), ('', f'replicas {p.min_replicas}..{p.max_replicas} · {tp} · {p.routing}'))}];"
        )
    out.append("  }")
    for p in placements:
        model_id = _q(f"{target.name}/model/{p.model}")
        out.append(f'  {_q(f"{target.name}/edge")} -> {model_id} [color="#64748b"];')
        out.append(
            f'  {model_id} -> {_q(f"{target.name}/pool/{p.pool}")} [color="#64748b", style=dashed, label="runs on", fontsize=9, fontcolor="#64748b"];'
        )
    return out


def _route(route: RouteView, clusters: dict[str, int]) -> list[str]:
    node = _q(f"route/{route.hostname}")
    out = [
        f'  {node} [shape=box, style="rounded,filled,bold", fillcolor="#1e293b", fontcolor="#ffffff", color="#1e293b", '
        f'label=<<B>{html.escape(route.hostname)}</B><BR/><FONT POINT-SIZE="10">{html.escape(route.mode)} · '
        f"{html.escape(', '.join(route.models))}</FONT>>];"
    ]
    for target, how in route.endpoints:
        style = "dashed" if how == "secondary" else "solid"
        width = 2.5 if how == "primary" or (how.endswith("%") and how != "0%") else 1.5
        # lhead: the arrow ends on the target's frame, so it reads "this hostname -> that target".
        out.append(
            f"  {node} -> {_q(f'{target}/edge')} [lhead=cluster_{clusters[target]}, label={_q(' ' + how + ' ')}, "
            f'style={style}, penwidth={width}, color="#1e293b", fontcolor="#1e293b", fontsize=11];'
        )
    return out


def dot_source(data: ReportData) -> str:
    """The DOT text of the fleet map."""
    colours = model_colours([p.model for p in data.placements])
    planned_tp = {(c.target, c.model): c.tp for c in data.capacity} if isinstance(data.capacity, tuple) else {}
    lines = [
        "digraph fleet {",
        f'  graph [rankdir=TB, bgcolor="transparent", fontname="{FONT}", nodesep=0.35, ranksep=0.55, '
        f'newrank=true, compound=true, label="", tooltip="fleet map: stack {data.stack}"];',
        f'  node [fontname="{FONT}", fontsize=11, margin="0.22,0.07"];',
        f'  edge [fontname="{FONT}", arrowsize=0.7];',
    ]
    clusters = {target.name: index for index, target in enumerate(data.targets)}
    for route in data.routes:
        lines += _route(route, clusters)
    for index, target in enumerate(data.targets):
        mine = [p for p in data.placements if p.target == target.name]
        lines += _target_cluster(index, target, mine, colours, planned_tp)
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(source: str) -> str:
    """Lay ``source`` out with Graphviz and return the bare <svg> element, ready to inline."""
    dot = shutil.which("dot")
    if dot is None:
        raise LlmFleetError(f"report: the Graphviz 'dot' command is not on PATH; {INSTALL_HINT}")
    try:
        result = subprocess.run(
            [dot, "-Tsvg"], input=source, capture_output=True, text=True, timeout=DOT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise LlmFleetError(f"report: Graphviz 'dot' did not finish within {DOT_TIMEOUT_S} s") from None
    if result.returncode != 0:
        raise LlmFleetError(f"report: Graphviz 'dot' failed (exit {result.returncode}): {result.stderr.strip()[:500]}")
    return inline_svg(result.stdout)


def inline_svg(svg: str) -> str:
    """Strip the XML prolog, DOCTYPE and comments; let the map scale to the page width."""
    start = svg.find("<svg")
    if start < 0:
        raise LlmFleetError("report: Graphviz 'dot' produced no <svg> element")
    svg = re.sub(r"<!--.*?-->", "", svg[start:], flags=re.DOTALL)
    # Inline SVG in HTML needs no namespace declarations; dropping them keeps the page free of URLs.
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = re.sub(
        r"<svg\b([^>]*?)\swidth=\"([\d.]+)pt\"\s+height=\"([\d.]+)pt\"",
        lambda m: (
            f'<svg{m.group(1)} class="fleet-map" role="img" aria-labelledby="fleet-map-title" '
            f'style="max-width:{float(m.group(2)):.0f}pt"'
        ),
        svg,
        count=1,
    )
    return svg.strip()


def fleet_map_svg(data: ReportData) -> str:
    return render_svg(dot_source(data))
