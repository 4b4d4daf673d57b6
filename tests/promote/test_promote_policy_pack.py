"""Promotion against the real policy engine (policy/engine.py): its verdict on the promoted
prod config decides, exactly as an independent evaluation of the same edited file does."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.plan import evaluate_stack
from infra.promote import PromotionPolicyError, promote_stacks
from policy import engine

NEW_DIGEST = "sha256:" + "7a" * 32


@pytest.mark.slow
def test_promotion_follows_the_packs_verdict_on_the_promoted_prod(repo: Path, tmp_path: Path) -> None:
    # The verdict, computed independently: the same edit made by hand in a copy.
    copy = tmp_path / "copy"
    copy.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml", "Pulumi.prod.yaml"):
        (copy / name).write_text((repo / name).read_text())
    prod = copy / "Pulumi.prod.yaml"
    text = prod.read_text()
    old = next(line for line in text.splitlines() if line.startswith("    digest: sha256:"))
    prod.write_text(text.replace(old, f"    digest: {NEW_DIGEST}"))
    verdict = engine.evaluate_plan(evaluate_stack("prod", copy).to_json())

    if verdict.exit_code == 0:
        result = promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)
        assert result.written and (repo / "Pulumi.prod.yaml").read_text() == prod.read_text()
    else:
        before = (repo / "Pulumi.prod.yaml").read_bytes()
        with pytest.raises(PromotionPolicyError) as info:
            promote_stacks("dev", "prod", image_digest=NEW_DIGEST, project_dir=repo)
        assert info.value.exit_code == 1
        assert str(info.value).startswith("promotion refused: Pulumi.prod.yaml would fail its policy pack")
        mandatory = [
            f for f in verdict.to_json()["findings"] if f["enforcement"] == "mandatory" and not f["suppressed"]
        ]
        assert f"({len(mandatory)} mandatory finding(s): {mandatory[0]['rule']} " in str(info.value)
        assert (repo / "Pulumi.prod.yaml").read_bytes() == before
