"""Wire names: snake_case in Python, camelCase in JSON files and documents.

Units keep their spelling in the wire name (``weights_gib_per_gpu`` -> ``weightsGiBPerGpu``,
``bandwidth_gbps`` -> ``bandwidthGBps``), so a reader never wonders whether "Gb" means bits.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

_UNITS = {"gib": "GiB", "mib": "MiB", "gb": "GB", "gbps": "GBps", "kib": "KiB"}


def camel(name: str) -> str:
    """``weights_gib_per_gpu`` -> ``weightsGiBPerGpu``."""
    first, *rest = name.split("_")
    return first + "".join(_UNITS.get(part, part[:1].upper() + part[1:]) for part in rest)


class WireModel(BaseModel):
    """Strict, immutable model with camelCase wire names; Python code uses the field names."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=camel, populate_by_name=True)


def first_errors(exc: Exception, limit: int = 3) -> str:
    """One line naming the first few problems of a pydantic ValidationError (wire names)."""
    errors = getattr(exc, "errors", None)
    if errors is None:
        return str(exc)
    items = errors()
    parts = []
    for err in items[:limit]:
        loc = ".".join(camel(p) if isinstance(p, str) else str(p) for p in err.get("loc", ()))
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) or err.get("type") == "value_error" else f" (got {value!r})"
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}{shown}" if loc else f"{msg}{shown}")
    more = f"; and {len(items) - limit} more" if len(items) > limit else ""
    return "; ".join(parts) + more
