"""vendor/: every upstream file listed once in SOURCES (repository, tag, commit, path), taken at
the version infra/versions.py pins, and every pinned chart and CRD installer covered."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from infra import versions
from infra.plan.crd_installers import CRD_INSTALLERS, CloudAddOn, HelmInstaller, ProgramCrd
from tools.crdcheck.catalog import crd_documents, vendored_catalog
from tools.crdcheck.sources import VENDOR, Source, read_sources

SOURCES = read_sources()
PINNED_CHARTS = {name: value for name, value in vars(versions).items() if isinstance(value, versions.HelmChart)}
CLOUD_ADD_ON_PINS = {"monitoring.googleapis.com": "GMP_OPERATOR"}
PROGRAM_CRD_PINS = {"inference.networking.k8s.io": "GATEWAY_API_INFERENCE_EXTENSION"}
"""CRDs the program applies itself from vendor/: the versions.py constant of the vendored file."""
"""CRDs a cloud installs (no chart): the versions.py constant their vendored copy is pinned to."""


def _pin_version(pin: str) -> str:
    chart, _, subchart = pin.partition("/")
    value = getattr(versions, chart)
    if not subchart:
        return value.version if isinstance(value, versions.HelmChart) else value
    # a subchart: the version the parent chart's own (vendored) Chart.yaml depends on
    parent = next(s for s in SOURCES if s.pin == chart and Path(s.file).name == "Chart.yaml")
    dependencies = yaml.safe_load(parent.local.read_text(encoding="utf-8"))["dependencies"]
    return next(d["version"] for d in dependencies if d["name"] == subchart)


def _tag_matches(source: Source, version: str) -> bool:
    """The tag names the pinned version: ``v1.2.3``/``1.2.3``, ``<name>-1.2.3`` or ``<app>-1.2.3``,
    or (repositories tagged by their own release numbers) the vendored Chart.yaml has it, or it is
    the appVersion of the pinned chart's vendored Chart.yaml."""
    if source.tag.removeprefix("v") == version.removeprefix("v") or source.tag.endswith(f"-{version}"):
        return True
    charts = [s for s in SOURCES if s.pin == source.pin and Path(s.file).name == "Chart.yaml"]
    for chart in charts:
        meta = yaml.safe_load(chart.local.read_text(encoding="utf-8"))
        if chart.tag == source.tag and meta["version"] == version:
            return True
        # The application's own repository at the appVersion the pinned chart deploys
        # (charts whose CRDs are templates take them from there, e.g. policy-controller).
        app = str(meta.get("appVersion", "")).removeprefix("v")
        if meta["version"] == version and app and source.tag.removeprefix("v") == app:
            return True
    return False


def test_every_vendored_file_has_exactly_one_sources_row() -> None:
    listed = [s.file for s in SOURCES]
    on_disk = sorted(str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*")
                     if p.is_file() and p.parent != VENDOR)
    assert sorted(listed) == on_disk
    assert len(set(listed)) == len(listed)


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.file)
def test_each_row_names_a_release_tag_and_its_commit(source: Source) -> None:
    assert re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", source.repository)
    assert re.fullmatch(r"[0-9a-f]{40}", source.commit), "run python -m tools.crdcheck.vendor to fill the commit"
    assert source.path and not source.path.startswith("/")
    assert source.local.stat().st_size > 0


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.file)
def test_vendored_versions_equal_the_pins(source: Source) -> None:
    version = _pin_version(source.pin)
    assert _tag_matches(source, version), f"{source.file}: tag {source.tag} is not the pinned {source.pin} {version}"


def test_rows_of_one_pin_and_repository_share_one_tag_and_commit() -> None:
    seen: dict[tuple[str, str], tuple[str, str]] = {}
    for source in SOURCES:
        key = (source.pin, source.repository)
        assert seen.setdefault(key, (source.tag, source.commit)) == (source.tag, source.commit), source.file


def test_every_pinned_chart_has_its_values_vendored() -> None:
    with_values = {s.pin for s in SOURCES if re.fullmatch(r"charts/[^/]+/values\.yaml", s.file)}
    assert set(PINNED_CHARTS) <= with_values


def test_every_crd_installer_has_its_crds_vendored_at_its_pin() -> None:
    """Each API group the program creates custom resources of is served by vendored CRDs that
    come from the same pin as what installs them (infra/plan/crd_installers.py)."""
    catalog = vendored_catalog()
    rows_by_file = {s.file: s for s in SOURCES}
    for group, installer in CRD_INSTALLERS.items():
        served = [v for v in catalog.served() if v.group == group]
        assert served, f"no vendored CRD for {group}"
        pins = {rows_by_file[f"crds/{v.file}"].pin for v in served}
        if isinstance(installer, HelmInstaller):
            expected = next(name for name, chart in PINNED_CHARTS.items() if chart == installer.chart)
        elif isinstance(installer, ProgramCrd):
            expected = PROGRAM_CRD_PINS[group]
            names = {d["metadata"]["name"] for v in served for d in crd_documents(VENDOR / "crds" / v.file)}
            assert installer.name in names, group
        else:
            assert isinstance(installer, CloudAddOn)
            expected = CLOUD_ADD_ON_PINS[group]
        assert pins == {expected}, group


def test_envoy_gateway_pin_is_a_real_release_tag() -> None:
    """v1.9.2 was pinned without such a tag upstream; the pin is the newest v1.9 release."""
    rows = [s for s in SOURCES if s.pin == "ENVOY_GATEWAY"]
    assert {s.tag for s in rows} == {versions.ENVOY_GATEWAY.version} == {"v1.9.0"}
