"""An export is a self-verifying file: any edit to it is caught and named, and only the auditor's
key makes a valid checkpoint."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from partia_kit.audit.chain import format_event_line, next_link, parse_event_line
from partia_kit.audit.export import ExportRange, export_history
from partia_kit.audit.signing import (
    generate_keypair,
    load_private_key,
    load_public_key,
    sign_checkpoint,
)
from partia_kit.audit.verify import verify_export
from partia_registry.composition import Registry
from tests.registry.audit.conftest import export
from tests.registry.audit.support import (
    Story,
    audited_table,
    burn_position,
    lines,
    rows,
    withdraw,
)


def test_an_export_of_a_clean_history_verifies_with_the_auditors_key(
    registry: Registry, exported: Path, keys: tuple[Path, Path]
) -> None:
    report = verify_export(exported, public_key=load_public_key(keys[1]))

    assert report.clean, report.render()
    stored = rows(registry)
    assert report.events == len(stored)
    events = lines(exported)[1:-1]
    assert [parse_event_line(e)[0] for e in events] == [r[0] for r in stored]
    assert parse_event_line(events[5])[4] == stored[5][4]  # the stored bytes, exactly
    assert "signed by the trusted key" in report.render()


def test_a_checkpoint_signed_with_another_key_fails(exported: Path, tmp_path: Path) -> None:
    _, someone_elses = generate_keypair(tmp_path / "other.key")

    report = verify_export(exported, public_key=load_public_key(someone_elses))

    assert report.kinds() == {"signature"}
    assert "not signed with the trusted key" in report.render()


def test_a_re_signed_checkpoint_is_caught_by_the_trusted_key(
    exported: Path, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    """An intruder who edits the file and signs a new checkpoint with their own key."""
    forger_key, _ = generate_keypair(tmp_path / "forger.key")
    content = lines(exported)
    checkpoint = json.loads(content[-1])
    checkpoint.update(sign_checkpoint(checkpoint["signed"], load_private_key(forger_key)))
    content[-1] = json.dumps(checkpoint).encode() + b"\n"
    exported.write_bytes(b"".join(content))

    assert verify_export(exported).clean  # consistent in itself ...
    assert verify_export(exported, public_key=load_public_key(keys[1])).kinds() == {"signature"}


def test_an_unsigned_export_verifies_with_a_note_but_not_against_a_key(
    registry: Registry, story: object, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    path = tmp_path / "unsigned.jsonl"
    export(registry, path, None)

    assert verify_export(path).clean
    assert "not signed" in verify_export(path).render()
    assert verify_export(path, public_key=load_public_key(keys[1])).kinds() == {"signature"}


def _state_b64(line: bytes) -> bytes:
    return line.split(b'"state":"')[1].split(b'"')[0]


def test_a_byte_changed_in_an_events_state_is_named_by_line_and_position(exported: Path) -> None:
    content = lines(exported)
    target = content[7]
    state = base64.b64decode(_state_b64(target))
    forged = (
        state.replace(b'"ppo_meeting"', b'"ppo_bureau"')
        if b"ppo_meeting" in state
        else state[:-1] + b" "
    )
    content[7] = target.replace(_state_b64(target), base64.b64encode(forged))
    exported.write_bytes(b"".join(content))

    report = verify_export(exported)

    position = parse_event_line(target)[0]
    assert report.kinds() == {"changed"}
    [finding] = report.findings
    assert (finding.line, finding.position) == (8, position)
    assert f"event at line 8 (position {position}," in finding.message
    assert "was changed" in finding.message


def test_a_changed_base64_character_is_caught(exported: Path) -> None:
    content = lines(exported)
    b64 = _state_b64(content[3])
    flipped = (b"f" if b64[:1] != b"f" else b"g") + b64[1:]
    content[3] = content[3].replace(b64, flipped)
    exported.write_bytes(b"".join(content))

    report = verify_export(exported)

    assert report.kinds() == {"changed"}
    assert report.findings[0].line == 4


def test_a_dropped_line_is_reported_as_events_removed_between_two_positions(exported: Path) -> None:
    content = lines(exported)
    before, dropped, after = (parse_event_line(content[i])[0] for i in (9, 10, 11))
    del content[10]
    exported.write_bytes(b"".join(content))

    report = verify_export(exported)

    assert report.kinds() == {"removed"}
    messages = report.render()
    assert (
        f"events were removed between position {before} (line 10) and position {after}" in messages
    )
    assert "checkpoint counts" in messages
    assert "1 missing" in messages
    assert dropped not in {f.position for f in report.findings}


def test_two_swapped_lines_are_reported_as_reordered(exported: Path) -> None:
    content = lines(exported)
    first, second = parse_event_line(content[12])[0], parse_event_line(content[13])[0]
    content[12], content[13] = content[13], content[12]
    exported.write_bytes(b"".join(content))

    report = verify_export(exported)

    assert report.kinds() == {"reordered"}
    assert {f.position for f in report.findings} == {first, second}


def test_a_forged_line_inserted_into_the_file_is_reported_as_inserted(exported: Path) -> None:
    content = lines(exported)
    forged = json.loads(content[5])
    forged["version"] = 99  # a copy of an event under another version
    content.insert(6, json.dumps(forged, separators=(",", ":")).encode() + b"\n")
    exported.write_bytes(b"".join(content))

    report = verify_export(exported)

    assert "inserted" in report.kinds()
    assert any(f.line == 7 for f in report.findings)


def test_the_last_event_removed_with_the_checkpoint_kept_is_caught(exported: Path) -> None:
    content = lines(exported)
    del content[-2]
    exported.write_bytes(b"".join(content))

    report = verify_export(exported)

    assert report.kinds() == {"removed"}
    assert "removed after position" in report.render()


def test_a_cut_short_file_is_reported_truncated(exported: Path) -> None:
    data = exported.read_bytes()
    exported.write_bytes(data[: len(data) // 2])

    report = verify_export(exported)

    assert "truncated" in report.kinds()


def test_a_changed_header_or_checkpoint_fails(exported: Path) -> None:
    original = exported.read_bytes()
    exported.write_bytes(original.replace(b'"schema":"', b'"schema":"x', 1))
    assert "header" in verify_export(exported).kinds()

    content = original.splitlines(keepends=True)
    content[-1] = content[-1].replace(b'"count":', b'"count":1')
    exported.write_bytes(b"".join(content))
    assert "signature" in verify_export(exported).kinds()


def test_a_chain_recomputed_after_an_edit_still_fails_on_the_signed_head(exported: Path) -> None:
    """An intruder who edits an event and recomputes every link after it (but cannot sign)."""
    content = lines(exported)
    events = [parse_event_line(e) for e in content[1:-1]]
    position, oid, version, topic, state, _, _ = events[4]
    events[4] = (position, oid, version, topic, state + b" ", b"", b"")
    link = bytes.fromhex(json.loads(content[0])["chain"]["start_link"])
    rebuilt = []
    for position, oid, version, topic, state, _, _ in events:
        prev, link = link, next_link(link, position, oid, version, topic, state)
        rebuilt.append(format_event_line(position, oid, version, topic, state, prev, link))
    exported.write_bytes(content[0] + b"".join(rebuilt) + content[-1])

    report = verify_export(exported)

    assert not report.clean
    assert "recomputed" in report.render()


def test_a_range_export_continues_the_chain_of_the_export_before_it(
    registry: Registry, story: object, tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    """Exports made one after another join into one chain: the later one starts from the earlier
    one's head, and ends where an export of everything ends."""
    url = registry.settings.database_url
    assert url is not None
    schema = audited_table(registry)
    stored = rows(registry)
    middle = stored[len(stored) // 2]
    early = export_history(
        url, schema, tmp_path / "early.jsonl", wanted=ExportRange(up_to_position=middle[0])
    )
    next_recorded = datetime.fromisoformat(
        json.loads(stored[len(stored) // 2 + 1][4])["timestamp"]["_data_"]
    )
    later = export_history(
        url,
        schema,
        tmp_path / "later.jsonl",
        wanted=ExportRange(recorded_from=next_recorded),
        signing_key=signing_key,
    )
    whole = export_history(url, schema, tmp_path / "whole.jsonl")

    assert early.last_position == later.starts_after_position == middle[0]
    assert json.loads(lines(tmp_path / "later.jsonl")[0])["chain"]["start_link"] == early.head
    assert verify_export(tmp_path / "later.jsonl").clean
    assert later.head == whole.head
    assert early.count + later.count == whole.count == len(stored)


def test_a_period_with_nothing_recorded_exports_no_events(
    registry: Registry, story: object, tmp_path: Path
) -> None:
    url = registry.settings.database_url
    assert url is not None
    summary = export_history(
        url,
        audited_table(registry),
        tmp_path / "empty.jsonl",
        wanted=ExportRange(recorded_to=datetime(2000, 1, 1, tzinfo=UTC)),
    )
    assert summary.count == 0
    assert verify_export(tmp_path / "empty.jsonl").clean


def test_burned_positions_are_gaps_the_export_keeps(
    registry: Registry, story: Story, tmp_path: Path
) -> None:
    burned = burn_position(registry)
    withdraw(registry, story.members["yesil3"], date(2025, 10, 1))
    path = tmp_path / "gap.jsonl"
    export(registry, path, None)

    positions = [parse_event_line(e)[0] for e in lines(path)[1:-1]]
    assert burned not in positions
    assert positions[-1] > burned
    assert verify_export(path).clean


def test_the_parallel_check_agrees_with_the_sequential_one(exported: Path) -> None:
    """Large files are checked by worker processes; forced here on a small one."""
    assert verify_export(exported, jobs=2, min_parallel_bytes=0).clean

    content = lines(exported)
    content[9], content[10] = content[10], content[9]
    del content[20]
    exported.write_bytes(b"".join(content))

    parallel = verify_export(exported, jobs=2, min_parallel_bytes=0)
    sequential = verify_export(exported, jobs=1)
    assert parallel.findings == sequential.findings
    assert parallel.kinds() == {"reordered", "removed"}
