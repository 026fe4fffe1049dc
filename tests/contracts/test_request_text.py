"""Every free-text field of every API request refuses what PostgreSQL cannot store (issue 8)."""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from partia_contracts.registry import api, v1
from partia_contracts.text import STORABLE_PATTERN, StorableText, storable, unstorable


def request_models() -> list[type[BaseModel]]:
    return [
        model
        for name in dir(api)
        if isinstance(model := getattr(api, name), type)
        and issubclass(model, api._Request)
        and model is not api._Request
    ]


def holds_text(annotation: Any) -> bool:
    if annotation is str:
        return True
    return any(holds_text(arg) for arg in typing.get_args(annotation))


def nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for arg in typing.get_args(annotation):
        yield from nested_models(arg)


def text_fields() -> Iterator[tuple[type[BaseModel], str, dict[str, Any]]]:
    """(model, field, its JSON schema) for every str field reachable from a request model, except
    in the integration-event shapes requests reuse (see the test below)."""
    seen: set[type[BaseModel]] = set()
    todo = request_models()
    while todo:
        model = todo.pop()
        if model in seen or model.__module__ == v1.__name__:
            continue
        seen.add(model)
        properties = model.model_json_schema()["properties"]
        for name, field in model.model_fields.items():
            todo.extend(nested_models(field.annotation))
            if holds_text(field.annotation):
                schema = properties[field.alias or name]
                yield (
                    model,
                    name,
                    next(
                        (s for s in schema.get("anyOf", [schema]) if s.get("type") == "string"),
                        schema,
                    ),
                )


def test_there_are_request_models_with_text_to_check() -> None:
    fields = {(model.__name__, name) for model, name, _ in text_fields()}
    assert {("Person", "surname"), ("DisciplinaryCaseRequest", "reference")} <= fields
    assert len(fields) >= 15


def test_every_text_field_of_a_request_states_a_pattern_that_refuses_nul() -> None:
    """A new `str` field without `StorableText` (or a stricter pattern) fails here."""
    for model, name, schema in text_fields():
        pattern = schema.get("pattern")
        assert pattern, f"{model.__name__}.{name} takes any text: use StorableText"
        refuses_nul(pattern)


def refuses_nul(pattern: str) -> None:
    @settings(max_examples=200, deadline=None)
    @given(st.from_regex(pattern, fullmatch=True))
    def accepted_text_is_storable(text: str) -> None:
        assert "\x00" not in text, pattern

    accepted_text_is_storable()


def test_the_shapes_shared_with_integration_events_are_the_only_text_left_to_the_boundary() -> None:
    """Decision, DecidingBody, ApplicationDocument and OrganisationNames are event contracts: their
    schemas are frozen (adding a pattern narrows them) and stored events may already hold such
    text, so the HTTP boundary checks them instead (tests/registry/api/test_request_text.py)."""
    shared = {
        model.__name__
        for request in request_models()
        for field in request.model_fields.values()
        for model in nested_models(field.annotation)
        if model.__module__ == v1.__name__
    }
    assert shared <= {"Decision", "DecidingBody", "ApplicationDocument", "OrganisationNames"}


def test_storable_text_refuses_nul_and_unpaired_surrogates_and_keeps_every_other_character() -> (
    None
):
    class Model(BaseModel):
        text: StorableText

    assert Model(text="Әлібеков 😀 ъ").text == "Әлібеков 😀 ъ"
    for bad in ("Ref\x00X", "\ud800", "a\udfffb"):
        assert not storable(bad)
        try:
            Model(text=bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} was accepted")
    assert re.fullmatch(STORABLE_PATTERN, "Ahmet\x00ova") is None


def test_unstorable_names_the_path_of_the_first_bad_text_in_parsed_json() -> None:
    body = {"names": {"kk": "ok", "en": "Yesil\x00"}, "list": ["a", "\ud800"]}
    assert unstorable(body) == "names.en"
    assert unstorable({"list": ["a", "\ud800"]}) == "list.1"
    assert unstorable({"bad\x00key": 1}) == "bad\x00key"
    assert unstorable({"fine": ["Ұлықбеков", 1, None, True]}) is None
