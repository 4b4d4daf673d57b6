"""Red-team the real prod stack: each mutation must be stopped (`llmfleet policy prod` exits 1, or
the config validator refuses it), each safe variant must pass, and every edit must change prod.
Mutations the pack does not block yet are explicit strict xfails (catalogue.GAPS)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.policy.redteam.catalogue import (
    ALL,
    CONFIG,
    FALSE_POSITIVES,
    GAPS,
    PLAN,
    SAFE_CONFIG_VARIANTS,
    SAFE_PLAN_VARIANTS,
)
from tests.policy.redteam.edits import CLASSES, Mutation
from tests.policy.redteam.runner import Key, blocking, run_config_mutation, run_plan_mutation


@pytest.fixture(scope="module")
def prod(prod_plan) -> dict[str, Any]:
    return prod_plan.to_json()


@pytest.fixture(scope="module")
def before(prod) -> set[Key]:
    return blocking(prod)


def _params(items: list[Mutation]) -> list[Any]:
    return [
        pytest.param(m, id=m.id, marks=[pytest.mark.xfail(strict=True, reason=m.gap)] if m.gap else []) for m in items
    ]


def _explain(m: Mutation) -> str:
    return f"{m.id} [{m.cls}; {m.ref}] {m.what}"


@pytest.mark.parametrize("m", _params(PLAN))
def test_plan_mutation_is_blocked(prod, before, m):
    outcome = run_plan_mutation(prod, before, m)
    assert outcome.changed, f"{m.id}: the edit did not change the prod Plan"
    assert outcome.verdict == "blocked", f"{outcome.verdict}: {_explain(m)} {outcome.findings}"


@pytest.mark.parametrize("m", _params(CONFIG))
def test_config_mutation_is_stopped(prod, before, m):
    outcome = run_config_mutation(prod, before, m)
    assert outcome.changed, f"{m.id}: the edit did not change Pulumi.prod.yaml's values or the Plan"
    assert outcome.stopped, f"{outcome.verdict}: {_explain(m)} {outcome.findings}"


@pytest.mark.parametrize("m", _params(SAFE_PLAN_VARIANTS))
def test_safe_plan_variant_passes(prod, before, m):
    outcome = run_plan_mutation(prod, before, m)
    assert outcome.changed, f"{m.id}: the edit did not change the prod Plan"
    assert outcome.verdict == "passed", f"false positive on {_explain(m)}: {outcome.findings}"


@pytest.mark.parametrize("m", _params(SAFE_CONFIG_VARIANTS))
def test_safe_config_variant_passes(prod, before, m):
    outcome = run_config_mutation(prod, before, m)
    assert outcome.changed, f"{m.id}: the edit did not change Pulumi.prod.yaml's values or the Plan"
    assert outcome.verdict == "passed", f"false positive on {_explain(m)}: {outcome.findings}"


def test_catalogue_shape():
    """At least 150 mutations over both forms and 25 safe variants; ids unique; every class used."""
    mutations = [*PLAN, *CONFIG]
    assert len(mutations) >= 150 and len(PLAN) >= 100 and len(CONFIG) >= 30
    assert len(SAFE_PLAN_VARIANTS) + len(SAFE_CONFIG_VARIANTS) >= 25
    ids = Counter(m.id for m in ALL)
    assert [i for i, n in ids.items() if n > 1] == []
    assert {m.cls for m in mutations} == set(CLASSES)
    assert all(m.ref and m.what for m in ALL)
    assert set(GAPS) <= {m.id for m in mutations} and set(FALSE_POSITIVES) <= {
        m.id for m in [*SAFE_PLAN_VARIANTS, *SAFE_CONFIG_VARIANTS]
    }


def test_gaps_file_lists_exactly_the_known_gaps():
    from tests.policy.redteam.gaps import GAPS_FILE, listed_ids

    assert listed_ids(GAPS_FILE.read_text(encoding="utf-8")) == set(GAPS) | set(FALSE_POSITIVES)
