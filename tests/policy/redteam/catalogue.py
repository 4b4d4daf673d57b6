"""The whole red-team catalogue, with the gaps the pack has not closed yet.

``GAPS`` maps a mutation id to the missing rule; those run as ``xfail(strict=True)``, so a rule
that starts blocking one flips its test and the entry must go. Regenerate GAPS.md with
``python -m tests.policy.redteam.gaps``.
"""

from __future__ import annotations

from dataclasses import replace

from tests.policy.redteam.catalogue_config import CONFIG_MUTATIONS
from tests.policy.redteam.catalogue_plan import PLAN_MUTATIONS
from tests.policy.redteam.catalogue_plan_more import PLAN_MUTATIONS_MORE
from tests.policy.redteam.catalogue_plan_third import PLAN_MUTATIONS_THIRD
from tests.policy.redteam.catalogue_safe import SAFE_CONFIG, SAFE_PLAN
from tests.policy.redteam.edits import Mutation

GAPS: dict[str, str] = {}
FALSE_POSITIVES: dict[str, str] = {}


def _with_gaps(items: list[Mutation], gaps: dict[str, str]) -> list[Mutation]:
    return [replace(m, gap=gaps.get(m.id)) for m in items]


PLAN = _with_gaps([*PLAN_MUTATIONS, *PLAN_MUTATIONS_MORE, *PLAN_MUTATIONS_THIRD], GAPS)
CONFIG = _with_gaps(CONFIG_MUTATIONS, GAPS)
SAFE_PLAN_VARIANTS = _with_gaps(SAFE_PLAN, FALSE_POSITIVES)
SAFE_CONFIG_VARIANTS = _with_gaps(SAFE_CONFIG, FALSE_POSITIVES)
ALL = [*PLAN, *CONFIG, *SAFE_PLAN_VARIANTS, *SAFE_CONFIG_VARIANTS]
