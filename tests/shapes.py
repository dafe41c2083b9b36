"""A small validator of parsed AWS responses against botocore's output shapes (required members, types, enums)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "timestamp": (datetime,),
    "double": (float, int),
    "float": (float, int),
    "blob": (bytes, bytearray),
}


def shape_problems(shape: Shape | None, value: Any, path: str = "$", text_timestamps: bool = False) -> list[str]:
    """Every way `value` breaks `shape`: a missing required member, an unknown member, a wrong type, a bad enum.

    `text_timestamps` accepts timestamps as the AWS CLI prints them (the wire value: ISO text or epoch seconds).
    """
    if shape is None:
        extra = sorted(set(value or {}) - {"ResponseMetadata"})
        return [f"{path}: the operation has no output, got {extra}"] if extra else []
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return [f"{path}: expected a structure, got {type(value).__name__}"]
        problems = [f"{path}.{name}: required member missing" for name in shape.required_members if name not in value]
        for name, item in value.items():
            if name == "ResponseMetadata" and path == "$":
                continue
            if name not in shape.members:
                problems.append(f"{path}.{name}: not a member of {shape.name}")
            else:
                problems += shape_problems(shape.members[name], item, f"{path}.{name}", text_timestamps)
        return problems
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {type(value).__name__}"]
        return [p for i, item in enumerate(value) for p in shape_problems(shape.member, item, f"{path}[{i}]", text_timestamps)]
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return [f"{path}: expected a map, got {type(value).__name__}"]
        return [p for k, v in value.items() for p in shape_problems(shape.value, v, f"{path}[{k}]", text_timestamps)]
    expected = (str, float, int) if text_timestamps and shape.type_name == "timestamp" else _SCALARS.get(shape.type_name)
    if expected and (not isinstance(value, expected) or (shape.type_name in ("integer", "long") and isinstance(value, bool))):
        return [f"{path}: expected {shape.type_name}, got {type(value).__name__}"]
    enum = shape.enum if shape.type_name == "string" else None
    if enum and value not in enum:
        return [f"{path}: {value!r} is not one of {shape.name}'s values"]
    return []
