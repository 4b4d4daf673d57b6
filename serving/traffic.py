"""Sizing from declared traffic: replicas at peak and $/1M output tokens, beside the max-length worst case.

A traffic profile gives typical prompt and output lengths, the peak request rate and the share of
the prompt served from the prefix cache. For one replica the operating point is the largest batch
``B`` (at most what the KV cache holds at the typical length, and ``max_num_seqs``) whose time per
output token stays within the ITL SLO and whose time to first token stays within the TTFT SLO.
Little's law then gives what one replica carries::

    latency     = ttft(B) + (output - 1) * tpot(B)                    (one request, seconds)
    rate(B)     = B / latency                                          (requests/s one replica carries)
    replicas    = ceil(peak_rate / rate(B))                            (needed at peak)
    concurrency = peak_rate * latency                                  (in flight at peak, fleet-wide)
    expected $/1M output tokens = max(replicas, min_replicas) * replica $/h / (peak_rate * output * 3600) * 1e6

The worst case is the old, length-driven figure: every stream holds ``max_model_len`` tokens and a
replica runs as many as its KV cache holds. Both are reported; the expected figure follows traffic,
so doubling ``max_model_len`` leaves it where it was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from serving.decode import DecodeEstimate, Workload, estimate

DEFAULT_PROMPT_TOKENS = 1024
DEFAULT_OUTPUT_TOKENS = 256
DEFAULT_PEAK_REQUESTS_PER_SECOND = 1.0
DEFAULT_SHARED_PREFIX_PERCENT = 0.0


@dataclass(frozen=True)
class Traffic:
    prompt_tokens: int = DEFAULT_PROMPT_TOKENS
    output_tokens: int = DEFAULT_OUTPUT_TOKENS
    peak_requests_per_second: float = DEFAULT_PEAK_REQUESTS_PER_SECOND
    shared_prefix_percent: float = DEFAULT_SHARED_PREFIX_PERCENT

    @property
    def workload(self) -> Workload:
        return Workload(self.prompt_tokens, self.output_tokens, self.shared_prefix_percent / 100)

    @classmethod
    def from_config(cls, data: object) -> Traffic:
        """From a camelCase config mapping (missing keys take the defaults)."""
        data = data if isinstance(data, dict) else {}
        return cls(
            prompt_tokens=int(data.get("promptTokens") or DEFAULT_PROMPT_TOKENS),
            output_tokens=int(data.get("outputTokens") or DEFAULT_OUTPUT_TOKENS),
            peak_requests_per_second=float(
                data["peakRequestsPerSecond"]
                if data.get("peakRequestsPerSecond") is not None
                else DEFAULT_PEAK_REQUESTS_PER_SECOND
            ),
            shared_prefix_percent=float(data.get("sharedPrefixPercent") or DEFAULT_SHARED_PREFIX_PERCENT),
        )


@dataclass(frozen=True)
class TrafficSizing:
    """One placement sized for its traffic."""

    batch: int
    """Sequences one replica runs at the operating point (0: none meets the SLOs)."""
    tpot_ms: float
    ttft_ms: float
    requests_per_second_per_replica: float
    replicas_needed: int
    concurrency_at_peak: float
    meets_slo: bool
    limit: str
    """What bounds the batch: 'kv cache', 'max_num_seqs', 'itl slo', 'ttft slo' or 'traffic'."""

    def expected_usd_per_million(self, replicas: int, replica_hourly: float, traffic: Traffic) -> float | None:
        tokens_per_hour = traffic.peak_requests_per_second * traffic.output_tokens * 3600
        if tokens_per_hour <= 0 or replicas <= 0:
            return None
        return replicas * replica_hourly / tokens_per_hour * 1e6


def size_for_traffic(
    server,
    traffic: Traffic,
    *,
    batch_limit: int,
    batch_limit_reason: str,
    itl_slo_ms: float,
    ttft_slo_ms: float,
) -> TrafficSizing:
    """The operating point of one replica and the replicas the peak rate needs (see the module doc)."""
    work = traffic.workload
    best: DecodeEstimate | None = None
    limit = batch_limit_reason
    low, high = 1, max(batch_limit, 0)
    if high >= 1 and _within(estimate(server, 1, work), itl_slo_ms, ttft_slo_ms):
        # tpot and ttft grow with the batch: binary search for the largest batch within both SLOs.
        while low < high:
            mid = (low + high + 1) // 2
            if _within(estimate(server, mid, work), itl_slo_ms, ttft_slo_ms):
                low = mid
            else:
                high = mid - 1
        best = estimate(server, low, work)
        if low < batch_limit:
            e = estimate(server, low + 1, work)
            limit = "itl slo" if e.tpot_s * 1000 > itl_slo_ms else "ttft slo"
    if best is None:
        first = estimate(server, 1, work)
        return TrafficSizing(
            batch=0,
            tpot_ms=first.tpot_s * 1000,
            ttft_ms=first.ttft_s * 1000,
            requests_per_second_per_replica=0.0,
            replicas_needed=0,
            concurrency_at_peak=0.0,
            meets_slo=False,
            limit="kv cache" if batch_limit < 1 else "itl slo" if first.tpot_s * 1000 > itl_slo_ms else "ttft slo",
        )
    latency = best.ttft_s + max(traffic.output_tokens - 1, 0) * best.tpot_s
    per_replica = best.batch / latency
    needed = math.ceil(traffic.peak_requests_per_second / per_replica - 1e-9) if traffic.peak_requests_per_second else 0
    return TrafficSizing(
        batch=best.batch,
        tpot_ms=best.tpot_s * 1000,
        ttft_ms=best.ttft_s * 1000,
        requests_per_second_per_replica=per_replica,
        replicas_needed=needed,
        concurrency_at_peak=traffic.peak_requests_per_second * latency,
        meets_slo=True,
        limit=limit,
    )


def _within(e: DecodeEstimate, itl_slo_ms: float, ttft_slo_ms: float) -> bool:
    return e.tpot_s * 1000 <= itl_slo_ms and e.ttft_s * 1000 <= ttft_slo_ms
