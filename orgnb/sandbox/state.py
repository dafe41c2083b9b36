"""The sandbox's module-level state, registered once: the stores a reset empties and the settings it restores.

Each module registers what it keeps between requests when it is imported, then uses it as a plain dict, list or set:

    CLOSURES: dict[str, Closure] = state.store({})
    SETTINGS = state.settings({"seconds": 0.5}, close_account_seconds=state.Field("seconds", float))

`reset` (Sandbox.reset) empties every store and puts every setting back to its default, and `configure` (the admin
route POST /orgnb-api/settings) changes settings by their admin names and answers all of them, so neither keeps a
list of modules. Importing `orgnb.sandbox` imports every module that registers anything (tests/test_sandbox_state.py
keeps it so): everything is registered before the sandbox starts.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol, TypeVar


class Clearable(Protocol):
    """A store: anything a reset can empty (a dict, list or set)."""

    def clear(self) -> None:
        """Remove every item."""


StoreT = TypeVar("StoreT", bound=Clearable)


class RegistrationError(Exception):
    """A setting registered wrongly: under an admin name already taken, or for a key that has no default."""


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Field:
    """A module setting as the admin route names it: its key in the module's SETTINGS, how the route's JSON value
    becomes the setting (raising ValueError, TypeError or AttributeError, which the route answers with 400), and
    how the route shows it."""

    key: str
    parse: Callable[[Any], Any]
    show: Callable[[Any], Any] = _same


@dataclass(frozen=True)
class Knob:
    """A setting the admin route changes by name: read its JSON value, apply what was read, show the setting."""

    name: str
    parse: Callable[[Any], Any]
    apply: Callable[[Any], None]
    show: Callable[[], Any]


def _field_knob(name: str, spec: Field, current: dict[str, Any]) -> Knob:
    """The knob that sets `current[spec.key]` under the admin name `name`."""

    def apply(value: Any) -> None:
        current[spec.key] = value

    def show() -> Any:
        return spec.show(current[spec.key])

    return Knob(name, spec.parse, apply, show)


class Registry:
    """Every store and setting the sandbox's modules registered, in the order they registered."""

    def __init__(self) -> None:
        self._stores: list[tuple[Clearable, AbstractContextManager[Any]]] = []
        self._settings: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self._knobs: dict[str, Knob] = {}

    def store(self, empty: StoreT, lock: AbstractContextManager[Any] | None = None) -> StoreT:
        """Register `empty` as a store a reset empties (holding `lock`, the one its module guards it with); `empty`."""
        self._stores.append((empty, lock or nullcontext()))
        return empty

    def settings(self, defaults: dict[str, Any], **fields: Field) -> dict[str, Any]:
        """A module's settings: a dict starting as (a copy of) `defaults` and restored to them on reset, each of
        `fields` changed by the admin route under its keyword's name."""
        current = copy.deepcopy(defaults)
        self._settings.append((current, copy.deepcopy(defaults)))
        for name, spec in fields.items():
            if spec.key not in defaults:
                raise RegistrationError(f"the setting {name!r} names {spec.key!r}, which has no default")
            self.knob(_field_knob(name, spec, current))
        return current

    def knob(self, knob: Knob) -> None:
        """Register a setting the admin route changes by name (for one that is not a key of a module's SETTINGS)."""
        if knob.name in self._knobs:
            raise RegistrationError(f"the setting {knob.name!r} is registered twice")
        self._knobs[knob.name] = knob

    def stores(self) -> tuple[Clearable, ...]:
        """Every registered store."""
        return tuple(store for store, _ in self._stores)

    def registered(self) -> tuple[object, ...]:
        """Every registered store and every module's settings."""
        return (*self.stores(), *(current for current, _ in self._settings))

    def holds(self, value: object) -> bool:
        """True when `value` itself is a registered store or a module's settings."""
        return any(value is held for held in self.registered())

    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply the admin route's `changes` (names it does not know are ignored) once all of them have been read,
        so a bad value changes nothing; every setting, by its admin name."""
        parsed = [(knob, knob.parse(changes[name])) for name, knob in self._knobs.items() if name in changes]
        for knob, value in parsed:
            knob.apply(value)
        return {name: knob.show() for name, knob in self._knobs.items()}

    def reset(self) -> None:
        """Empty every store and put every setting back to its default."""
        for store, lock in self._stores:
            with lock:
                store.clear()
        for current, defaults in self._settings:
            current.clear()
            current.update(copy.deepcopy(defaults))


STATE = Registry()
store = STATE.store
settings = STATE.settings
knob = STATE.knob
configure = STATE.configure
reset = STATE.reset


def days(value: Any) -> timedelta:
    """A JSON number of days as a duration."""
    return timedelta(days=float(value))


def in_days(value: timedelta) -> float:
    """A duration in days, as the admin route shows it."""
    return value.total_seconds() / 86400


def seconds(value: Any) -> timedelta:
    """A JSON number of seconds as a duration."""
    return timedelta(seconds=float(value))


def in_seconds(value: timedelta) -> float:
    """A duration in seconds, as the admin route shows it."""
    return value.total_seconds()


def optional_int(value: Any) -> int | None:
    """A JSON integer, or null for "no limit"."""
    return None if value is None else int(value)
