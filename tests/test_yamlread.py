"""The parameters file's YAML reader: duplicate keys refused at any depth with both lines; otherwise yaml.safe_load."""

from __future__ import annotations

import pytest
import yaml

from orgnb.input.yamlread import Duplicate, DuplicateKeyError, load_yaml

# (id, document, the field named, the key, its first line, its second line)
DUPLICATES = [
    ("top-level", "accounts:\n  - name: A\nroot_email: {}\naccounts:\n  - name: B\n", "accounts", "accounts", 1, 4),
    ("nested-map", "organization:\n  region: us-east-1\n  profile: p\n  region: eu-west-1\n", "organization.region", "region", 2, 4),
    ("in-list-item", "accounts:\n  - name: A\n  - name: B\n    email: b@x.com\n    email: c@x.com\n", "accounts[1].email", "email", 4, 5),
    ("flow-map", "root_email: {local_part: aws, domain: example.com, domain: example.org}\n", "root_email.domain", "domain", 1, 1),
    ("mapping-keys", "otps:\n  aws+a@x.com: AAAAAA\n  aws+a@x.com: BBBBBB\n", "otps.aws+a@x.com", "aws+a@x.com", 2, 3),
    ("same-after-reading", "root_access:\n  on: true\n  'on': false\n  yes: true\n", "root_access.yes", "yes", 2, 4),
    ("deep", "a:\n  - b:\n      - c: 1\n        d: 2\n        c: 3\n", "a[0].b[0].c", "c", 3, 5),
]


@pytest.mark.parametrize(("text", "field", "key", "first", "second"), [c[1:] for c in DUPLICATES], ids=[c[0] for c in DUPLICATES])
def test_a_key_written_twice_is_refused_naming_where_and_both_lines(text: str, field: str, key: str, first: int, second: int) -> None:
    assert isinstance(yaml.safe_load(text), dict)  # what PyYAML alone does: keeps the last, silently
    with pytest.raises(DuplicateKeyError) as info:
        load_yaml(text)
    assert info.value.duplicates == [Duplicate(field, key, first, second)]
    assert isinstance(info.value, yaml.YAMLError)


def test_every_duplicate_is_named_once_in_document_order() -> None:
    text = "b:\n  x: 1\n  x: 2\n  x: 3\na: 1\na: 2\n"
    with pytest.raises(DuplicateKeyError) as info:
        load_yaml(text)
    assert info.value.duplicates == [Duplicate("b.x", "x", 2, 3), Duplicate("b.x", "x", 2, 4), Duplicate("a", "a", 5, 6)]


def test_merge_keys_read_as_safe_load_reads_them() -> None:
    text = "base: &base {region: us-east-1, profile: p}\norganization:\n  <<: *base\n  profile: q\nlist:\n  - <<: [*base]\n"
    assert load_yaml(text) == yaml.safe_load(text)
    assert load_yaml(text)["organization"] == {"region": "us-east-1", "profile": "q"}


def test_a_key_repeated_through_an_alias_is_one_key() -> None:
    text = "a: &a {x: 1}\nb: *a\nc: [*a, *a]\n"
    assert load_yaml(text) == yaml.safe_load(text)
    assert load_yaml("a: &a [1, *a]\n")["a"][0] == 1  # a self-referencing alias does not loop


def test_it_stays_safe() -> None:
    with pytest.raises(yaml.constructor.ConstructorError, match="python/object"):
        load_yaml("a: !!python/object/apply:os.system ['true']\n")
