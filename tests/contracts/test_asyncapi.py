"""The committed AsyncAPI 3.0 document of the registry's topics: generated from the contracts,
valid AsyncAPI 3.0, and true to what the relay publishes."""

from __future__ import annotations

import json
import subprocess
import sys
import warnings
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import jsonschema_rs
import pytest
import yaml

from partia_contracts.asyncapi import (
    ASYNCAPI_ROOT,
    WRITE_COMMAND,
    check_documents,
    cloudevent_type,
    document,
    document_path,
    render,
    write_documents,
)
from partia_contracts.registry import MemberAdmitted
from partia_contracts.registry.v1 import REGISTRY_EVENTS
from partia_contracts.topics import REGISTRY
from partia_kit.messages import integration_message
from partia_registry.relay import SOURCE, TOPICS

with warnings.catch_warnings():  # its models shadow pydantic's `schema` attribute
    warnings.simplefilter("ignore", UserWarning)
    from asyncapi3.models.asyncapi import AsyncAPI3

COMMITTED = document_path(REGISTRY)


def committed() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMMITTED.read_text(encoding="utf-8"))
    return loaded


def test_the_committed_document_is_the_one_the_contracts_generate() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == render(document(REGISTRY)), (
        f"contracts/asyncapi/registry.yaml is stale: run `{WRITE_COMMAND}` (make schemas)"
    )


def test_the_check_command_passes_on_the_committed_document() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "partia_contracts.asyncapi", "check"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def test_a_stale_or_missing_document_is_reported_with_the_command_that_writes_it(
    tmp_path: Path,
) -> None:
    assert write_documents(tmp_path) == [
        tmp_path / "registry.yaml",
        tmp_path / "finance.yaml",
        tmp_path / "notifications.yaml",
    ]
    assert check_documents(tmp_path) == []
    (tmp_path / "registry.yaml").write_text("asyncapi: 3.0.0\n", encoding="utf-8")
    [stale] = check_documents(tmp_path)
    (tmp_path / "registry.yaml").unlink()
    [missing] = check_documents(tmp_path)

    assert "out of date" in stale
    assert WRITE_COMMAND in stale
    assert "no committed AsyncAPI document" in missing


def test_the_document_is_valid_asyncapi_3() -> None:
    parsed = AsyncAPI3.model_validate(committed())

    assert parsed.asyncapi == "3.0.0"


def test_the_validator_refuses_what_asyncapi_3_forbids() -> None:
    """So that the test above means something: an AsyncAPI 2 verb is refused."""
    broken = committed()
    broken["operations"]["publish-members"]["action"] = "publish"

    with pytest.raises(ValueError, match="'send' or 'receive'"):
        AsyncAPI3.model_validate(broken)


def test_every_reference_resolves_inside_the_document_or_to_a_committed_schema() -> None:
    doc = committed()
    for ref in references(doc):
        if ref.startswith("#/"):
            node: Any = doc
            for part in ref[2:].split("/"):
                node = node[part]
        else:
            schema = json.loads((ASYNCAPI_ROOT / ref).read_text(encoding="utf-8"))
            assert schema["$schema"].startswith("https://json-schema.org/draft/2020-12")


def references(node: Any) -> list[str]:
    if isinstance(node, list):
        return [ref for item in node for ref in references(item)]
    if not isinstance(node, dict):
        return []
    own = [node["$ref"]] if "$ref" in node else []
    return own + [ref for value in node.values() for ref in references(value)]


def test_the_channels_are_the_topics_the_registry_relay_publishes_to() -> None:
    channels = committed()["channels"].values()

    assert {c["address"]: c["bindings"]["kafka"]["partitions"] for c in channels} == TOPICS


def test_every_published_event_has_one_message_on_the_topic_the_relay_routes_it_to() -> None:
    doc = committed()
    where = {
        name: channel["address"]
        for channel in doc["channels"].values()
        for name in channel["messages"]
    }

    assert sorted(where) == sorted(m.__name__ for m in REGISTRY_EVENTS)
    for model in REGISTRY_EVENTS:
        # the relay's rule (partia_registry.relay.registry_messages)
        member = str(model.model_fields["event_type"].default).startswith("registry.member.")
        expected = "partia.registry.members.v1" if member else "partia.registry.organisations.v1"
        assert where[model.__name__] == expected
        message = doc["components"]["messages"][model.__name__]
        assert message["name"] == cloudevent_type(model)
        assert message["payload"]["schema"]["$ref"].endswith(
            f"{model.model_fields['event_type'].default}.v1.json"
        )


def test_the_headers_the_relay_writes_are_exactly_those_the_document_describes() -> None:
    headers_schema = committed()["components"]["schemas"]["CloudEventsHeaders"]
    member = str(uuid4())
    built = integration_message(
        topic="partia.registry.members.v1",
        key=member,
        event_id=str(uuid4()),
        source=SOURCE,
        event_type=cloudevent_type(MemberAdmitted),
        time=datetime(2026, 3, 10, 9, tzinfo=UTC),
        subject=member,
        body=b"{}",
        position=42,
        business_date=date(2026, 3, 10),
    )
    headers = {name: value.decode() for name, value in built.headers}

    assert set(headers) == set(headers_schema["properties"])
    jsonschema_rs.validate(headers_schema, headers)
    assert headers["ce_type"] == "partia.registry.member.admitted.v1"
