"""How a check came out: the status vocabulary the audit's findings and the transfer-impact table share."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """How a check came out; MANUAL waits for a person's attestation."""

    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    MANUAL = "MANUAL"
