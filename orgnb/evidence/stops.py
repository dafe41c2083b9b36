"""Why a run stopped: the steps that failed and what the run waits for, each with its target, reason and remedy.

A run's status file keeps them (written as the run goes, redacted like the rest of it). The command line ends with
one line per stop, and a run that waits for a person opens its notebook with a banner built from them, so the
reader sees what to do without reading the cells.

The texts come from the journal (a failed step's error, an awaiting step's reason) and from the plan's `awaiting`
list. The kit writes them as `<what happened>. Remedy: <what to do>`, `<what> (<AWS's reason>): <what to do>`, or
`<what happened>: <imperative>`; `split_remedy` reads those three shapes and leaves any other text whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_LINES = 10  # stop lines a command prints before it says how many more the record holds

# the first words of the remedies the kit writes (orgnb.remedies, orgnb.phases.account_creation.pipeline, the phases' plans and executors)
_REMEDY = re.compile(
    r": ((?:add|accept|ask|attest|check|choose|close|complete|contact|correct|delete|detach|enable|fix|give|have|list|look|"
    r"move|open|pass|remap|remove|replace|resolve|run|set|sign|try|update|use|verify|wait)\b.*)$",
    re.DOTALL,
)
_ACCOUNT_PREFIX = re.compile(r"^(\d{12}): ")


class StopKind(StrEnum):
    """Why a step did not finish."""

    FAILED = "failed"  # AWS refused or errored: fix the cause, run again
    AWAITING = "awaiting"  # a person must act (a passcode, a payment method, an acceptance), then run again


@dataclass(frozen=True)
class Stop:
    """One step (or, for what a plan waits for, one account) the run could not finish, and what to do about it."""

    kind: StopKind
    step: str | None
    target: str | None
    reason: str
    remedy: str

    def to_dict(self) -> dict[str, Any]:
        """The stop as JSON-able data (the status file's form)."""
        return {"step": self.step, "target": self.target, "reason": self.reason, "remedy": self.remedy}

    @classmethod
    def from_dict(cls, kind: StopKind, data: Mapping[str, Any]) -> Stop:
        """A stop read back from the status file."""
        return cls(kind, data.get("step"), data.get("target"), str(data.get("reason", "")), str(data.get("remedy", "")))

    @property
    def label(self) -> str:
        """The step, and its target when the step id does not already name it; the target alone when there is no step."""
        if self.step and self.target and self.target not in self.step:
            return f"{self.step} ({self.target})"
        return self.step or self.target or "the phase"

    def line(self) -> str:
        """One line for a terminal or a CI log: step, reason, remedy."""
        return f"{self.label}: {self.reason}" + (f"; remedy: {self.remedy}" if self.remedy else "")


def split_remedy(text: str) -> tuple[str, str]:
    """`text` as (reason, remedy); the remedy is "" when the text has none of the kit's three shapes."""
    if ". Remedy: " in text:
        reason, _, remedy = text.partition(". Remedy: ")
        return reason, remedy
    if "): " in text:
        reason, _, remedy = text.partition("): ")
        return reason + ")", remedy
    found = _REMEDY.search(text)
    if found:
        return text[: found.start()], found.group(1)
    return text, ""


def _stop(kind: StopKind, step: str | None, target: str | None, text: str) -> Stop:
    """A stop from a journal or plan text; a leading `<account id>: ` names the target and is not repeated in the reason."""
    prefix = _ACCOUNT_PREFIX.match(text)
    if prefix and (target is None or target == prefix.group(1)):
        target, text = prefix.group(1), text[prefix.end() :]
    reason, remedy = split_remedy(text)
    return Stop(kind, step, target, reason, remedy)


def collect_stops(journal: Iterable[Mapping[str, Any]], plan_awaiting: Sequence[str] = ()) -> list[Stop]:
    """The steps whose last journal entry is `failed` or `awaiting`, then what the plan still waits for (no duplicates)."""
    targets: dict[str, str] = {}
    last: dict[str, Mapping[str, Any]] = {}
    for entry in journal:
        step = entry.get("step")
        if not step:
            continue
        if entry.get("event") == "begin":
            targets[step] = str(entry.get("target", ""))
        if entry.get("event") in ("done", "failed", "awaiting"):
            last[step] = entry
    found: list[Stop] = []
    for step, entry in last.items():
        target = entry.get("target") or targets.get(step) or None
        if entry["event"] == "failed":
            found.append(_stop(StopKind.FAILED, step, target, str(entry.get("error", ""))))
        elif entry["event"] == "awaiting":
            found.append(_stop(StopKind.AWAITING, step, target, str(entry.get("reason", ""))))
    found += [_stop(StopKind.AWAITING, None, None, text) for text in plan_awaiting]
    return list(dict.fromkeys(found))


def status_fields(stops: Sequence[Stop]) -> dict[str, list[dict[str, Any]]]:
    """The status file's `failed_steps` and `awaiting_steps`."""
    return {f"{kind.value}_steps": [s.to_dict() for s in stops if s.kind == kind] for kind in StopKind}


def read_stops(status: Mapping[str, Any]) -> tuple[Stop, ...]:
    """The stops a status file (or a manifest) holds, failed first."""
    return tuple(Stop.from_dict(kind, item) for kind in StopKind for item in status.get(f"{kind.value}_steps") or ())


def stop_lines(stops: Sequence[Stop], record: str, limit: int = MAX_LINES) -> list[tuple[str, str]]:
    """`failed_step` / `awaiting_step` lines, at most `limit`, then one saying how many more the record holds."""
    out = [(f"{s.kind.value}_step", s.line()) for s in stops[:limit]]
    if len(stops) > limit:
        out.append(("more_steps", f"{len(stops) - limit} more in {record}"))
    return out


def rerun_command(phase: str, parameters_name: str) -> str:
    """The command that runs the phase again once the person has acted (the parameters file as the record names it, never its content)."""
    return f"orgnb run {phase} -f {parameters_name or 'PARAMETERS.yaml'} --apply"


def pending_banner(stops: Sequence[Stop], command: str) -> str:
    """Markdown for the top of a waiting run's notebook: what it waits for, per account, and the command to run after."""
    waits = [s for s in stops if s.kind == StopKind.AWAITING]
    by_target: dict[str, list[Stop]] = {}
    for stop in waits:
        by_target.setdefault(stop.target or "the organization", []).append(stop)
    lines = [
        "## This run waits for a person (pending, exit 4)",
        "",
        "It did not fail: it stopped where someone has to act. What it applied before stopping is in its journal.",
        "",
    ]
    for target, items in by_target.items():
        lines.append(f"- **{_escape(target)}**")
        lines += [f"  - {_escape(s.reason)}" + (f": *{_escape(s.remedy)}*" if s.remedy else "") for s in items]
    if not waits:
        lines.append("- see the `awaiting:` lines under Verify")
    lines += ["", "Then run the phase again:", "", "```sh", command, "```"]
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Text safe in markdown: no HTML, no emphasis or table characters read as markup."""
    return re.sub(r"([\\`*_|<>\[\]])", r"\\\1", text)
