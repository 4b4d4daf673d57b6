"""Golden files: the rendered manifests of one placement (prod, dc1, llama-70b), its own objects.

After an intended change, regenerate them with:

    LLMFLEET_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/render/test_render_golden.py

and review the diff under tests/golden/render/.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from infra.plan import Plan
from infra.render import render_plan

ROOT = Path(__file__).resolve().parents[2]
PLACEMENT = "dc1-llama-70b"
GOLDEN = ROOT / "tests" / "golden" / "render" / f"prod-{PLACEMENT}"
REGEN = os.environ.get("LLMFLEET_REGEN_GOLDEN") == "1"


def placement_plan(plan: Plan, name: str) -> Plan:
    """The placement's own objects (its direct children) and the components above them."""
    component = next(r for r in plan.of_type("llm-fleet:workloads:ModelPlacement") if r.name == name)
    keep = [r for r in plan.resources if r.parent == component.urn]
    return Plan(stack=plan.stack, config=plan.config, resources=[*plan.ancestors(component), component, *keep])


def test_rendered_placement_matches_golden_files(prod_plan: Plan, tmp_path: Path) -> None:
    files = render_plan(placement_plan(prod_plan, PLACEMENT), tmp_path)
    rendered = {p.relative_to(tmp_path).as_posix(): p.read_text(encoding="utf-8") for p in files}
    if REGEN:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for relative, text in rendered.items():
            (GOLDEN / relative).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / relative).write_text(text, encoding="utf-8")
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_text(encoding="utf-8") for p in sorted(GOLDEN.rglob("*.yaml"))}
    assert sorted(rendered) == sorted(golden), "objects added or removed; rerun with LLMFLEET_REGEN_GOLDEN=1"
    for relative, text in rendered.items():
        assert text == golden[relative], f"{relative} changed; rerun with LLMFLEET_REGEN_GOLDEN=1 and review the diff"
