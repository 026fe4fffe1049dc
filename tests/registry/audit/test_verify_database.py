"""The live event table checked against a trusted export: rows edited, deleted, inserted or moved
directly in PostgreSQL are each caught and named; an erasure is not tampering."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from partia_kit.audit import source
from partia_kit.audit.chain import decode_event, encode_event
from partia_kit.audit.export import ExportRange, export_history
from partia_kit.audit.findings import Report
from partia_kit.audit.signing import load_public_key
from partia_kit.audit.verify_db import verify_database
from partia_registry.application import commands as c
from partia_registry.composition import Registry
from tests.registry.audit.conftest import export
from tests.registry.audit.support import (
    Story,
    audited_table,
    build_history,
    burn_position,
    rows,
    tamper,
    withdraw,
)
from tests.registry.builders import ok


def check(registry: Registry, against: Path, keys: tuple[Path, Path] | None = None) -> Report:
    url = registry.settings.database_url
    assert url is not None
    return verify_database(
        url,
        audited_table(registry),
        against,
        public_key=load_public_key(keys[1]) if keys else None,
    )


def test_an_untouched_database_matches_its_export(
    registry: Registry, exported: Path, keys: tuple[Path, Path]
) -> None:
    report = check(registry, exported, keys)

    assert report.clean, report.render()
    assert report.events == len(rows(registry))


def test_an_event_whose_state_was_updated_is_reported_changed(
    registry: Registry, exported: Path
) -> None:
    position, member, version, _, state = rows(registry)[30]
    tamper(
        registry,
        "UPDATE {} SET state = %s WHERE notification_id = %s",
        state.replace(b'"timestamp"', b'"timestamp" '),
        position,
    )

    report = check(registry, exported)

    assert report.kinds() == {"changed"}
    [finding] = report.findings
    assert finding.position == position
    assert f"event at position {position} (" in finding.message
    assert f"{member} version {version}" in finding.message


def test_a_changed_topic_is_reported_changed(registry: Registry, exported: Path) -> None:
    position = rows(registry)[12][0]
    tamper(registry, "UPDATE {} SET topic = topic || 'X' WHERE notification_id = %s", position)

    assert [(f.kind, f.position) for f in check(registry, exported).findings] == [
        ("changed", position)
    ]


def test_a_deleted_event_is_reported_removed_with_the_positions_around_it(
    registry: Registry, exported: Path
) -> None:
    stored = rows(registry)
    before, (position, member, version, _, _), after = stored[19], stored[20], stored[21]
    tamper(registry, "DELETE FROM {} WHERE notification_id = %s", position)

    report = check(registry, exported)

    assert report.kinds() == {"removed"}
    [finding] = report.findings
    assert finding.position == position
    assert f"{member} version {version}" in finding.message
    assert f"between position {before[0]} and position {after[0]}" in finding.message


def test_a_forged_event_inserted_into_a_gap_inside_the_range_is_reported_inserted(
    registry: Registry, signing_key: Ed25519PrivateKey, tmp_path: Path
) -> None:
    build_history(registry)
    gap = burn_position(registry)  # a failed insert leaves such a gap
    story = build_history(registry)
    path = tmp_path / "history.jsonl"
    export(registry, path, signing_key)
    _, member, version, topic, state = next(r for r in rows(registry) if r[0] > gap)
    tamper(
        registry,
        "INSERT INTO {} (notification_id, originator_id, originator_version, topic, state)"
        " VALUES (%s, %s, %s, %s, %s)",
        gap,
        member,
        version + 1000,
        topic,
        state,
    )

    report = check(registry, path)

    assert report.kinds() == {"inserted"}
    [finding] = report.findings
    assert finding.position == gap
    assert f"{member} version {version + 1000}" in finding.message
    assert story.members


def test_rows_whose_positions_were_swapped_are_reported_reordered(
    registry: Registry, exported: Path
) -> None:
    stored = rows(registry)
    (a, a_member, a_version, _, _), (b, b_member, b_version, _, _) = stored[25], stored[33]
    tamper(registry, "UPDATE {} SET notification_id = -1 WHERE notification_id = %s", a)
    tamper(registry, "UPDATE {} SET notification_id = %s WHERE notification_id = %s", a, b)
    tamper(registry, "UPDATE {} SET notification_id = %s WHERE notification_id = -1", b)

    report = check(registry, exported)

    assert report.kinds() == {"reordered"}
    messages = {f.position: f.message for f in report.findings}
    assert set(messages) == {a, b}
    assert f"{a_member} version {a_version}" in messages[a]
    assert f"was at position {a} (export line" in messages[a]
    assert f"now at position {b}" in messages[a]
    assert f"{b_member} version {b_version}" in messages[b]


def test_rows_whose_contents_were_swapped_are_reported_changed_with_where_the_content_came_from(
    registry: Registry, exported: Path
) -> None:
    stored = rows(registry)
    (a, _, _, a_topic, a_state), (b, _, _, b_topic, b_state) = stored[26], stored[40]
    tamper(
        registry,
        "UPDATE {} SET topic = %s, state = %s WHERE notification_id = %s",
        b_topic,
        b_state,
        a,
    )
    tamper(
        registry,
        "UPDATE {} SET topic = %s, state = %s WHERE notification_id = %s",
        a_topic,
        a_state,
        b,
    )

    report = check(registry, exported)

    assert report.kinds() == {"changed"}
    messages = {f.position: f.message for f in report.findings}
    assert f"holds the content exported at position {b}" in messages[a]
    assert f"holds the content exported at position {a}" in messages[b]


def test_events_recorded_after_the_export_are_information_not_tampering(
    registry: Registry, story: Story, exported: Path
) -> None:
    withdraw(registry, story.members["yesil3"], date(2025, 12, 1))

    report = check(registry, exported)

    assert report.clean, report.render()
    assert "1 event(s) recorded after the export" in report.render()


def test_erasing_a_former_members_data_does_not_break_verification(
    registry: Registry, story: Story, exported: Path, keys: tuple[Path, Path]
) -> None:
    former = story.members["yesil2"]  # withdrew in the story
    ok(
        registry.writer.execute(
            c.ErasePersonalData(
                actor="registrar",
                member_id=former,
                legal_basis="Law on Personal Data, Art. 18",
                request_reference="REQ-1",
            )
        )
    )
    assert registry.queries.member(former)["person"] is None

    report = check(registry, exported, keys)

    assert report.clean, report.render()
    assert "recorded after the export" in report.render()


def test_a_range_export_also_vouches_for_the_history_before_it(
    registry: Registry, story: Story, tmp_path: Path
) -> None:
    url = registry.settings.database_url
    assert url is not None
    stored = rows(registry)
    since = datetime.fromisoformat(json.loads(stored[30][4])["timestamp"]["_data_"])
    path = tmp_path / "range.jsonl"
    summary = export_history(
        url, audited_table(registry), path, wanted=ExportRange(recorded_from=since)
    )
    assert summary.starts_after_position == stored[29][0]
    assert check(registry, path).clean

    tamper(
        registry,
        "UPDATE {} SET state = state || ' '::bytea WHERE notification_id = %s",
        stored[3][0],
    )

    report = check(registry, path)
    assert report.kinds() == {"changed"}
    assert (
        f"the events up to position {stored[29][0]}, before the export's range" in report.render()
    )


def test_a_tampered_export_is_no_evidence(registry: Registry, exported: Path) -> None:
    content = exported.read_bytes().splitlines(keepends=True)
    del content[4]
    exported.write_bytes(b"".join(content))

    report = check(registry, exported)

    assert not report.clean
    assert "the export itself does not verify" in report.render()


def test_the_database_encodes_every_event_exactly_as_the_chain_does(
    registry: Registry, story: Story
) -> None:
    """verify-db hashes the encoding the server builds (`source.ENCODING_SQL`); export hashes
    the one Python builds (`chain.encode_event`). They must agree byte for byte."""
    url = registry.settings.database_url
    assert url is not None
    schema = audited_table(registry)
    tamper(registry, "UPDATE {} SET state = NULL WHERE notification_id = %s", rows(registry)[5][0])
    with source.connect(url) as conn:
        fields = [r for page in source.read_rows(conn, schema, 0, 10**9) for r in page]
        encoded = [e for page in source.read_encoded(conn, schema, 0, 10**9) for e in page]
    assert [(r[0], encode_event(*r)) for r in fields] == encoded
    assert [decode_event(e) for _, e in encoded] == fields


def test_a_state_set_to_null_is_reported_changed(registry: Registry, exported: Path) -> None:
    position = rows(registry)[9][0]
    tamper(registry, "UPDATE {} SET state = NULL WHERE notification_id = %s", position)

    assert [(f.kind, f.position) for f in check(registry, exported).findings] == [
        ("changed", position)
    ]
