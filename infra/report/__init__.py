"""The fleet report: one self-contained HTML page with the fleet map, policy findings,
cost and capacity of a stack (``llmfleet report STACK|PLAN.json --out report.html``)."""

from infra.report.page import build_report

__all__ = ["build_report"]
