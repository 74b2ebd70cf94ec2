"""`@rowtype`: the frozen dataclasses GT-Vision uses for table rows and values, cheaper to create at import.

`dataclasses.dataclass(frozen=True)` compiles six methods from generated source for every class (`__init__`,
`__repr__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`): ~0.8 ms per class under python3.12, and a
worker imports 20–30 such classes on its cold start (docs/benchmarks.md, bench_lambda_cold_start). `@rowtype` lets
the standard library generate the three that need the class's fields in their code (`__init__` and the frozen
`__setattr__` / `__delattr__`) and gives every class the same `__repr__`, `__eq__` and `__hash__`, which read
the field names once per class. They behave as the generated ones: the same repr text, equality only between
instances of the same class comparing the fields in order, hashing the same fields. Methods a class defines
itself are kept, as `dataclass` keeps them. Everything else is a standard dataclass (`dataclasses.fields`,
`replace`, `asdict`, slots, `field(...)`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar, overload

from typing_extensions import dataclass_transform

C = TypeVar("C", bound=type)

#: Per class: the fields its repr shows, that equality compares, that the hash covers.
_FIELDS: dict[type, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {}


def _names(cls: type) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    known = _FIELDS.get(cls)
    if known is None:
        fields = dataclasses.fields(cls)
        shown = tuple(f.name for f in fields if f.repr)
        compared = tuple(f.name for f in fields if f.compare)
        hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
        known = _FIELDS[cls] = (shown, compared, hashed)
    return known


def _repr(self: Any) -> str:
    shown = _names(type(self))[0]
    return f"{type(self).__qualname__}({', '.join(f'{name}={getattr(self, name)!r}' for name in shown)})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    compared = _names(type(self))[1]
    return tuple(getattr(self, n) for n in compared) == tuple(getattr(other, n) for n in compared)


def _hash(self: Any) -> int:
    return hash(tuple(getattr(self, n) for n in _names(type(self))[2]))


_SHARED = {"__repr__": _repr, "__eq__": _eq, "__hash__": _hash}


@overload
def rowtype(cls: C, /) -> C: ...
@overload
def rowtype(*, slots: bool = True) -> Callable[[C], C]: ...
@dataclass_transform(frozen_default=True)
def rowtype(cls: Any = None, /, *, slots: bool = True) -> Any:
    """`@dataclass(frozen=True, slots=True)` (`@rowtype(slots=False)`: without slots), created faster."""

    def wrap(target: C) -> C:
        own = set(vars(target))
        made: Any = dataclasses.dataclass(frozen=True, slots=slots, repr=False, eq=False)(target)
        for name, method in _SHARED.items():
            if name not in own:
                setattr(made, name, method)
        return made  # type: ignore[no-any-return]

    return wrap if cls is None else wrap(cls)
