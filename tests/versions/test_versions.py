"""Pinned Helm charts: every release in the Plans uses exactly a chart pinned in infra/versions.py."""

from __future__ import annotations

from infra import versions
from infra.plan import Plan


def test_release_args_for_classic_and_oci_charts() -> None:
    classic = versions.HelmChart(chart="keda", version="1.2.3", repository="https://charts.example")
    oci = versions.HelmChart(chart="oci://registry.example/charts/lws", version="0.7.0")
    assert classic.release_args() == {
        "chart": "keda",
        "version": "1.2.3",
        "repository_opts": {"repo": "https://charts.example"},
    }
    assert oci.release_args() == {"chart": "oci://registry.example/charts/lws", "version": "0.7.0"}


def test_every_release_is_a_pinned_chart(stack_plan: Plan) -> None:
    pinned = {
        (c.chart, c.version, c.repository)
        for c in vars(versions).values()
        if isinstance(c, versions.HelmChart)
    }
    releases = stack_plan.of_type("kubernetes:helm.sh/v3:Release")
    assert releases
    for release in releases:
        props = release.props
        key = (props["chart"], props["version"], (props.get("repositoryOpts") or {}).get("repo"))
        assert key in pinned, release.name
