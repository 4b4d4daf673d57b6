"""The cost model and its price catalogue."""

from __future__ import annotations

import json

import pytest
import yaml
from pydantic import ValidationError

from policy.catalog.prices import HOURS_PER_MONTH, PriceCatalogue, catalogue, instance_price
from policy.context import PlanContext
from policy.cost import cost_summary_line, estimate_context, estimate_cost, instance_candidates
from tests.policy.baseline import TODAY, baseline
from tests.policy.harness import config, set_

H = HOURS_PER_MONTH


def _estimate(plan):
    return estimate_context(PlanContext.from_plan(plan, TODAY))


def _item(report, name):
    return next(i for i in report.items if i.urn.endswith("::" + name))


def test_karpenter_pool_floor_expected_ceiling():
    item = _item(_estimate(baseline()), "aws1-h100")
    # floor: nodes.min 1; expected: 2 replicas x 1 GPU fit one 8-GPU node; ceiling: the NodePool's 16-GPU limit / 8.
    assert (item.monthly.floor, item.monthly.expected, item.monthly.ceiling) == pytest.approx(
        (55.04 * H, 55.04 * H, 2 * 55.04 * H)
    )
    assert item.description == "GPU pool h100: 1-2 x p5.48xlarge on-demand (expected 1; $55.0400/h each)"
    assert "skypilot-catalog" in item.price_source and "retrieved 2026-11-28" in item.price_source


def test_the_ceiling_follows_the_infrastructure_bound_not_the_config():
    report = _estimate(_plan_with_limit(64))
    assert _item(report, "aws1-h100").monthly.ceiling == pytest.approx(8 * 55.04 * H)


def _plan_with_limit(limit):
    plan = baseline()
    set_("aws1-h100", ("spec", "limits", "nvidia.com/gpu"), limit)(plan)
    return plan


def test_gke_pool_uses_total_max_nodes():
    item = _item(_estimate(baseline()), "gcp1-h100")
    assert item.monthly.ceiling == pytest.approx(2 * 43.07 * H)
    assert item.monthly.floor == pytest.approx(43.07 * H)


def test_spot_pool_is_priced_across_the_spot_range():
    plan = baseline()
    config("targets.0.gpuPools.0.capacityType", "spot")(plan)
    item = _item(_estimate(plan), "aws1-h100")
    assert item.monthly.floor == pytest.approx(17.63 * H)
    assert item.monthly.expected == pytest.approx((17.63 + 25.75) / 2 * H)
    assert item.monthly.ceiling == pytest.approx(2 * 25.75 * H)


def test_onprem_pool_amortizes_owned_nodes_and_prices_power():
    item = next(i for i in _estimate(baseline()).items if i.type == "onprem-gpu-pool")
    amortized = 2 * 280000 / 48
    power = 10.2 * H * 0.11
    assert item.monthly.floor == pytest.approx(amortized + 2 * power)
    assert item.price_source == "stack config targets.dc1.gpuPools.h100.hardware"
    assert item.target == "dc1"


def test_platform_items_and_extended_support():
    report = _estimate(baseline())
    assert _item(report, "aws1-cluster").monthly.ceiling == pytest.approx(0.10 * H)
    assert _item(report, "aws1-waf").monthly.ceiling == pytest.approx(5 + 4 * 1)
    assert _item(report, "gcp1-armor").monthly.ceiling == pytest.approx(5 + 7 * 1)
    assert _item(report, "aws1-nat").monthly.ceiling == pytest.approx(0.045 * H)
    assert _item(report, "aws1-alb").description == "ALB aws1-alb (+ usage: 0.008 per LCU-hour)"
    extended = _estimate(_version("1.33"))
    assert _item(extended, "aws1-cluster").monthly.ceiling == pytest.approx(0.60 * H)


def _version(version):
    plan = baseline()
    set_("aws1-cluster", "version", version)(plan)
    return plan


def test_totals_by_target_and_budget_line():
    report = _estimate(baseline())
    total = report.monthly
    assert total.ceiling == pytest.approx(sum(i.monthly.ceiling for i in report.items))
    assert sum(m.ceiling for m in report.by_target.values()) == pytest.approx(total.ceiling)
    assert set(report.by_target) == {"aws1", "gcp1", "dc1"}
    assert total.floor <= total.expected <= total.ceiling
    assert cost_summary_line(report) == (
        f"cost/month: floor ${total.floor:,.0f}, expected ${total.expected:,.0f}, ceiling ${total.ceiling:,.0f} "
        "of budget $1,000,000"
    )


def test_cost_per_million_output_tokens_per_placement():
    report = _estimate(baseline())
    by_target = {p.target: p for p in report.placements}
    assert set(by_target) == {"aws1", "gcp1", "dc1"}
    aws = by_target["aws1"]
    assert aws.gpus_per_replica == 1 and aws.replica_hourly == pytest.approx(55.04 / 8)
    assert aws.decode_tokens_per_second > 0
    assert aws.usd_per_million_output_tokens == pytest.approx(
        aws.replica_hourly / (aws.decode_tokens_per_second * 3600) * 1e6
    )


def test_unpriced_billable_resources_are_listed_with_a_reason():
    report = _estimate(baseline())
    unpriced = {u["name"]: u["reason"] for u in report.unpriced}
    assert unpriced["aws1-system"] == "instance types ['m7i.large'] are not in the price catalogue"
    assert unpriced["aws1-weights"] == "storage and requests (usage-based)"


def test_json_contract():
    data = json.loads(json.dumps(estimate_cost(baseline()).to_json()))
    assert data["currency"] == "USD" and data["stack"] == "prod" and data["hoursPerMonth"] == 730
    assert set(data["monthly"]) == {"floor", "expected", "ceiling"}
    assert set(data["byTarget"]) == {"aws1", "gcp1", "dc1"}
    for item in data["items"]:
        assert {"urn", "type", "description", "hourly", "monthlyFloor", "monthlyCeiling", "priceSource"} <= set(item)
        assert item["priceSource"]


def test_text_report():
    text = estimate_cost(baseline()).to_text()
    assert "TOTAL" in text and "per 1M output tokens" in text and "source: https://" in text


# -- catalogue ------------------------------------------------------------------------------------


def test_every_price_has_a_source_with_url_and_date():
    cat = catalogue()
    for row in [*cat.instances, *cat.platform.values()]:
        source = cat.sources[row.source]
        assert source.url.startswith("https://") and len(source.retrieved) == 10


def test_catalogue_rejects_a_row_without_a_known_source():
    from policy.catalog import HERE

    data = yaml.safe_load((HERE / "prices.yaml").read_text())
    data["instances"][0]["source"] = "somewhere"
    with pytest.raises(ValidationError, match="source 'somewhere' is not in sources"):
        PriceCatalogue.model_validate(data)


def test_catalogue_gpus_match_the_serving_catalogue():
    from serving.catalog import get_gpu, get_instance

    for row in catalogue().instances:
        get_gpu(row.gpu)
        instance = get_instance(row.cloud, row.type)
        assert (instance.gpu, instance.gpu_count) == (row.gpu, row.gpus), row.type


def test_prices_match_the_team_reference():
    assert instance_price("aws", "g6e.xlarge").on_demand == 1.861
    assert instance_price("aws", "p5.48xlarge").spot_high == 25.75
    assert instance_price("gcp", "a3-highgpu-8g").on_demand == 43.07


def test_instance_candidates_feed_the_capacity_planner():
    from serving.recommend import recommend_instance

    candidates = instance_candidates(gpu="L40S")
    assert [c[1] for c in candidates] == ["g6e.xlarge", "g6e.12xlarge"]
    assert candidates == sorted(candidates, key=lambda c: c[2])
    everything = instance_candidates()
    assert {c[0] for c in everything} == {"aws", "gcp"}
    assert instance_candidates(allowed=["g6e.xlarge"]) == [("aws", "g6e.xlarge", 1.861)]
    choice = recommend_instance("llama-3.1-8b", everything, target_concurrency=8, max_model_len=8192).choice
    assert choice.fits and choice.hourly_price == min(
        c[2] for c in everything if (c[0], c[1]) == (choice.cloud, choice.instance_type)
    )


# -- every billable resource of the real stacks is priced --------------------------------------


@pytest.fixture(scope="module")
def prod_cost(prod_plan):
    return estimate_context(PlanContext.from_plan(prod_plan.to_json(), TODAY))


def _by_name(report, name):
    return next(i for i in report.items if i.urn.endswith("::" + name))


def test_prod_system_pools_are_priced_between_scaling_min_and_max(prod_cost):
    eks = _by_name(prod_cost, "aws-use1-cluster-system")  # scalingConfig 3..6 x m7i.xlarge
    assert (eks.monthly.floor, eks.monthly.ceiling) == pytest.approx((3 * 0.2016 * H, 6 * 0.2016 * H))
    assert eks.price_source == "https://aws.amazon.com/ec2/pricing/on-demand/ (retrieved 2026-11-28)"
    gke = _by_name(prod_cost, "gcp-usc1-gke-system")  # 1..3 per zone x 3 zones x e2-standard-4
    assert (gke.monthly.floor, gke.monthly.ceiling) == pytest.approx((3 * 0.134012 * H, 9 * 0.134012 * H))
    assert gke.price_source.startswith("https://cloud.google.com/compute/vm-instance-pricing")
    assert gke.to_json()["category"] == "nodes"


def test_prod_network_items_are_priced_with_their_source(prod_cost):
    eips = [i for i in prod_cost.items if i.type == "aws:ec2/eip:Eip"]
    assert len(eips) == 3 and all(e.monthly.expected == pytest.approx(0.005 * H) for e in eips)
    assert eips[0].price_source.startswith("https://aws.amazon.com/vpc/pricing/")
    endpoint = _by_name(prod_cost, "aws-use1-network-s3")
    assert endpoint.monthly.ceiling == 0 and "gateway-endpoints" in endpoint.price_source
    address = _by_name(prod_cost, "gcp-usc1-edge-ip")
    assert address.monthly.ceiling == 0 and "network-pricing#ipaddress" in address.price_source
    nat = _by_name(prod_cost, "gcp-usc1-net-nat")
    vms = prod_cost.nodes_by_target["gcp-usc1"]  # system 3-9 + l4 2-4 + h100 1-2
    assert (vms.floor, vms.ceiling) == (6, 15)
    assert nat.monthly.floor == pytest.approx((6 * 0.0014 + 0.005) * H)
    assert nat.monthly.ceiling == pytest.approx((15 * 0.0014 + 0.005) * H)
    assert "https://cloud.google.com/nat/pricing" in nat.price_source


def test_prod_route53_health_checks_price_endpoint_kind_and_optional_features(prod_cost):
    aws = _by_name(prod_cost, "route-api-llm-example-com-aws-use1-health")
    gcp = _by_name(prod_cost, "route-api-llm-example-com-gcp-usc1-health")
    onprem = _by_name(prod_cost, "route-large-llm-example-com-dc1-health")
    # HTTPS and latency measurement are two optional features.
    assert aws.monthly.expected == pytest.approx(0.50 + 2 * 1.00)
    assert gcp.monthly.expected == onprem.monthly.expected == pytest.approx(0.75 + 2 * 2.00)
    assert aws.price_source == "https://aws.amazon.com/route53/pricing/ (retrieved 2026-11-28)"


def test_prod_leaves_only_usage_based_resources_unpriced(prod_cost):
    assert prod_cost.unpriced, "buckets, registries, log groups and queues stay listed"
    for entry in prod_cost.unpriced:
        assert entry["reason"].endswith("(usage-based)"), entry
    billed_by_usage = {
        "aws:s3/bucket:Bucket",
        "gcp:storage/bucket:Bucket",
        "aws:ecr/repository:Repository",
        "gcp:artifactregistry/repository:Repository",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:sqs/queue:Queue",
    }
    assert {u["type"] for u in prod_cost.unpriced} <= billed_by_usage


def test_every_catalogue_row_resolves_a_dated_source():
    cat = catalogue()
    for row in cat.nodes:
        assert cat.sources[row.source].retrieved == "2026-11-28"
    for key in ("public-ipv4", "vpc-gateway-endpoint", "cloud-nat-vm", "gcp-address-in-use"):
        assert cat.sources[cat.platform[key].source].url.startswith("https://")


def test_doubling_every_max_model_len_barely_moves_the_expected_token_price(prod_plan):
    """Expected $/1M output tokens follows declared traffic, not the length limit; the worst case follows the limit."""
    import copy

    plan = prod_plan.to_json()
    doubled = copy.deepcopy(plan)
    for model in doubled["config"]["models"]:
        model["maxModelLen"] *= 2
    before = {(p.model, p.target): p for p in estimate_cost(plan).placements}
    after = {(p.model, p.target): p for p in estimate_cost(doubled).placements}
    assert before.keys() == after.keys()
    priced = 0
    for key, p in before.items():
        q = after[key]
        if p.expected_usd_per_million_output_tokens is None:
            assert q.expected_usd_per_million_output_tokens is None, key
            continue
        priced += 1
        assert q.expected_usd_per_million_output_tokens == pytest.approx(
            p.expected_usd_per_million_output_tokens, rel=0.10
        ), key
        assert q.usd_per_million_output_tokens > 1.3 * p.usd_per_million_output_tokens, key  # worst case moves
    assert priced >= 4
