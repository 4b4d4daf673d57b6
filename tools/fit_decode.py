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
OVERHEAD_GRID_MS = [x / 20 for x in range(0, 61)]  # 0 to 3 ms
MFU_GRID = [x / 100 for x in range(20, 81, 2)]


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
    by_gpu: dict[str, list[Measurement]] = {}
    for r in rows:
        by_gpu.setdefault(r.gpu, []).append(r)
    best = min(
        (_fit_for(o, m, by_gpu) for o in OVERHEAD_GRID_MS for m in MFU_GRID),
        key=lambda pair: pair[0],
    )
    return best[1]


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
