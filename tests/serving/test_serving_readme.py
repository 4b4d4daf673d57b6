"""serving/README.md embeds the generated ServingSpec reference; every field is described."""

from __future__ import annotations

import os
import re
from pathlib import Path

from serving import spec as spec_module
from serving.spec import ServingSpec, reference_table

README = Path(spec_module.__file__).with_name("README.md")
BEGIN, END = "<!-- BEGIN SPEC FIELDS -->", "<!-- END SPEC FIELDS -->"


def test_readme_spec_table_is_current():
    text = README.read_text()
    block = f"{BEGIN}\n{reference_table()}\n{END}"
    current = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.DOTALL)
    if os.environ.get("LLMFLEET_REGEN_GOLDEN") == "1":
        README.write_text(current)
        text = current
    assert current == text, "serving/README.md spec table is stale; rerun with LLMFLEET_REGEN_GOLDEN=1"


def test_every_spec_field_has_a_description():
    missing = [name for name, info in ServingSpec.model_fields.items() if not info.description]
    assert not missing, missing
