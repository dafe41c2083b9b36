"""The parameters file's JSON schema, published as parameters/schema.json for editors and CI (`orgnb schema`).

It holds every rule of the model that JSON Schema can express (each field type's lengths and patterns, from
orgnb.input.awsrules, and the conditions between fields of one section). `VALIDATE_ONLY` lists the rest, which only
`orgnb validate` checks; the schema's description names them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from orgnb.input.parameters import Parameters

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "parameters" / "schema.json"

# The rules JSON Schema cannot express, by name: each compares values across the file, or reads more than its data.
VALIDATE_ONLY = {
    "planned-email-length": "a root email the kit builds (<local_part>+<slug>@<domain>) is at most 64 characters",
    "unique": "every planned root email (case-insensitive), name of an account to create (case-insensitive), account id "
    "(the management account's included) and custom policy name is given once",
    "duplicate-keys": "no key is written twice in one YAML mapping (a JSON Schema validator sees only the last)",
    "policy-files": "the guardrails policy files (custom[].file, baseline.replace) exist and hold JSON policy documents of their type",
}


class _KeysByPattern(GenerateJsonSchema):
    """pydantic's generator, but a mapping whose keys have a pattern refuses the keys that do not match it.

    pydantic writes such a mapping as `patternProperties` alone, which lets any other key through unchecked.
    """

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        """The mapping's schema, the keys' pattern under `propertyNames` and the values' schema for every key."""
        json_schema = super().dict_schema(schema)
        by_pattern = json_schema.pop("patternProperties", None)
        if by_pattern:
            ((pattern, values),) = by_pattern.items()
            json_schema["additionalProperties"] = values
            json_schema["propertyNames"] = {**json_schema.get("propertyNames", {}), "pattern": pattern}
        return json_schema


def description() -> str:
    """The schema's description: the model's, and the rules only `orgnb validate` checks."""
    rules = "; ".join(f"({i}) {rule}" for i, rule in enumerate(VALIDATE_ONLY.values(), start=1))
    return f"{Parameters.__doc__} Beyond this schema, `orgnb validate` checks that {rules}."


def parameters_schema() -> dict[str, Any]:
    """The JSON schema of the parameters file, as published in parameters/schema.json."""
    schema = Parameters.model_json_schema(schema_generator=_KeysByPattern)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "orgnb parameters"
    schema["description"] = description()
    return schema


def schema_text() -> str:
    """parameters/schema.json's exact content."""
    return json.dumps(parameters_schema(), indent=2, sort_keys=True) + "\n"
