"""Fixtures of the report tests: the HTML of each real stack, built once per session."""

from __future__ import annotations

import copy
import datetime as dt
import re
import shutil

import pytest

from infra.plan import Plan
from infra.report import build_report

TODAY = dt.date(2026, 11, 28)
"""Fixed 'today' so suppression countdowns are stable."""


def require_dot() -> None:
    if shutil.which("dot") is None:
        pytest.fail("Graphviz 'dot' is not installed; the report needs it: apt-get install -y graphviz (make tools)")


@pytest.fixture(scope="session")
def prod_html(prod_plan: Plan) -> str:
    require_dot()
    return build_report(prod_plan, today=TODAY)


@pytest.fixture(scope="session")
def dev_html(dev_plan: Plan) -> str:
    require_dot()
    return build_report(dev_plan, today=TODAY)


@pytest.fixture(scope="session", params=["dev", "prod"])
def stack_report(request: pytest.FixtureRequest) -> tuple[Plan, str]:
    """(Plan, HTML) of each real stack in turn."""
    plan = request.getfixturevalue(f"{request.param}_plan")
    html = request.getfixturevalue(f"{request.param}_html")
    return plan, html


def clone(plan: Plan) -> Plan:
    """A deep copy of a Plan to change at will."""
    return Plan.from_json(copy.deepcopy(plan.to_json()))


def fleet_map(html: str) -> str:
    """The inline SVG of the fleet map."""
    match = re.search(r'<svg class="fleet-map".*?</svg>', html, flags=re.DOTALL)
    assert match, "no fleet map <svg> in the report"
    return match.group(0)
