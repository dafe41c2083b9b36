"""Every item of an AWS list, read through botocore's paginators, whatever its pages look like.

Organizations' List* documentation: "When calling List* operations, always check the NextToken response parameter
value, even if you receive an empty result set. These operations can occasionally return an empty set of results
even when more results are available. Continue making requests until NextToken returns null." A bare call reads the
first page only, which may be empty even for ListRoots or ListParents; botocore's paginators follow NextToken
through empty pages.
"""

from __future__ import annotations

from typing import Any


def listed(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item under `key` of every page of `operation`."""
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page[key]]


def first(client: Any, operation: str, key: str, **kwargs: Any) -> Any:
    """The first item of a list that always holds one (the root of ListRoots; the parent of ListParents)."""
    return listed(client, operation, key, **kwargs)[0]
