"""policy/settings.py reads the stack config without infra: its defaults must equal infra.config's."""

from __future__ import annotations

import datetime as dt

from infra.config import Budget, PolicySettings, StackConfig
from policy.settings import DEFAULT_ALLOWED_MODEL_SOURCES, DEFAULT_COST_CENTER, StackSettings


def test_defaults_match_the_config_schema():
    assert list(DEFAULT_ALLOWED_MODEL_SOURCES) == PolicySettings().allowed_model_sources
    assert StackConfig.model_fields["cost_center"].default == DEFAULT_COST_CENTER
    assert PolicySettings().allowed_instance_types == StackSettings({}).allowed_instance_types == []
    assert Budget.model_fields["monthly_usd"].is_required()


def test_raw_config_and_validated_config_read_the_same(dev_plan):
    """A Plan carries the validated config (defaults filled in); CrossGuard the raw keys."""
    import yaml

    from tests.conftest import ROOT

    raw = yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())["config"]
    values = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("llm-fleet:")}
    from_raw, from_plan = StackSettings(values, "dev"), StackSettings(dev_plan.config, "dev")
    for attr in (
        "environment",
        "owner",
        "cost_center",
        "enforcement",
        "overrides",
        "allowed_instance_types",
        "allowed_model_sources",
        "budget_usd",
        "target_names",
    ):
        assert getattr(from_raw, attr) == getattr(from_plan, attr), attr


def test_enforcement_defaults_per_environment():
    assert StackSettings({"environment": "prod"}).enforcement == "mandatory"
    assert StackSettings({"environment": "dev"}).enforcement == "advisory"
    assert StackSettings({"environment": "staging"}).enforcement == "advisory"
    assert StackSettings({"environment": "dev", "policy": {"enforcement": "mandatory"}}).enforcement == "mandatory"
    settings = StackSettings({"environment": "prod", "policy": {"overrides": {"EKS-01": "advisory", "X-01": "bogus"}}})
    assert settings.enforcement_for("EKS-01") == "advisory" and settings.enforcement_for("EKS-02") == "mandatory"
    assert "X-01" not in settings.overrides


def test_suppressions_parse_dates_from_yaml_or_json():
    settings = StackSettings(
        {
            "policy": {
                "suppressions": [
                    {
                        "rule": "EKS-01",
                        "resource": "a*",
                        "justification": "j" * 10,
                        "owner": "o",
                        "expires": "2027-01-02",
                    },
                    {
                        "rule": "EKS-02",
                        "resource": "b",
                        "justification": "j" * 10,
                        "owner": "o",
                        "expires": dt.date(2027, 1, 3),
                    },
                    {
                        "rule": "EKS-03",
                        "resource": "c",
                        "justification": "j" * 10,
                        "owner": "o",
                        "expires": "not-a-date",
                    },
                ]
            }
        }
    )
    expires = [s.expires for s in settings.suppressions]
    assert expires == [dt.date(2027, 1, 2), dt.date(2027, 1, 3), dt.date.min]  # an unreadable date counts as expired
