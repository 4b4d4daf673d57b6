"""Small inline SVG charts: cost ranges (floor / expected / ceiling) and GPU memory splits.

Plain SVG, no script: every chart has a <title> and <desc>, every bar its own <title>, and
the numbers are written next to the bars so the chart reads without hovering.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence

from infra.report.data import CapacityView, Range
from infra.report.style import MEMORY_COLOURS, RANGE_COLOURS

WIDTH = 580
LABEL_W = 180
VALUE_W = 70
AXIS_H = 22


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def money(value: float, currency: str = "USD") -> str:
    """$1,234 / $12.3k / $1.23M (a currency other than USD is written after the number)."""
    sign = "$" if currency == "USD" else ""
    suffix = "" if currency == "USD" else f" {currency}"
    if abs(value) >= 1_000_000:
        text = f"{value / 1_000_000:.2f}M"
    elif abs(value) >= 10_000:
        text = f"{value / 1000:.1f}k"
    else:
        text = f"{value:,.0f}"
    return f"{sign}{text}{suffix}"


def nice_ticks(maximum: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``maximum`` (steps of 1, 2 or 5 x 10^k)."""
    if maximum <= 0:
        return [0.0, 1.0]
    raw = maximum / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    ticks = [0.0]
    while ticks[-1] < maximum - 1e-9:
        ticks.append(ticks[-1] + step)
    return ticks


def _open(uid: str, height: float, title: str, desc: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-labelledby="{uid}-t {uid}-d">',
        f'<title id="{uid}-t">{esc(title)}</title>',
        f'<desc id="{uid}-d">{esc(desc)}</desc>',
    ]


def _axis(ticks: list[float], scale: float, top: float, bottom: float, fmt: Callable[[float], str]) -> list[str]:
    out = []
    for tick in ticks:
        x = LABEL_W + tick * scale
        out.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="#e2e8f0"/>')
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 14:.1f}" font-size="11.5" fill="#64748b" text-anchor="middle">'
            f"{esc(fmt(tick))}</text>"
        )
    return out


def range_chart(
    uid: str,
    title: str,
    rows: Sequence[tuple[str, Range]],
    currency: str = "USD",
    budget: float | None = None,
) -> str:
    """Horizontal bars per row: floor, expected and ceiling of a monthly cost, with values."""
    bar_h, gap, group_gap = 11, 3, 16
    top = 24 if budget else 8  # room for the budget label above the bars
    group_h = 3 * bar_h + 2 * gap
    height = top + len(rows) * (group_h + group_gap) + AXIS_H
    maximum = max([r.ceiling for _, r in rows] + [r.expected for _, r in rows] + [budget or 0.0] + [1.0])
    ticks = nice_ticks(maximum)
    scale = (WIDTH - LABEL_W - VALUE_W) / ticks[-1]
    desc = "; ".join(
        f"{label}: floor {money(r.floor, currency)}, expected {money(r.expected, currency)}, "
        f"ceiling {money(r.ceiling, currency)}"
        for label, r in rows
    )
    out = _open(uid, height, title, desc)
    bottom = height - AXIS_H
    out += _axis(ticks, scale, top - 4, bottom, lambda v: money(v, currency))
    if budget:  # drawn first: bars and their values paint over it
        x = LABEL_W + budget * scale
        out.append(
            f'<line x1="{x:.1f}" y1="{top - 6}" x2="{x:.1f}" y2="{bottom:.1f}" stroke="#b91c1c" '
            f'stroke-width="1.5" stroke-dasharray="5 3"><title>{esc(f"budget {money(budget, currency)} per month")}'
            "</title></line>"
        )
        out.append(
            f'<text x="{x - 4:.1f}" y="{top - 10:.1f}" font-size="11.5" fill="#b91c1c" text-anchor="end">'
            f"budget {esc(money(budget, currency))}</text>"
        )
    y = top
    for label, r in rows:
        out.append(
            f'<text x="{LABEL_W - 10}" y="{y + group_h / 2 + 4:.1f}" font-size="13" font-weight="600" '
            f'fill="#0f172a" text-anchor="end">{esc(label)}</text>'
        )
        for i, (name, value) in enumerate((("floor", r.floor), ("expected", r.expected), ("ceiling", r.ceiling))):
            by = y + i * (bar_h + gap)
            w = max(value * scale, 1.0 if value > 0 else 0.0)
            out.append(
                f'<rect x="{LABEL_W}" y="{by:.1f}" width="{w:.1f}" height="{bar_h}" rx="2" '
                f'fill="{RANGE_COLOURS[name]}"><title>{esc(f"{label} {name}: {money(value, currency)} per month")}'
                "</title></rect>"
            )
            out.append(
                f'<text x="{LABEL_W + w + 5:.1f}" y="{by + bar_h - 1.5:.1f}" font-size="11.5" fill="#334155" '
                f'stroke="#ffffff" stroke-width="3" paint-order="stroke">'
                f"{esc(money(value, currency))}</text>"
            )
        y += group_h + group_gap
    out.append("</svg>")
    return "\n".join(out)


def _parts(view: CapacityView) -> list[tuple[str, float]]:
    return [
        ("weights", view.weights_gib),
        ("KV cache", view.kv_cache_gib),
        ("activation", view.activation_gib),
        ("overhead", view.overhead_gib),
        ("unreserved", view.unreserved_gib),
    ]


def _dtype(view: CapacityView, part: str) -> str:
    """The element type of a memory part, where it is one (FP8 halves weights or KV cache)."""
    if part == "weights":
        return f" ({view.weight_dtype})"
    if part == "KV cache":
        return f" ({view.kv_cache_dtype})"
    return ""


def memory_chart(uid: str, title: str, views: Sequence[CapacityView]) -> str:
    """One stacked bar per placement: how one GPU's memory is split, in GiB, on a shared scale."""
    bar_h, row_gap, top = 22, 20, 6
    height = top + len(views) * (bar_h + row_gap) + AXIS_H
    maximum = max([v.usable_gib for v in views] + [1.0])
    ticks = nice_ticks(maximum, 6)
    scale = (WIDTH - LABEL_W - VALUE_W) / ticks[-1]
    desc = "; ".join(
        f"{v.target}/{v.model} on {v.gpu}: "
        + ", ".join(f"{name}{_dtype(v, name)} {value:.1f} GiB" for name, value in _parts(v))
        + f"; max concurrency {v.max_concurrency:.1f} at {v.max_model_len} tokens"
        for v in views
    )
    out = _open(uid, height, title, desc)
    bottom = height - AXIS_H
    out += _axis(ticks, scale, top - 2, bottom, lambda v: f"{v:g} GiB")
    y = top
    for v in views:
        out.append(
            f'<text x="{LABEL_W - 10}" y="{y + 10:.1f}" font-size="13" font-weight="600" fill="#0f172a" '
            f'text-anchor="end">{esc(v.model)}</text>'
        )
        out.append(
            f'<text x="{LABEL_W - 10}" y="{y + 23:.1f}" font-size="11.5" fill="#64748b" text-anchor="end">'
            f"{esc(f'{v.target} · {v.gpu} · TP {v.tp} · weights {v.weight_dtype} · KV {v.kv_cache_dtype}')}</text>"
        )
        x = float(LABEL_W)
        for name, value in _parts(v):
            w = value * scale
            if w <= 0:
                continue
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h}" fill="{MEMORY_COLOURS[name]}">'
                f"<title>{esc(f'{v.target}/{v.model} {name}{_dtype(v, name)}: {value:.2f} GiB per GPU')}</title></rect>"
            )
            if w >= 34:
                colour = "#0f172a" if name == "unreserved" else "#ffffff"
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + bar_h / 2 + 4:.1f}" font-size="11.5" font-weight="600" '
                    f'fill="{colour}" text-anchor="middle">{value:.1f}</text>'
                )
            x += w
        out.append(
            f'<text x="{x + 5:.1f}" y="{y + bar_h / 2 + 4:.1f}" font-size="11.5" fill="#334155">'
            f"{v.usable_gib:.1f} GiB</text>"
        )
        y += bar_h + row_gap
    out.append("</svg>")
    return "\n".join(out)
