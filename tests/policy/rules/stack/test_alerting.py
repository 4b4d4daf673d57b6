"""Cases for OPS-01 (policy/rules/stack/kubernetes/helm_sh/release/enforce_page_routing.py): every
prod target's Alertmanager routes the page alerts to a receiver that notifies someone."""

import json

import pytest
import yaml

from policy.rules.stack.kubernetes.helm_sh.release.enforce_page_routing import PAGE_ALERTS
from tests.policy.baseline import ALERTMANAGER_CONFIG
from tests.policy.harness import Case, cases_params, chain, check, config, remove, set_

STACK = "llm-fleet-prod"
ROUTES = "values.alertmanager.config.route.routes"
RECEIVERS = "values.alertmanager.config.receivers"
PAGE = ['severity="critical"']
SILENT, ONCALL, TEAM = ({"matchers": PAGE, "receiver": r} for r in ("silent", "oncall", "team"))
TICKETS = {"matchers": ['severity="warning"'], "receiver": "team"}


def _unrouted(name, missing=tuple(PAGE_ALERTS)):
    return {name: [f"page alerts {list(missing)} reach no receiver that notifies anyone"]}


def _no_config(target):
    return {STACK: [f"target {target!r}: no Alertmanager configuration: page alerts reach no one"]}


def _gmp_config(config_):
    return set_("gcp1-alertmanager", "stringData", {"alertmanager.yaml": yaml.safe_dump(config_)})


def _without_routes():
    return {**ALERTMANAGER_CONFIG, "route": {"receiver": "silent", "routes": [TICKETS]}}


CASES = {
    "OPS-01": [
        Case("baseline"),
        Case("dev-needs-no-routing", chain(config("environment", "dev"), remove("aws1-kps", "dc1-kps", "gcp1-alertmanager"))),
        Case("no-alertmanager-on-a-target", remove("gcp1-alertmanager"), _no_config("gcp1")),
        Case("alertmanager-disabled", set_("dc1-kps", "values.alertmanager.enabled", False), _no_config("dc1")),
        Case("gmp-secret-in-another-namespace", set_("gcp1-alertmanager", "metadata.namespace", "monitoring"), _no_config("gcp1")),
        Case("pages-fall-to-the-silent-root", set_("aws1-kps", ROUTES, [TICKETS]), _unrouted("aws1-kps")),
        Case("earlier-route-swallows-pages", set_("aws1-kps", ROUTES, [SILENT, ONCALL]), _unrouted("aws1-kps")),
        Case("earlier-route-continues", set_("aws1-kps", ROUTES, [{**SILENT, "continue": True}, ONCALL])),
        Case("ticket-receiver-also-pages", set_("aws1-kps", ROUTES, [TEAM])),
        Case("page-receiver-notifies-nobody", set_("dc1-kps", RECEIVERS, [{"name": "silent"}, {"name": "oncall"}, {"name": "team"}]), _unrouted("dc1-kps")),
        Case(
            "only-slo-pages-routed",
            set_("aws1-kps", ROUTES, [{"matchers": [*PAGE, 'alertname=~"Model.*BurnRatePage"'], "receiver": "oncall"}]),
            _unrouted("aws1-kps", [a for a in PAGE_ALERTS if not a.endswith("BurnRatePage")]),
        ),
        Case("page-route-per-cluster", set_("dc1-kps", ROUTES, [{"matchers": [*PAGE, 'cluster="dc1"'], "receiver": "oncall"}])),
        Case(
            "page-route-for-another-cluster",
            set_("dc1-kps", ROUTES, [{"matchers": [*PAGE, 'cluster="aws1"'], "receiver": "oncall"}]),
            _unrouted("dc1-kps"),
        ),
        Case("legacy-match-syntax", set_("aws1-kps", ROUTES, [{"match": {"severity": "critical"}, "receiver": "oncall"}])),
        Case(
            "string-config",
            set_("dc1-kps", "values.alertmanager", {"enabled": True, "stringConfig": yaml.safe_dump(ALERTMANAGER_CONFIG)}),
        ),
        Case("readable-gmp-config-wins-over-annotation", _gmp_config(_without_routes()), _unrouted("gcp1-alertmanager")),
        Case(
            "gmp-annotation-without-page-route",
            set_("gcp1-alertmanager", ("metadata", "annotations", "llm-fleet.dev/alertmanager-routing"), json.dumps(_without_routes())),
            _unrouted("gcp1-alertmanager"),
        ),
    ],
}


@pytest.mark.parametrize(("rule_id", "case"), cases_params(CASES))
def test_rule_case(rule_id, case):
    check(rule_id, case)

