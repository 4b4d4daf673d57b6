"""The CrossGuard policy pack: ``pulumi preview --policy-pack policy --policy-pack-config policy/<stack>.json``.

The Pulumi CLI runs this file inside the project's virtualenv (PulumiPolicy.yaml). Building
the PolicyPack starts the analyzer's gRPC server and blocks, so nothing else may import it:
the wrapping lives in policy/crossguard.py.
"""

import sys
from pathlib import Path

_PACK_DIR = Path(__file__).resolve().parent
_ROOT = _PACK_DIR.parent
# The CLI runs the pack directory as a script (runpy), which puts the pack directory itself on
# sys.path: drop it so its modules (engine, cost, ...) cannot shadow other top-level names, and
# make the repository root importable so `policy` and `serving` resolve as packages.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _PACK_DIR]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

from pulumi_policy import EnforcementLevel, PolicyPack  # noqa: E402

from policy.crossguard import PACK_NAME, build_policies  # noqa: E402

PolicyPack(
    name=PACK_NAME,
    # Per-stack levels come from the pack config (policy/dev.json, policy/prod.json).
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=build_policies(),
    description="llm-fleet guardrails: security, cost and reliability rules for AWS, GCP and on-prem LLM serving.",
)
