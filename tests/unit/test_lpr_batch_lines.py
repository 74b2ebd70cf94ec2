"""The batch path's fast lines (`lpr.batch.lines_of`: `ReadsFields` dicts) are the model path's (`line_of` over
`parse_message`): the same staging line for every read, or the same refusal — on hand-picked and random input.
No database: the lines are compared as text (read ids aside, captured_at as an instant)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from gtvision.core.errors import Invalid, Malformed
from gtvision.lpr import batch, plates
from gtvision.lpr.schemas import BatchRead, BatchReadFields, ReadsFields, ReadsMessage, Vehicle, VehicleFields

NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)
CAMERA = "7d1f5a3e-0b7c-4c55-9a0e-2f6f1b0c9d11"
#: Column indexes of a staging line (`lpr.store.STAGING_COLS`): the read id and captured_at are compared apart.
READ_ID, CAPTURED_AT = 1, 8


def _model_path(idx: int, body: str) -> list[tuple[Any, str]] | str:
    try:
        reads = batch.parse_message(body)
        return [batch.line_of(idx, data, NOW, uuid.uuid4()) for data in reads]
    except (Invalid, Malformed) as exc:
        return exc.code


def _fast_path(idx: int, body: str) -> list[tuple[Any, str]] | str:
    try:
        return batch.lines_of(idx, body, NOW, {})
    except (Invalid, Malformed) as exc:
        return exc.code


def _comparable(result: list[tuple[Any, str]] | str) -> Any:
    if isinstance(result, str):
        return result
    out = []
    for key, line in result:
        assert line.endswith("\n")
        fields = line[:-1].split("\t")
        uuid.UUID(fields[READ_ID])  # a uuid as PostgreSQL reads it, whichever way it is written
        fields[READ_ID] = "id"
        fields[CAPTURED_AT] = datetime.fromisoformat(fields[CAPTURED_AT]).astimezone(UTC).isoformat()
        if fields[9] != "\\N":  # the vehicle's JSON: its words, whatever the key order and escaping
            fields[9] = json.dumps(json.loads(fields[9].replace("\\\\", "\\")), sort_keys=True)
        out.append((key, fields))
    return out


def same(body: str) -> Any:
    fast, model = _comparable(_fast_path(3, body)), _comparable(_model_path(3, body))
    assert fast == model
    return fast


def read(**fields: Any) -> dict[str, Any]:
    base = {"camera_id": CAMERA, "event_id": "ev-1", "plate": "ABC1D23", "confidence": 0.9}
    return {**base, "captured_at": (NOW - timedelta(minutes=5)).isoformat(), **fields}


def test_the_schemas_of_the_dicts_are_the_models() -> None:
    def schema(adapter: TypeAdapter[Any]) -> Any:
        doc = json.dumps(adapter.json_schema(), sort_keys=True)
        doc = doc.replace("BatchReadFields", "BatchRead").replace("VehicleFields", "Vehicle")  # names of $defs
        for noise in ("title", "description", "default"):  # names, docstrings, the models' `= None`
            doc = json.dumps(_drop(json.loads(doc), noise), sort_keys=True)
        return json.loads(doc)

    for model, fields in ((ReadsMessage, ReadsFields), (BatchRead, BatchReadFields), (Vehicle, VehicleFields)):
        assert schema(TypeAdapter(fields)) == schema(TypeAdapter(model))
        config = getattr(fields, "__pydantic_config__")  # noqa: B009 - set by `with_config`, unknown to mypy
        assert {k: config.get(k) for k in ("extra", "str_strip_whitespace")} == {
            k: model.model_config.get(k) for k in ("extra", "str_strip_whitespace")
        }


def _drop(doc: Any, key: str) -> Any:
    if isinstance(doc, dict):
        return {k: _drop(v, key) for k, v in doc.items() if k != key}
    if isinstance(doc, list):
        return [_drop(v, key) for v in doc]
    return doc


@pytest.mark.parametrize(
    "reads",
    [
        [read()],
        [read(plate=" abc-1d23 "), read(event_id=" ev-2 ", plate="R1O2A18", confidence=1)],
        [read(vehicle={"color": "White", "type": "SaloonCar", "make": "Fiat", "model": "Uno"}, direction="in")],
        [read(vehicle={"color": None, "type": None}), read(event_id="e", vehicle={}), read(event_id="f", vehicle=None)],
        [read(vehicle={"color": " Caminhão ", "extra": 1}, vendor_field={"x": 1})],
        [read(vehicle={"model": "Tab\tand\\back\nslash", "color": "Azul"}, direction="sa\u00edda")],
        [read(event_id="ev\\t", captured_at="2026-12-08T08:55:00-03:00")],
        [read(camera_id=CAMERA.upper()), read(camera_id=CAMERA.replace("-", ""), event_id="x")],
    ],
    ids=["plain", "cleaned", "vehicle", "empty-vehicles", "extras", "escapes", "offset", "camera-forms"],
)
def test_valid_messages_give_the_model_paths_lines(reads: list[dict[str, Any]]) -> None:
    lines = same(json.dumps({"reads": reads}))
    assert isinstance(lines, list) and len(lines) == len(reads)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (json.dumps({"reads": [read(plate="AB")]}), "invalid_plate"),
        (json.dumps({"reads": [read(), read(plate="ABC-1D23-XYZ")]}), "invalid_plate"),
        (json.dumps({"reads": [read(captured_at=(NOW + timedelta(minutes=3)).isoformat())]}), "captured_at_in_future"),
        (json.dumps({"reads": [read(captured_at="1970-01-01T00:00:00Z")]}), "captured_at_too_old"),
        (json.dumps({"reads": [read(event_id="a\u0000")]}), "invalid_text"),
        (json.dumps({"reads": [read(vehicle={"make": "\u0000"})]}), "invalid_text"),
        (json.dumps({"reads": [read(direction="\u0000")]}), "invalid_text"),
        (json.dumps({"reads": [read(confidence=2)]}), None),
        (json.dumps({"reads": []}), None),
        (json.dumps({"reads": [read()], "other": 1}), None),
        (json.dumps({"reads": [read(camera_id="not-a-uuid")]}), None),
        ("{", "malformed_json"),
        ("[]", "malformed_body"),
    ],
)
def test_refused_messages_are_refused_alike(body: str, code: str | None) -> None:
    refusal = same(body)
    assert isinstance(refusal, str)
    if code is not None:
        assert refusal == code


def test_other_shapes_take_the_model_path() -> None:
    assert len(same(json.dumps([read(), read(event_id="2")]))) == 2
    assert len(same(json.dumps(read()))) == 1


def test_the_keys_text_is_the_array_of_fuzzy_keys() -> None:
    for plate in ("ABC12", "ABC1D23", "ABC1234", "ABCD1234", "R1O2A18", "AB12C"):
        skeleton, keys = plates.skeleton_and_keys(plate)
        assert plates.keys_array_text(skeleton) == "{" + ",".join(keys) + "}"
        assert keys == plates.fuzzy_keys(plate)


VEHICLE_WORDS = ("color", "type", "make", "model")
words = st.one_of(st.none(), st.sampled_from(["White", " Prata ", "SaloonCar", "Caminhão", "", "x\\y", "a\tb"]))
#: Mostly valid: a read that fails refuses its whole message, so refusals dominate whatever the mix.
plates_st = st.one_of(
    st.sampled_from(["ABC1D23", "abc-1d23", " R1O2A18", "AB12", "ÁBC1234"]), st.text(min_size=5, max_size=9)
)
read_st = st.fixed_dictionaries(
    {
        "camera_id": st.sampled_from([CAMERA, CAMERA, CAMERA, CAMERA.upper(), "x"]),
        "event_id": st.one_of(st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True), st.text(max_size=6)),
        "plate": plates_st,
        "confidence": st.one_of(st.floats(0, 1), st.integers(0, 1), st.floats(-0.5, 1.5)),
        "captured_at": st.integers(-400 * 86400, 300).map(lambda s: (NOW + timedelta(seconds=s)).isoformat()),
    },
    optional={
        "vehicle": st.one_of(st.none(), st.fixed_dictionaries({}, optional=dict.fromkeys(VEHICLE_WORDS, words))),
        "direction": words,
    },
)


@settings(max_examples=500, deadline=None)
@given(reads=st.lists(read_st, max_size=3))
def test_any_message_gives_the_model_paths_lines_or_refusal(reads: list[dict[str, Any]]) -> None:
    same(json.dumps({"reads": reads}))
