"""The parameters file's JSON schema, published as parameters/schema.json for editors and CI (`orgnb schema`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from orgnb.input.parameters import Parameters

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "parameters" / "schema.json"


def parameters_schema() -> dict[str, Any]:
    """The JSON schema of the parameters file, as published in parameters/schema.json."""
    schema = Parameters.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "orgnb parameters"
    return schema


def schema_text() -> str:
    """parameters/schema.json's exact content."""
    return json.dumps(parameters_schema(), indent=2, sort_keys=True) + "\n"
