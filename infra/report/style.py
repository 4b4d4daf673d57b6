"""Colours and labels the map, the charts and the page share, and the page's CSS."""

from __future__ import annotations

from collections.abc import Iterable

TIMES = "\u00d7"
"""The multiplication sign of "8\u00d7 H100-80GB"."""

KIND_LABELS = {"aws": "AWS", "gcp": "GCP", "onprem": "on-prem"}
KIND_COLOURS = {
    # (stroke, light fill)
    "aws": ("#c2410c", "#fff4e6"),
    "gcp": ("#1d4ed8", "#eaf1ff"),
    "onprem": ("#047857", "#e9f8f1"),
}

MODEL_PALETTE = ("#fde68a", "#c4b5fd", "#a5f3fc", "#fbcfe8", "#bbf7d0", "#fed7aa", "#ddd6fe", "#bae6fd")

RANGE_COLOURS = {"floor": "#94a3b8", "expected": "#2563eb", "ceiling": "#1e3a8a"}
MEMORY_COLOURS = {
    "weights": "#7c3aed",
    "KV cache": "#10b981",
    "activation": "#f59e0b",
    "overhead": "#ef4444",
    "unreserved": "#e2e8f0",
}
SEVERITY_COLOURS = {"critical": "#7f1d1d", "high": "#dc2626", "medium": "#d97706", "low": "#2563eb"}


def model_colours(models: Iterable[str]) -> dict[str, str]:
    """A fill colour per model name, stable in first-seen order."""
    colours: dict[str, str] = {}
    for model in models:
        if model not in colours:
            colours[model] = MODEL_PALETTE[len(colours) % len(MODEL_PALETTE)]
    return colours


CSS = """
:root { --ink:#0f172a; --muted:#475569; --line:#e2e8f0; --bg:#f8fafc; --card:#ffffff; --ok:#047857; --bad:#b91c1c; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
header.top { background:#0f172a; color:#f8fafc; padding:18px 32px 16px; }
header.top h1 { margin:0; font-size:24px; font-weight:650; letter-spacing:.2px; }
header.top p { margin:4px 0 0; color:#cbd5e1; font-size:13px; }
main { max-width:1360px; margin:0 auto; padding:18px 24px 40px; }
.kpis { display:grid; grid-template-columns:repeat(6, 1fr); gap:12px; margin-bottom:18px; }
.kpi { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:10px 14px; }
.kpi .v { font-size:22px; font-weight:700; }
.kpi .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.5px; }
.kpi .s { color:var(--muted); font-size:12px; }
.kpi.bad .v { color:var(--bad); } .kpi.ok .v { color:var(--ok); }
section.card { background:var(--card); border:1px solid var(--line); border-radius:12px; padding:14px 18px 16px;
  margin-bottom:18px; }
section.card h2 { margin:0 0 10px; font-size:17px; }
section.card h3 { margin:14px 0 6px; font-size:14px; color:var(--muted); text-transform:uppercase; letter-spacing:.4px; }
.grid2 { display:grid; grid-template-columns:minmax(0, 1fr) minmax(0, 1fr); gap:22px; }
.grid2 > div { overflow-x:auto; }
.grid2 > section.card { margin-bottom:0; }
.row { margin-bottom:18px; }
.map { text-align:center; overflow-x:auto; }
svg.fleet-map { width:100%; height:auto; }
svg.chart { width:100%; height:auto; display:block; }
svg.chart text { font-family:inherit; }
.legend { display:flex; flex-wrap:wrap; gap:14px; font-size:12px; color:var(--muted); margin:4px 0 2px; }
.legend i { display:inline-block; width:11px; height:11px; border-radius:2px; margin-right:5px; vertical-align:-1px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background:#f1f5f9;
  padding:1px 4px; border-radius:4px; }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; font-size:11px; font-weight:700; color:#fff;
  text-transform:uppercase; letter-spacing:.4px; }
.sev-group { border-left:4px solid var(--line); padding-left:12px; margin:10px 0 14px; }
.sev-group h3 { margin-top:0; }
.muted { color:var(--muted); }
table.findings { table-layout:fixed; }
ul.hits { margin:0; padding-left:16px; }
ul.hits li { margin:0 0 3px; }
.nowrap td { white-space:nowrap; }
.nowrap td .expired { white-space:normal; }
.na { color:var(--muted); background:#f1f5f9; border:1px dashed #cbd5e1; border-radius:8px; padding:10px 12px; }
.clean { color:var(--ok); background:#ecfdf5; border:1px solid #a7f3d0; border-radius:8px; padding:10px 12px;
  font-weight:600; }
.expired { color:var(--bad); font-weight:700; }
.soon { color:#b45309; font-weight:700; }
.fix { color:#334155; font-size:12.5px; }
footer { color:var(--muted); font-size:12px; text-align:center; margin-top:8px; }
@media (max-width: 1000px) { .grid2 { grid-template-columns:1fr; } .kpis { grid-template-columns:repeat(3, 1fr); } }
@media print { body { background:#fff; } section.card { break-inside:avoid; } }
"""
