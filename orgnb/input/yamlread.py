"""Reading a parameters file's YAML so that no key can mean two things.

PyYAML's safe loader keeps the last of two equal keys in a mapping and drops the first without a word: a file with
two `accounts:` blocks would lose the first block's accounts. `UniqueKeyLoader` is `yaml.SafeLoader` (the same
tags, no arbitrary Python objects) that refuses a key written twice in one mapping, at any depth, naming where each
one is and both its lines. Merge keys (`<<: *anchor`) keep working: a key written in the mapping overrides a merged one.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

_MERGE_TAG = "tag:yaml.org,2002:merge"

Location = tuple[int | str, ...]


def field_path(parts: Iterable[int | str]) -> str:
    """A location as the kit names fields: keys joined by dots, list items as [i] (`accounts[2].email`)."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


@dataclass(frozen=True)
class Duplicate:
    """A key written again in one mapping: where (`field`, e.g. accounts[2].email), the key and both 1-based lines."""

    field: str
    key: str
    first_line: int
    second_line: int


class DuplicateKeyError(yaml.constructor.ConstructorError):
    """A document writes keys twice in a mapping; `duplicates` lists every one, in document order."""

    def __init__(self, duplicates: list[Duplicate]) -> None:
        self.duplicates = duplicates
        lines = [f"{d.field}: key {d.key!r} appears twice, on line {d.first_line} and line {d.second_line}" for d in duplicates]
        super().__init__(None, None, "; ".join(lines))  # each names its own lines: no single mark to add


class UniqueKeyLoader(yaml.SafeLoader):
    """yaml.SafeLoader that refuses duplicate mapping keys (DuplicateKeyError) instead of keeping the last."""

    def construct_document(self, node: yaml.Node) -> Any:
        """Check every mapping of the document, then build it as SafeLoader does."""
        # before any construction: PyYAML flattens merge keys into the mapping nodes it builds, in place
        duplicates = [d for path, mapping in _mappings(node) for d in self._duplicates(path, mapping)]
        if duplicates:
            raise DuplicateKeyError(sorted(duplicates, key=lambda d: (d.second_line, d.field)))
        return super().construct_document(node)

    def _duplicates(self, path: Location, node: yaml.MappingNode) -> Iterator[Duplicate]:
        seen: dict[Hashable, yaml.Node] = {}
        for key_node, _ in node.value:
            key = _key(self, key_node)
            if key is None:
                continue  # not a scalar key: SafeLoader refuses it itself if it cannot be a dict key
            first = seen.setdefault(key, key_node)
            if first is not key_node:
                field = field_path((*path, key_node.value))
                yield Duplicate(field, key_node.value, first.start_mark.line + 1, key_node.start_mark.line + 1)


def _key(loader: UniqueKeyLoader, key_node: yaml.Node) -> Hashable | None:
    """The key as the built dict would hold it (so `true` and `yes` are one key), None when it is not a scalar."""
    if key_node.tag == _MERGE_TAG:
        return (_MERGE_TAG,)
    if not isinstance(key_node, yaml.ScalarNode):
        return None
    key = loader.construct_object(key_node)
    return key if isinstance(key, Hashable) else None


def _mappings(root: yaml.Node) -> Iterator[tuple[Location, yaml.MappingNode]]:
    """Every mapping node under `root` once (aliases are not followed twice), with the path where it first appears."""
    seen: set[int] = set()
    stack: list[tuple[Location, yaml.Node]] = [((), root)]
    while stack:
        path, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            yield path, node
            children = [(path if k.tag == _MERGE_TAG else (*path, str(k.value)), v) for k, v in node.value]
            stack.extend(reversed(children))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(reversed([((*path, i), item) for i, item in enumerate(node.value)]))


def load_yaml(text: str) -> Any:
    """Parse one YAML document like yaml.safe_load, refusing duplicate keys (DuplicateKeyError, a yaml.YAMLError)."""
    return yaml.load(text, Loader=UniqueKeyLoader)  # UniqueKeyLoader is a SafeLoader: no arbitrary objects
