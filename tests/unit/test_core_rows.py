"""`core.rows.rowtype` behaves as `@dataclass(frozen=True, slots=True)`: the same repr, equality, hashing and
frozenness, the class's own methods kept, and it is a standard dataclass for `fields`, `replace` and slots."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any
from uuid import UUID

import pytest

from gtvision.core.rows import rowtype


@rowtype
class Fast:
    a: int
    b: str | None = None
    c: dict[str, Any] | None = dataclasses.field(default=None, compare=False)
    d: list[int] = dataclasses.field(default_factory=list, repr=False)


@dataclasses.dataclass(frozen=True, slots=True)
class Standard:
    a: int
    b: str | None = None
    c: dict[str, Any] | None = dataclasses.field(default=None, compare=False)
    d: list[int] = dataclasses.field(default_factory=list, repr=False)


@rowtype
class Base:
    id: UUID


@rowtype
class Child(Base):
    n: int = 0


@rowtype(slots=False)
class Own:
    x: int

    def __repr__(self) -> str:
        return "mine"


def test_repr_equality_and_hash_are_the_standard_dataclasses() -> None:
    fast, std = Fast(1, "x", {"k": 1}, [2]), Standard(1, "x", {"k": 1}, [2])
    assert repr(fast) == repr(std).replace("Standard(", "Fast(", 1) == "Fast(a=1, b='x', c={'k': 1})"
    assert Fast(1, "x", {"k": 1}) == Fast(1, "x", {"other": 2})  # `c` is not compared
    assert Fast(1, "x") != Fast(2, "x") and Fast(1) != Standard(1)
    assert Fast(1).__eq__(1) is NotImplemented
    for row in (Fast(1, "x"), Standard(1, "x")):  # the list field `d` is compared, so hashed: unhashable
        with pytest.raises(TypeError):
            hash(row)
    uid = UUID(int=1)
    assert hash(Child(uid, 2)) == hash(dataclasses.astuple(Child(uid, 2))) == hash((uid, 2))


def test_frozen_slots_fields_replace_and_pickle() -> None:
    row = Fast(1, "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.a = 2  # type: ignore[misc]
    assert "__slots__" in vars(Fast) and not hasattr(row, "__dict__")
    assert [f.name for f in dataclasses.fields(Fast)] == ["a", "b", "c", "d"]
    assert dataclasses.replace(row, a=5) == Fast(5, "x") and dataclasses.asdict(row)["b"] == "x"
    assert pickle.loads(pickle.dumps(row)) == row


def test_subclasses_and_a_classs_own_methods() -> None:
    uid = UUID(int=7)
    assert repr(Child(uid, 3)) == f"Child(id={uid!r}, n=3)"
    assert Child(uid, 3) == Child(uid, 3) and Child(uid) != Base(uid)
    assert hash(Child(uid, 3)) == hash((uid, 3))
    assert repr(Own(1)) == "mine" and Own(1) == Own(1) and "__slots__" not in vars(Own)
