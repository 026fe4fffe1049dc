"""The hash chain over the event log, and how an export file writes and reads one event per line.

Each event's link is SHA-256(previous link || canonical encoding of the event), the first one
starting from 32 zero bytes (or, for an export of a later range, from the link of the event just
before the range). Any change to an event's position, identity, version, topic or stored bytes,
any event removed, inserted or moved, changes every link from there on, so one signed link at the
end (the checkpoint) vouches for the whole sequence.

The canonical encoding is fixed-width where it can be and length-prefixed where it cannot, so two
different events can never encode to the same bytes:

    be64(position) || originator_id (16 bytes) || be64(version)
    || be32(len(topic)) || topic (UTF-8) || be64(len(state)) || state

An event line also carries the link of the line before it ("prev"). The chain itself does not need
it (a verifier recomputes it), but with it every line can be checked on its own, which is what lets
`verify` say *which* line was changed, removed, inserted or moved instead of only "the head differs".

Verification is meant to run at 100,000+ events/s in plain Python, so reading a line avoids
`json.loads` when the line has exactly the layout this module writes (split on quotes, a handful of
slices) and falls back to the JSON parser for anything else.
"""

from __future__ import annotations

import hashlib
import json
import struct
from binascii import a2b_base64, b2a_base64, hexlify, unhexlify
from typing import Any
from uuid import UUID

FORMAT = 1
GENESIS = bytes(32)
"""The link before the first event of the history."""

FIXED_FIELDS = struct.Struct(">q16sqI")
LENGTH_FIELD = struct.Struct(">Q")
VERSION_FIELD = struct.Struct(">q")
TOPIC_AT = FIXED_FIELDS.size  # where the topic starts in the encoding
_sha256 = hashlib.sha256

EventTuple = tuple[int, bytes, int, bytes, bytes, bytes, bytes]
"""One event as read from a line: position, originator_id (16 bytes), version, topic (UTF-8),
state, prev (hex, as written), link (hex, as written). A plain tuple: verification makes one per
event and a class instance costs measurably more."""


class BadLine(ValueError):
    """A line that is not a readable event line."""


def encode_event(
    position: int, originator_id: bytes, version: int, topic: bytes, state: bytes
) -> bytes:
    """The canonical bytes a link commits to (see the module docstring)."""
    return (
        FIXED_FIELDS.pack(position, originator_id, version, len(topic))
        + topic
        + LENGTH_FIELD.pack(len(state))
        + state
    )


def decode_event(encoded: bytes) -> tuple[int, bytes, int, bytes, bytes]:
    """The fields back from an encoding: position, originator_id, version, topic, state."""
    position, originator_id, version, topic_length = FIXED_FIELDS.unpack_from(encoded)
    state_at = TOPIC_AT + topic_length + LENGTH_FIELD.size
    return position, originator_id, version, encoded[TOPIC_AT : state_at - 8], encoded[state_at:]


def event_key(originator_id: bytes, version: int) -> bytes:
    """Which event (not where, not what): originator and version, as bytes 8 to 32 of its
    encoding, so that a key read from a file compares with a slice of an encoding."""
    return originator_id + VERSION_FIELD.pack(version)


def next_link(
    prev: bytes, position: int, originator_id: bytes, version: int, topic: bytes, state: bytes
) -> bytes:
    """The link of an event that follows the link `prev` (both 32 raw bytes)."""
    return _sha256(
        prev
        + FIXED_FIELDS.pack(position, originator_id, version, len(topic))
        + topic
        + LENGTH_FIELD.pack(len(state))
        + state
    ).digest()


def line_link_matches(event: EventTuple) -> bool:
    """Whether a line's own link is the hash of its own prev and content (no other line needed)."""
    position, originator_id, version, topic, state, prev, link = event
    try:
        prev_raw = unhexlify(prev)
    except ValueError:
        return False
    return hexlify(next_link(prev_raw, position, originator_id, version, topic, state)) == link


_topic_json: dict[bytes, bytes] = {}


def format_event_line(
    position: int,
    originator_id: bytes,
    version: int,
    topic: bytes,
    state: bytes,
    prev: bytes,
    link: bytes,
) -> bytes:
    """One event as a JSON line, always with the same key order and no spaces (so that the fast
    reader below recognises it); prev and link are raw 32-byte digests."""
    quoted = _topic_json.get(topic)
    if quoted is None:
        quoted = _topic_json[topic] = json.dumps(topic.decode("utf-8"), ensure_ascii=False).encode()
    h = originator_id.hex()
    return (
        b'{"position":%d,"originator_id":"%s-%s-%s-%s-%s","version":%d,"topic":%s,'
        b'"state":"%s","prev":"%s","link":"%s"}\n'
        % (
            position,
            h[:8].encode(),
            h[8:12].encode(),
            h[12:16].encode(),
            h[16:20].encode(),
            h[20:].encode(),
            version,
            quoted,
            b2a_base64(state, newline=False),
            hexlify(prev),
            hexlify(link),
        )
    )


def parse_event_line(raw: bytes) -> EventTuple:
    """Read one event line; raises BadLine when it is not one."""
    t = raw.split(b'"')
    if (
        len(t) == 25
        and t[1] == b"position"
        and t[3] == b"originator_id"
        and t[7] == b"version"
        and t[9] == b"topic"
        and t[13] == b"state"
        and t[17] == b"prev"
        and t[21] == b"link"
        and b"\\" not in t[11]
    ):
        try:
            originator_id = unhexlify(t[5].replace(b"-", b""))
            state = a2b_base64(t[15], strict_mode=True)
            position = int(t[2][1:-1])
            version = int(t[8][1:-1])
        except ValueError as e:
            raise BadLine(str(e)) from None
        if len(originator_id) != 16:
            raise BadLine("originator_id is not a UUID")
        return position, originator_id, version, t[11], state, t[19], t[23]
    return _parse_slowly(raw)


def _parse_slowly(raw: bytes) -> EventTuple:
    """The same line read by the JSON parser: for lines reformatted by some other tool."""
    try:
        d = json.loads(raw)
    except ValueError as e:
        raise BadLine(f"not JSON ({e})") from None
    if not isinstance(d, dict):
        raise BadLine("not a JSON object")
    try:
        position, version = d["position"], d["version"]
        if not (isinstance(position, int) and isinstance(version, int)):
            raise BadLine("position and version must be integers")
        return (
            position,
            UUID(d["originator_id"]).bytes,
            version,
            str(d["topic"]).encode("utf-8"),
            a2b_base64(d["state"].encode("ascii"), strict_mode=True),
            d["prev"].encode("ascii"),
            d["link"].encode("ascii"),
        )
    except (KeyError, ValueError, AttributeError, TypeError) as e:
        raise BadLine(f"missing or invalid field ({e})") from None


def canonical_json(obj: Any) -> bytes:
    """The one byte form of a JSON value that a signature covers."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def describe_key(key: bytes, topic: bytes | str) -> str:
    return describe(key[:16], VERSION_FIELD.unpack(key[16:])[0], topic)


def describe(originator_id: bytes, version: int, topic: bytes | str) -> str:
    """How a report names an event: 'member <uuid> version 3 (Member.Admitted)'."""
    text = topic.decode("utf-8", "replace") if isinstance(topic, bytes) else topic
    name = text.rpartition(":")[2] or text
    if ".members:" in text:
        whose = "member"
    elif ".organisations:" in text:
        whose = "organisation"
    else:
        whose = "record"
    return f"{whose} {UUID(bytes=originator_id)} version {version} ({name})"


def content_digest(topic: bytes, state: bytes) -> bytes:
    """A short fingerprint of an event's content, to recognise the same content at two positions."""
    return _sha256(LENGTH_FIELD.pack(len(topic)) + topic + state).digest()[:16]
