"""Seal records into a hash chain over a reports folder, and verify or list it.

A sealed record holds `record.json`: the run's facts, the SHA-256 of every other file in the record, and the
SHA-256 of the previous record's `record.json`. The folder's `chain.json` names the newest record and its digest, so
changing any byte of any record, or removing any record (the newest included), breaks a link that
`verify_path` names. Sealing takes a lock on the folder, so two runs finishing together still form one chain.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orgnb.errors import RecordError

MANIFEST = "record.json"
HEAD = "chain.json"
LOCK = ".chain.lock"
FORMAT = "orgnb-record/1"
HEAD_FORMAT = "orgnb-chain/1"
RECORD_NAME = re.compile(r"^\d{8}T\d{6}Z-[a-z0-9-]+$")


@dataclass(frozen=True)
class Problem:
    """One broken link or changed file: where it is and what is wrong."""

    place: str
    message: str

    def __str__(self) -> str:
        return f"{self.place}: {self.message}"


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def record_files(record_dir: Path) -> dict[str, Path]:
    """Every file of a record, hidden ones included, by its path relative to the record (the manifest excluded)."""
    return {p.relative_to(record_dir).as_posix(): p for p in sorted(record_dir.rglob("*")) if p.is_file() and p.name != MANIFEST}


def is_record_dir(path: Path) -> bool:
    """A folder named like a run (`20261128T120000Z-organization-init`)."""
    return path.is_dir() and bool(RECORD_NAME.match(path.name))


def record_dirs(reports_dir: Path) -> list[Path]:
    """The record folders directly in `reports_dir`, oldest first (names start with the run's UTC time)."""
    return sorted(p for p in reports_dir.iterdir() if is_record_dir(p)) if reports_dir.is_dir() else []


def read_manifest(record_dir: Path) -> dict[str, Any]:
    """A record's manifest ({} when it has none)."""
    path = record_dir / MANIFEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write_json(path: Path, value: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(value, indent=2, sort_keys=True, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


@contextlib.contextmanager
def _locked(reports_dir: Path) -> Iterator[None]:
    with (reports_dir / LOCK).open("a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_head(reports_dir: Path) -> dict[str, Any] | None:
    """The chain's newest link ({record, manifest_sha256, length}), None before the first seal."""
    path = reports_dir / HEAD
    return json.loads(path.read_text(encoding="utf-8")).get("head") if path.exists() else None


def seal(record_dir: Path, facts: dict[str, Any]) -> dict[str, Any]:
    """Write the record's manifest (facts, file digests, link to the previous record) and move the chain's head to it."""
    if (record_dir / MANIFEST).exists():
        raise RecordError(f"{record_dir} is already sealed: a record is never rewritten")
    reports_dir = record_dir.parent
    files = {name: sha256_file(path) for name, path in record_files(record_dir).items()}
    with _locked(reports_dir):
        head = read_head(reports_dir)
        previous = {"record": head["record"], "manifest_sha256": head["manifest_sha256"]} if head else None
        manifest = {**facts, "format": FORMAT, "record": record_dir.name, "files": files, "previous": previous}
        _write_json(record_dir / MANIFEST, manifest)
        length = (head or {}).get("length", 0) + 1
        link = {"record": record_dir.name, "manifest_sha256": sha256_file(record_dir / MANIFEST), "length": length}
        _write_json(reports_dir / HEAD, {"format": HEAD_FORMAT, "head": link})
    return manifest


def verify_files(record_dir: Path) -> list[Problem]:
    """Problems with one record's files: missing manifest, changed, missing or unlisted files."""
    place = record_dir.name
    try:
        manifest = read_manifest(record_dir)
    except (ValueError, OSError) as exc:
        return [Problem(f"{place}/{MANIFEST}", f"unreadable ({exc})")]
    if not manifest:
        return [Problem(place, f"not sealed (no {MANIFEST}): the run was killed; `orgnb records seal` it to keep it as it is")]
    listed: dict[str, str] = manifest.get("files", {})
    present = record_files(record_dir)
    problems = [Problem(f"{place}/{name}", "missing") for name in sorted(set(listed) - set(present))]
    problems += [Problem(f"{place}/{name}", "not listed in the manifest (added later)") for name in sorted(set(present) - set(listed))]
    problems += [
        Problem(f"{place}/{name}", "changed (digest differs from the manifest)")
        for name in sorted(set(listed) & set(present))
        if sha256_file(present[name]) != listed[name]
    ]
    return problems


_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def _link(value: Any, place: str) -> tuple[dict[str, Any] | None, Problem | None]:
    """A chain link ({record, manifest_sha256}) checked for shape: (link, None), (None, None) at the start, or a problem."""
    if value is None:
        return None, None
    if (
        isinstance(value, dict)
        and isinstance(value.get("record"), str)
        and RECORD_NAME.match(value["record"])
        and isinstance(value.get("manifest_sha256"), str)
        and _DIGEST.match(value["manifest_sha256"])
    ):
        return value, None
    return None, Problem(place, "malformed link to the previous record (edited by hand?)")


def _previous(record_dir: Path) -> tuple[dict[str, Any] | None, Problem | None]:
    try:
        manifest = read_manifest(record_dir)
    except (ValueError, OSError):
        return None, Problem(f"{record_dir.name}/{MANIFEST}", "unreadable: the links behind it cannot be followed")
    return _link(manifest.get("previous") if isinstance(manifest, dict) else "?", f"{record_dir.name}/{MANIFEST}")


def verify_chain(reports_dir: Path) -> list[Problem]:
    """Problems with a reports folder's chain: each record's files, then every link back from the head."""
    records = {p.name: p for p in record_dirs(reports_dir)}
    problems = [p for d in records.values() for p in verify_files(d)]
    try:
        head, bad = _link(read_head(reports_dir), HEAD)
    except (ValueError, OSError, AttributeError) as exc:
        return [*problems, Problem(HEAD, f"unreadable ({exc})")]
    if bad:
        return [*problems, bad]
    if head is None:
        if any((d / MANIFEST).exists() for d in records.values()):
            problems.append(Problem(HEAD, "missing: sealed records exist but nothing names the newest"))
        return problems
    reached: set[str] = set()
    link: dict[str, Any] | None = head
    named_by = HEAD
    while link is not None:
        name = link["record"]
        if name not in records:
            problems.append(Problem(name, f"missing: {named_by} names it as the previous record"))
            break
        if name in reached:
            problems.append(Problem(name, "the chain loops back to it"))
            break
        reached.add(name)
        manifest_path = records[name] / MANIFEST
        if not manifest_path.exists():
            break  # reported above as not sealed
        if sha256_file(manifest_path) != link["manifest_sha256"]:
            problems.append(Problem(f"{name}/{MANIFEST}", f"changed (its digest differs from the one {named_by} holds)"))
        link, bad = _previous(records[name])
        if bad:
            problems.append(bad)
            break
        named_by = f"{name}/{MANIFEST}"
    else:  # the walk reached the first record: anything sealed it did not pass through was added beside the chain
        if head.get("length") not in (None, len(reached)):
            problems.append(Problem(HEAD, f"the chain should hold {head['length']} records, {len(reached)} link up"))
        problems += [
            Problem(name, "sealed but not in the chain (the head does not lead to it)")
            for name, d in records.items()
            if name not in reached and (d / MANIFEST).exists()
        ]
    return sorted(problems, key=lambda p: p.place)


def verify_record(record_dir: Path) -> list[Problem]:
    """One record: its files, its link back to the record before, and the link forward that holds its own digest."""
    problems = verify_files(record_dir)
    if problems:
        return problems
    previous, bad = _previous(record_dir)
    if bad:
        return [bad]
    if previous:
        before = record_dir.parent / previous["record"]
        if not before.is_dir():
            problems.append(Problem(previous["record"], f"missing: {record_dir.name}/{MANIFEST} names it as the previous record"))
        elif (before / MANIFEST).exists() and sha256_file(before / MANIFEST) != previous["manifest_sha256"]:
            problems.append(
                Problem(f"{previous['record']}/{MANIFEST}", f"changed (its digest differs from the one {record_dir.name} holds)")
            )
    forward = [(f"{d.name}/{MANIFEST}", link) for d in record_dirs(record_dir.parent) for link in [_previous(d)[0]] if link]
    try:
        head, _ = _link(read_head(record_dir.parent), HEAD)
    except (ValueError, OSError, AttributeError):
        head = None
    forward += [(HEAD, head)] if head else []
    holders = [(place, link) for place, link in forward if link["record"] == record_dir.name]
    if not holders:
        problems.append(Problem(record_dir.name, "nothing in its folder's chain names it (neither a later record nor chain.json)"))
    for place, link in holders:
        if sha256_file(record_dir / MANIFEST) != link["manifest_sha256"]:
            problems.append(Problem(f"{record_dir.name}/{MANIFEST}", f"changed (its digest differs from the one {place} holds)"))
    return problems


def chain_dirs(path: Path) -> list[Path]:
    """`path` and every folder below it that holds records or a chain head (rehearsals keep their own chain)."""
    found = [path] if (path / HEAD).exists() or record_dirs(path) else []
    for child in sorted(path.iterdir()) if path.is_dir() else []:
        if child.is_dir() and not is_record_dir(child) and not child.name.startswith("."):
            found += chain_dirs(child)
    return found


def verify_path(path: Path) -> list[Problem]:
    """Verify one record (files and both links) or every chain under a reports folder."""
    if is_record_dir(path) or (path / MANIFEST).exists():
        return verify_record(path)
    problems = []
    for folder in chain_dirs(path):
        prefix = folder.relative_to(path).as_posix()
        problems += [Problem(p.place if prefix == "." else f"{prefix}/{p.place}", p.message) for p in verify_chain(folder)]
    return problems


def history(path: Path) -> list[dict[str, Any]]:
    """One row per record under `path` (every chain, oldest first): what ran, how it ended, whether it verifies."""
    rows = []
    for folder in chain_dirs(path):
        for record in record_dirs(folder):
            manifest = read_manifest(record) if (record / MANIFEST).exists() else {}
            plan_hash = manifest.get("plan_hash") or ""
            rows.append(
                {
                    "record": record.relative_to(path).as_posix(),
                    "phase": manifest.get("phase", record.name.partition("-")[2]),
                    "mode": manifest.get("mode", ""),
                    "outcome": manifest.get("outcome", "not sealed"),
                    # what a pending run waits for, and the steps a failed one could not make (orgnb.evidence.stops)
                    "waiting": len(manifest.get("awaiting_steps") or ()),
                    "steps_failed": len(manifest.get("failed_steps") or ()),
                    "plan": plan_hash[:8],
                    "applied": len(manifest.get("steps_applied", [])),
                    "writes": manifest.get("writes", ""),
                    "caller": (manifest.get("caller") or {}).get("account_id", ""),
                    "verified": "yes" if not verify_files(record) else "NO",
                }
            )
    return rows
