"""Check rendered manifests against the vendored CRDs:

    llmfleet render prod --out out/prod && python -m tools.crdcheck out/prod

One line per custom resource: ``ok|invalid|unknown-kind <file> <apiVersion>/<kind> <name>``, then one
indented ``- <error>`` line per error. Kubernetes' own kinds and llmfleet's ``helm.sh/v3 Release``
records are skipped (kubernetes-validate checks the former). Exit 1 if any custom resource is
invalid or has no vendored CRD, else 0.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from tools.crdcheck import check_manifest, is_custom_resource


def main(arguments: list[str]) -> int:
    if not arguments:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    failed = checked = 0
    for argument in arguments:
        root = Path(argument)
        files = sorted(root.rglob("*.y*ml")) if root.is_dir() else [root]
        for path in files:
            for manifest in yaml.safe_load_all(path.read_text(encoding="utf-8")):
                if not is_custom_resource(manifest):
                    continue
                result = check_manifest(manifest)
                checked += 1
                failed += result.status != "ok"
                print(f"{result.status} {path} {result.gvk} {result.name}")
                for error in result.errors:
                    print(f"  - {error}")
    print(f"{checked} custom resources, {failed} failed", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
