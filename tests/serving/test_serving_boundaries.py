"""serving/ ships alone in the image: stdlib and pydantic at import time, nothing from infra or policy."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import serving

PACKAGE = Path(serving.__file__).parent
FORBIDDEN = ("infra", "policy", "pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_policy")
LAZY_ONLY = ("boto3", "botocore", "google", "torch", "huggingface_hub", "vllm")
ALLOWED_TOP = {"pydantic", "serving", "__future__"}
ALLOWED_IN = {"drain_proxy.py": {"aiohttp"}}
"""The drain proxy is aiohttp through and through (the image has it: a vLLM dependency); nothing
imports the proxy at module level, so the rest of serving/ loads without it."""


def _imports(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node, node.module.split(".")[0]


def test_no_imports_of_infra_policy_or_pulumi():
    for path in PACKAGE.rglob("*.py"):
        for _, top in _imports(ast.parse(path.read_text())):
            assert top not in FORBIDDEN, f"{path}: imports {top}"


def test_module_level_imports_are_stdlib_or_pydantic():
    stdlib = set(sys.stdlib_module_names)
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                for _, top in _imports(node):
                    allowed = ALLOWED_TOP | ALLOWED_IN.get(path.name, set())
                    assert top in stdlib or top in allowed, f"{path}: module-level import of {top}"
                    if isinstance(node, ast.ImportFrom) and node.module == "serving.drain_proxy":
                        raise AssertionError(f"{path}: imports serving.drain_proxy at module level")
        for node, top in _imports(tree):
            if top in LAZY_ONLY:
                assert node not in tree.body, f"{path}: {top} must be imported inside the function that needs it"
