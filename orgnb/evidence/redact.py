"""Keep credentials out of journals, notebook outputs and records.

Two layers. `redact` drops values under secret-looking field names from structured data (journal entries, plan
steps). `Scrubber` finds secrets in free text: AWS access key ids, secret access keys and session tokens by their
shape or by the label in front of them, plus known values (the credentials in the environment and the shared
credentials file, values of secret-named parameters). Every replacement is a marker naming what was removed, so a
record can say what it redacted by counting markers.
"""

from __future__ import annotations

import ast
import configparser
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECRET_FIELD = "secret-field"
ACCESS_KEY_ID = "access-key-id"
SECRET_ACCESS_KEY = "secret-access-key"
SESSION_TOKEN = "session-token"
SECRET_PARAMETER = "secret-parameter"
KNOWN_SECRET = "known-secret"

_MARKER = "***redacted:{kind}***"
MARKER_PATTERN = re.compile(r"\*\*\*redacted:([a-z-]+)\*\*\*")
# A field or parameter holds a secret when its name, letters and digits only, ends with one of these (or is exactly
# `credentials`, STS's answer). Names that merely mention credentials (`credentials_management`,
# `EnableOrganizationsRootCredentialsManagement`, `root_credentials_in_vault`) are not secrets.
_SECRET_SUFFIXES = (
    *("secret", "secretkey", "secretaccesskey", "password", "passwd", "passphrase"),
    *("token", "otp", "otps", "privatekey", "apikey"),
)


def is_secret_name(name: object) -> bool:
    """True for a field or parameter name that holds a secret (`SessionToken`, `api_token`, `otps`, `Credentials`)."""
    if not isinstance(name, str):
        return False
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return key == "credentials" or key.endswith(_SECRET_SUFFIXES)


_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")
# name = value, name: value, "Name": "value", --name=value: the value after any name that holds a secret
_LABELLED = re.compile(r"([A-Za-z_][\w-]*)([\"']?\s*[:=]\s*[\"']?)([^\s\"',;*{}\[\]()]{6,})")
_B64 = "A-Za-z0-9/+"
# A bare 40-character key: exactly 40 base64 characters standing alone, with as many capitals, small letters and
# digits as random base64 has (paths and OU names have too few capitals, hex digests none).
_SECRET_KEY_SHAPE = re.compile(rf"(?<![{_B64}_-])[{_B64}]{{40}}(?![{_B64}=_-])")
# A bare session token: a long run of base64 / url-safe characters (AWS's are hundreds of characters).
_TOKEN_SHAPE = re.compile(rf"(?<![{_B64}_-])[{_B64}_-]{{100,}}={{0,2}}")


def marker(kind: str) -> str:
    """The text that replaces a secret of `kind` (e.g. `***redacted:access-key-id***`)."""
    return _MARKER.format(kind=kind)


REDACTED = marker(SECRET_FIELD)


def _looks_random(text: str, min_upper: float, min_lower: float, min_digit: float) -> bool:
    n = len(text)
    upper = sum(c.isupper() for c in text)
    lower = sum(c.islower() for c in text)
    digit = sum(c.isdigit() for c in text)
    return upper >= n * min_upper and lower >= n * min_lower and digit >= n * min_digit


@dataclass
class Scrubber:
    """Replaces secrets in text with markers; `found` counts what it replaced, by kind."""

    known: set[str] = field(default_factory=set)
    found: Counter[str] = field(default_factory=Counter)
    # texts already seen to hold nothing to replace: papermill saves the whole notebook after every cell, so
    # nearly every string comes back unchanged many times (cleared when a known value is added)
    _clean: set[str] = field(default_factory=set, repr=False, compare=False)
    _known_pattern: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        initial, self.known = self.known, set()
        self.add_known(initial)

    def add_known(self, values: Iterable[str]) -> None:
        """Also replace these exact values (credentials, secret parameter values) wherever they appear."""
        new = {v for v in values if isinstance(v, str) and len(v) >= 6 and not MARKER_PATTERN.search(v)} - self.known
        if new:
            self.known.update(new)
            alternatives = "|".join(re.escape(v) for v in sorted(self.known, key=len, reverse=True))
            # whole values only: a six-digit passcode must not eat the middle of an account id
            self._known_pattern = re.compile(rf"(?<![A-Za-z0-9])(?:{alternatives})(?![A-Za-z0-9])")
            self._clean.clear()

    def _sub(self, pattern: re.Pattern[str], kind: str, text: str, accept: Any = None) -> str:
        def repl(m: re.Match[str]) -> str:
            if accept is not None and not accept(m.group(0)):
                return m.group(0)
            self.found[kind] += 1
            return marker(kind)

        return pattern.sub(repl, text)

    def text(self, text: str) -> str:
        """`text` with every secret it holds replaced by a marker."""
        if text in self._clean:
            return text
        clean = self._scrub(text)
        if clean == text:
            self._clean.add(text)
        return clean

    def _scrub(self, text: str) -> str:
        if self._known_pattern is not None:
            text = self._sub(self._known_pattern, KNOWN_SECRET, text)

        def labelled(m: re.Match[str]) -> str:
            if not is_secret_name(m.group(1)):
                return m.group(0)
            self.found[SECRET_FIELD] += 1
            return m.group(1) + m.group(2) + marker(SECRET_FIELD)

        text = _LABELLED.sub(labelled, text)
        text = self._sub(_ACCESS_KEY_ID, ACCESS_KEY_ID, text)
        text = self._sub(_TOKEN_SHAPE, SESSION_TOKEN, text, lambda s: _looks_random(s, 0.15, 0.15, 0.04))
        return self._sub(_SECRET_KEY_SHAPE, SECRET_ACCESS_KEY, text, lambda s: _looks_random(s, 0.2, 0.2, 0.05))


def _harmless(value: Any) -> bool:
    return value is None or isinstance(value, bool)  # a flag such as `has_password: true` is no secret


def redact(value: Any, scrubber: Scrubber | None = None) -> Any:
    """A copy of `value` with secret-named fields replaced by a marker and secrets in strings scrubbed."""
    scrubber = scrubber if scrubber is not None else Scrubber()
    if isinstance(value, dict):
        return {k: (REDACTED if is_secret_name(k) and not _harmless(v) else redact(v, scrubber)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, scrubber) for v in value]
    if isinstance(value, str):
        return scrubber.text(value)
    return value


def secret_named_values(value: Any, inside_secret: bool = False) -> list[str]:
    """Every string in `value` (a parsed parameters file) held under a secret-looking key, at any depth."""
    if isinstance(value, dict):
        out: list[str] = []
        for k, v in value.items():
            out += secret_named_values(v, inside_secret or is_secret_name(k))
        return out
    if isinstance(value, list):
        return [s for v in value for s in secret_named_values(v, inside_secret)]
    return [str(value)] if inside_secret and value is not None and not isinstance(value, bool) else []


def environment_secrets(environ: dict[str, str] | None = None, credentials_file: str | None = None) -> list[str]:
    """Credentials the current process can see: AWS_* secret variables and the shared credentials file's keys."""
    env = dict(os.environ if environ is None else environ)
    values = [env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN") if env.get(k)]
    path = Path(credentials_file or env.get("AWS_SHARED_CREDENTIALS_FILE") or Path.home() / ".aws" / "credentials")
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return values
    for section in parser.sections():
        for key, value in parser.items(section):
            if key in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token", "aws_security_token") and value:
                values.append(value.strip())
    return values


def run_scrubber(secrets: Iterable[str] = (), parameters: dict[str, Any] | None = None) -> Scrubber:
    """A scrubber that knows a run's secrets: the environment's and credentials file's keys, the secrets of its
    parameters model (`Parameters.secrets`), and secret-named notebook parameters."""
    scrubber = Scrubber()
    scrubber.add_known(environment_secrets())
    scrubber.add_known(secrets)
    scrubber.add_known(secret_named_values(dict(parameters or {})))
    return scrubber


_ASSIGNMENT = re.compile(r"^(\s*)([A-Za-z_]\w*)(\s*=\s*)(.+?)(\s*(?:#.*)?)$")


def scrub_parameter_source(source: str, scrubber: Scrubber) -> str:
    """Papermill's injected-parameters cell with values of secret-named parameters replaced (and remembered)."""
    lines = []
    for line in source.splitlines():
        m = _ASSIGNMENT.match(line)
        if m and is_secret_name(m.group(2)):
            try:
                literal = ast.literal_eval(m.group(4))
            except (ValueError, SyntaxError):
                literal = m.group(4)
            values = [v for v in secret_named_values({"secret": literal}) if v and not MARKER_PATTERN.search(v)]
            if values:  # an empty default or a value already redacted stays as it is
                scrubber.add_known(values)
                scrubber.found[SECRET_PARAMETER] += 1
                line = f"{m.group(1)}{m.group(2)}{m.group(3)}{marker(SECRET_PARAMETER)!r}{m.group(5)}"
        lines.append(line)
    return "\n".join(lines)


def count_markers(text: str) -> Counter[str]:
    """How many secrets of each kind were redacted in `text` (counted by their markers)."""
    return Counter(MARKER_PATTERN.findall(text))


PARAMETER_TAGS = ("parameters", "injected-parameters")


def scrub_notebook(nb: dict[str, Any], scrubber: Scrubber) -> dict[str, Any]:
    """A notebook (as a dict) with secret parameters, and then every secret in sources and outputs, replaced."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code" and set(cell.get("metadata", {}).get("tags", [])) & set(PARAMETER_TAGS):
            source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
            cell["source"] = scrub_parameter_source(source, scrubber)
    papermill = nb.get("metadata", {}).get("papermill", {})
    if isinstance(papermill.get("parameters"), dict):
        scrubber.add_known(secret_named_values(papermill["parameters"]))
        papermill["parameters"] = redact(papermill["parameters"])
    scrubbed: dict[str, Any] = scrub_value(nb, scrubber)
    return scrubbed


def scrub_value(value: Any, scrubber: Scrubber) -> Any:
    """A copy of JSON-like `value` with every string scrubbed (keys kept; images left alone)."""
    if isinstance(value, dict):
        return {k: (v if isinstance(k, str) and k.startswith("image/") else scrub_value(v, scrubber)) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub_value(v, scrubber) for v in value]
    if isinstance(value, str):
        return scrubber.text(value)
    return value
