"""The committed JSON Schemas: each event has one, each matches its model, and the tooling
that keeps them so reports drift and breaking changes."""

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from partia_contracts.registry import IntegrationEvent, MemberAdmitted
from partia_contracts.schemas import (
    JSON_SCHEMA_DIALECT,
    PUBLISHED_EVENTS,
    SCHEMA_ROOT,
    BreakingChangeError,
    check_schemas,
    main,
    render,
    review_schema,
    schema_for,
    schema_path,
    write_schemas,
)

WRITE_COMMAND = "python -m partia_contracts.schemas write"


def event_type(model: type[IntegrationEvent]) -> str:
    return str(model.model_fields["event_type"].default)


# --- The committed schemas -----------------------------------------------------------------


@pytest.mark.parametrize("model", PUBLISHED_EVENTS, ids=event_type)
def test_the_committed_schema_of_each_event_matches_its_model(
    model: type[IntegrationEvent],
) -> None:
    assert review_schema(model).problem is None, review_schema(model).problem


def test_the_committed_schemas_pass_the_check_with_nothing_left_over() -> None:
    problems = check_schemas()

    assert problems == [], "\n".join(problems)


def test_the_check_command_passes_on_the_committed_schemas() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "partia_contracts.schemas", "check"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def test_schema_files_are_named_by_system_event_type_and_version() -> None:
    expected = SCHEMA_ROOT / "registry" / "registry.member.admitted.v1.json"

    assert schema_path(MemberAdmitted) == expected


def test_schemas_declare_their_dialect() -> None:
    assert schema_for(MemberAdmitted)["$schema"] == JSON_SCHEMA_DIALECT


@pytest.mark.parametrize("model", PUBLISHED_EVENTS, ids=event_type)
def test_schemas_require_the_fields_consumers_route_on(model: type[IntegrationEvent]) -> None:
    required = schema_for(model)["required"]

    assert {"event_id", "event_type", "schema_version", "aggregate_id"} <= set(required)


PERSONAL_DATA_WORDS = {
    "name",
    "surname",
    "patronymic",
    "iin",
    "birth",
    "phone",
    "email",
    "address",
    "contact",
    "passport",
}


@pytest.mark.parametrize("model", PUBLISHED_EVENTS, ids=event_type)
def test_schemas_carry_no_personal_data_fields(model: type[IntegrationEvent]) -> None:
    names = property_names(schema_for(model))
    personal = {name for name in names if PERSONAL_DATA_WORDS & set(name.lower().split("_"))}

    assert personal == set()


def property_names(node: Any) -> set[str]:
    """Every property name anywhere in a schema, `$defs` included."""
    if isinstance(node, list):
        return {name for item in node for name in property_names(item)}
    if not isinstance(node, dict):
        return set()
    nested = (property_names(value) for key, value in node.items() if key != "examples")
    return set(node.get("properties", {})).union(*nested)


def test_render_pretty_prints_with_sorted_keys_and_a_trailing_newline() -> None:
    text = render({"b": 1, "a": {"d": "Қазақстан", "c": [2]}})

    assert (
        text
        == '{\n  "a": {\n    "c": [\n      2\n    ],\n    "d": "Қазақстан"\n  },\n  "b": 1\n}\n'
    )


# --- The check, on a copy of the schemas ---------------------------------------------------


@pytest.fixture
def committed(tmp_path: Path) -> Path:
    """A schema directory holding freshly written schemas."""
    write_schemas(tmp_path)
    return tmp_path


def edit_committed(root: Path, model: type[IntegrationEvent], text: str) -> None:
    schema_path(model, root).write_text(text, encoding="utf-8")


def committed_schema(root: Path, model: type[IntegrationEvent]) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_path(model, root).read_text(encoding="utf-8"))
    return loaded


def with_extra_property(root: Path, model: type[IntegrationEvent]) -> None:
    """Pretend the committed schema had a property the model no longer has."""
    schema = committed_schema(root, model)
    schema["properties"]["legacy_code"] = {"type": "string"}
    edit_committed(root, model, render(schema))


def test_freshly_written_schemas_pass_the_check(committed: Path) -> None:
    assert check_schemas(committed) == []


def test_a_missing_schema_is_reported_with_the_command_that_writes_it(committed: Path) -> None:
    schema_path(MemberAdmitted, committed).unlink()

    [problem] = check_schemas(committed)

    assert "registry.member.admitted.v1.json" in problem
    assert "no committed schema" in problem
    assert WRITE_COMMAND in problem


def test_a_documentation_change_is_reported_as_drift_not_as_breaking(committed: Path) -> None:
    schema = committed_schema(committed, MemberAdmitted)
    schema["description"] = "An older wording."
    edit_committed(committed, MemberAdmitted, render(schema))

    [problem] = check_schemas(committed)

    assert "out of date" in problem
    assert WRITE_COMMAND in problem


def test_a_schema_file_that_is_not_pretty_printed_is_reported_as_drift(committed: Path) -> None:
    edit_committed(committed, MemberAdmitted, json.dumps(schema_for(MemberAdmitted)))

    [problem] = check_schemas(committed)

    assert "out of date" in problem


def test_a_breaking_change_is_reported_and_asks_for_a_new_version(committed: Path) -> None:
    with_extra_property(committed, MemberAdmitted)

    [problem] = check_schemas(committed)

    assert "registry.member.admitted.v1.json (MemberAdmitted): breaking change" in problem
    assert "version 2" in problem
    assert "upcaster" in problem
    assert "Property $.legacy_code was removed." in problem


def test_a_committed_schema_without_a_model_is_reported(committed: Path) -> None:
    shutil.copy(
        schema_path(MemberAdmitted, committed),
        committed / "registry" / "registry.member.promoted.v1.json",
    )

    [problem] = check_schemas(committed)

    assert "registry.member.promoted.v1.json: committed schema without a model" in problem


def test_write_refuses_to_commit_a_breaking_change_and_writes_nothing(committed: Path) -> None:
    with_extra_property(committed, MemberAdmitted)
    missing = schema_path(PUBLISHED_EVENTS[0], committed)
    missing.unlink()

    with pytest.raises(BreakingChangeError, match=r"\$\.legacy_code was removed"):
        write_schemas(committed)

    assert not missing.exists()


def test_write_overwrites_a_breaking_change_only_when_allowed(committed: Path) -> None:
    with_extra_property(committed, MemberAdmitted)

    written = write_schemas(committed, allow_breaking=True)

    assert written == [schema_path(MemberAdmitted, committed)]
    assert check_schemas(committed) == []


def test_write_leaves_up_to_date_schemas_alone(committed: Path) -> None:
    assert write_schemas(committed) == []


def test_the_command_line_check_exits_non_zero_listing_the_problems(
    committed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_extra_property(committed, MemberAdmitted)

    status = main(["check", "--root", str(committed)])

    assert status == 1
    assert "$.legacy_code was removed" in capsys.readouterr().err


def test_the_command_line_write_refuses_a_breaking_change(
    committed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with_extra_property(committed, MemberAdmitted)

    status = main(["write", "--root", str(committed)])

    assert status == 1
    assert "Nothing was written." in capsys.readouterr().err


def test_the_command_line_write_creates_schemas_that_then_pass_the_check(tmp_path: Path) -> None:
    assert main(["write", "--root", str(tmp_path)]) == 0
    assert main(["check", "--root", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*/*.v1.json"))) == len(PUBLISHED_EVENTS)
