"""Fit the decode model (serving/decode.py) on the rows of serving/catalog/decode_measurements.json.

    python -m tools.fit_decode            # print the fit and every row's residual
    python -m tools.fit_decode --write    # also write serving/catalog/decode_fit.json

Parameters: one achieved-bandwidth efficiency per GPU that has ``fit`` rows, one per-step
overhead and one prefill MFU shared by all. The loss is the sum of squared log residuals over
the ``fit`` rows (a 10% miss costs the same on a slow GPU as on a fast one); the search is a
coarse grid over (overhead, prefill MFU) with, inside it, a golden-section search per GPU
efficiency (bounded to 0.3-0.95: no GPU streams its datasheet bandwidth). Stdlib only.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from serving.catalog import get_gpu
from serving.decode import DecodeFit
from serving.decode_measurements import Measurement, measurements, predict

OUT = Path(__file__).resolve().parents[1] / "serving" / "catalog" / "decode_fit.json"
EFFICIENCY_BOUNDS = (0.3, 0.95)
OVERHEAD_RANGE_MS = (0.0, 3.0)
MFU_RANGE = (0.2, 0.8)


def _loss(rows: list[Measurement], fit: DecodeFit) -> float:
    return sum(math.log(predict(r, fit) / r.value) ** 2 for r in rows)


def _fit_for(overhead_ms: float, mfu: float, by_gpu: dict[str, list[Measurement]]) -> tuple[float, DecodeFit]:
    efficiency: dict[str, float] = {}
    total = 0.0
    for gpu, rows in by_gpu.items():
        low, high = EFFICIENCY_BOUNDS

        def loss(e: float, gpu: str = gpu, rows: list[Measurement] = rows) -> float:
            return _loss(rows, DecodeFit(overhead_ms / 1000, mfu, {gpu: e}, {"hbm": e, "gddr": e}))

        for _ in range(40):  # golden-section search: the loss is unimodal in one efficiency
            a, b = high - (high - low) / 1.618, low + (high - low) / 1.618
            if loss(a) < loss(b):
                high = b
            else:
                low = a
        efficiency[gpu] = round((low + high) / 2, 3)
        total += loss(efficiency[gpu])
    return total, DecodeFit(overhead_ms / 1000, mfu, efficiency, _class_means(efficiency))


def _class_means(efficiency: dict[str, float]) -> dict[str, float]:
    kinds: dict[str, list[float]] = {"hbm": [], "gddr": []}
    for gpu, e in efficiency.items():
        kinds[get_gpu(gpu).memory_kind].append(e)
    return {k: round(sum(v) / len(v), 3) if v else 0.7 for k, v in kinds.items()}


def fit(rows: list[Measurement]) -> DecodeFit:
    """Coarse grid over (overhead, prefill MFU), then a finer grid around the best cell."""
    by_gpu: dict[str, list[Measurement]] = {}
    for r in rows:
        by_gpu.setdefault(r.gpu, []).append(r)
    (o_low, o_high), (m_low, m_high) = OVERHEAD_RANGE_MS, MFU_RANGE
    o_step, m_step = 0.25, 0.05
    best: tuple[float, DecodeFit] | None = None
    for _ in range(2):
        overheads = _grid(o_low, o_high, o_step)
        mfus = _grid(m_low, m_high, m_step)
        best = min((_fit_for(o, m, by_gpu) for o in overheads for m in mfus), key=lambda pair: pair[0])
        o_best, m_best = best[1].overhead_s * 1000, best[1].prefill_mfu
        o_low, o_high = max(OVERHEAD_RANGE_MS[0], o_best - o_step), min(OVERHEAD_RANGE_MS[1], o_best + o_step)
        m_low, m_high = max(MFU_RANGE[0], m_best - m_step), min(MFU_RANGE[1], m_best + m_step)
        o_step, m_step = 0.05, 0.01
    assert best is not None
    return best[1]


def _grid(low: float, high: float, step: float) -> list[float]:
    return [round(low + i * step, 4) for i in range(round((high - low) / step) + 1)]


def to_json(result: DecodeFit, rows: list[Measurement]) -> dict:
    return {
        "_about": "Written by `python -m tools.fit_decode --write` from serving/catalog/decode_measurements.json "
        "(its 'fit' rows); read by serving/decode.py. Do not edit by hand.",
        "overheadMs": round(result.overhead_s * 1000, 3),
        "prefillMfu": result.prefill_mfu,
        "bandwidthEfficiency": dict(sorted(result.efficiency.items())),
        "classEfficiency": result.class_efficiency,
        "fitRows": [r.id for r in rows],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.fit_decode", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"write {OUT.name}")
    args = parser.parse_args(argv)
    table = measurements()
    fit_rows = [r for r in table if r.use == "fit"]
    result = fit(fit_rows)
    print(f"per-step overhead {result.overhead_s * 1000:.2f} ms, prefill MFU {result.prefill_mfu:.2f}")
    for gpu, e in sorted(result.efficiency.items()):
        print(f"bandwidth efficiency {gpu:<10} {e:.3f}")
    for kind, e in result.class_efficiency.items():
        print(f"fallback for {kind.upper():<4} GPUs  {e:.3f}")
    print(f"\n{'row':<28} {'use':<8} {'metric':<22} {'measured':>9} {'model':>9} {'error':>7}")
    for r in table:
        model = predict(r, result)
        flag = "" if r.trustworthy else "  (untrusted)"
        print(f"{r.id:<28} {r.use:<8} {r.metric:<22} {r.value:>9.2f} {model:>9.2f} {model / r.value - 1:>+7.1%}{flag}")
    if args.write:
        OUT.write_text(json.dumps(to_json(result, fit_rows), indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
