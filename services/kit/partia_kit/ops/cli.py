"""The `partia-ops` command line (Typer + Rich). Every command says plainly what is wrong
(exit status 1) rather than printing a traceback.

Options read the same environment as the services: `PARTIA_KAFKA_BOOTSTRAP`,
`PARTIA_DATABASE_URL`, `PARTIA_DATABASE_SCHEMA`.
"""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from kafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from partia_kit.messages import IncomingEvent, UnreadableMessage
from partia_kit.ops import kafka
from partia_kit.ops.kafka import DEFAULT_REPLAY_GROUP, OpsError, Raw
from partia_kit.ops.relays import republish
from partia_kit.signals import on_stop_signals

DEFAULT_BOOTSTRAP = "127.0.0.1:9092"
ENVELOPE = {
    "event_id",
    "event_type",
    "schema_version",
    "aggregate_id",
    "aggregate_version",
    "position",
    "recorded_at",
    "recorded_by",
    "effective_on",
}
"""Contract fields the line already shows (or that say nothing to a reader): left out of the
payload summary."""
SUMMARY_WIDTH = 160

app = typer.Typer(
    name="partia-ops",
    help="Follow Partia's Kafka topics: topics and lag, tail, republish, dead letters.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
dlq_app = typer.Typer(help="Dead letters: messages a consumer could not process.")
app.add_typer(dlq_app, name="dlq")

Bootstrap = Annotated[
    str,
    typer.Option(
        "--bootstrap", envvar="PARTIA_KAFKA_BOOTSTRAP", help="Kafka bootstrap servers (host:port)"
    ),
]


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _fail(message: str) -> typer.Exit:
    Console(stderr=True, highlight=False).print(f"[bold red]partia-ops:[/] {message}")
    return typer.Exit(1)


# --- topics --------------------------------------------------------------------------------


@app.command()
def topics(bootstrap: Bootstrap = DEFAULT_BOOTSTRAP) -> None:
    """Every topic with its partitions and end offsets; consumer groups and their lag."""
    try:
        seen = kafka.overview(bootstrap)
    except (OpsError, KafkaError) as error:
        raise _fail(str(error)) from error
    console = _console()
    table = Table(title=f"Topics on {bootstrap}")
    for column in ("topic", "part", "start", "end"):
        table.add_column(column, justify="left" if column == "topic" else "right", no_wrap=True)
    for p in seen.partitions:
        table.add_row(p.topic, str(p.partition), str(p.start), str(p.end))
    console.print(table)
    lags = Table(title="Consumer groups (lag = end offset - committed offset)")
    for column in ("group", "topic", "part", "committed", "end", "lag"):
        named = column in ("group", "topic")  # never cut: people copy them into commands
        lags.add_column(column, justify="left" if named else "right", no_wrap=named)
    for g in seen.lags:
        lags.add_row(g.group, g.topic, str(g.partition), str(g.committed), str(g.end), str(g.lag))
    console.print(lags)
    quiet = sorted(set(seen.groups) - {g.group for g in seen.lags})
    if quiet:
        console.print(f"Groups with no committed offset yet: {', '.join(quiet)}")
    for problem in seen.problems:
        console.print(f"[yellow]Not shown:[/] {problem}")


# --- tail ----------------------------------------------------------------------------------


@app.command()
def tail(
    topic: Annotated[str, typer.Argument(help="e.g. partia.registry.members.v1")],
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="start at the oldest message, not the end")
    ] = False,
    member: Annotated[
        str | None, typer.Option("--member", help="only events whose key or subject is this id")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow/--no-follow", help="keep waiting for new events")
    ] = True,
) -> None:
    """One line per event: time, type, subject, business date, log position, where, payload."""

    def ready() -> None:
        if follow:
            where = "the beginning" if from_beginning else "now"
            Console(stderr=True).print(f"Following {topic} from {where} (Ctrl-C to stop)")

    # Ctrl-C sets `stop`, seen between two polls: a KeyboardInterrupt raised inside the Kafka
    # client could leave it holding a lock its close then waits on (a test's tail did not stop)
    stop = threading.Event()
    replaced = on_stop_signals(stop.set) if follow else {}
    try:
        events = kafka.read(
            bootstrap,
            topic,
            from_beginning=from_beginning,
            follow=follow,
            on_ready=ready,
            stop=stop,
        )
        for raw in events:
            if member is None or kafka.matches_member(raw, member):
                typer.echo(event_line(raw))
    except (OpsError, KafkaError) as error:
        raise _fail(str(error)) from error
    finally:
        for sig, handler in replaced.items():
            signal.signal(sig, handler)


def event_line(raw: Raw) -> str:
    """`2026-03-01T09:00:00Z  partia.registry.member.admitted.v1  subject=…  date=…  pos=…  p0@5
    organisation_id=… card_number=…`."""
    where = f"p{raw.partition}@{raw.offset}"
    event = raw.event()
    if isinstance(event, UnreadableMessage):
        stamp = datetime.fromtimestamp(raw.timestamp_ms / 1000, UTC).isoformat()
        return f"{stamp}  UNREADABLE  key={_text(raw.key)}  {where}  {event}"
    attributes = event.attributes
    return "  ".join(
        [
            _stamp(attributes.get("time")),
            event.type,
            f"subject={event.subject or _text(raw.key)}",
            f"date={attributes.get('businessdate', '-')}",
            f"pos={attributes.get('logposition', '-')}",
            where,
            summary(event),
        ]
    )


def summary(event: IncomingEvent) -> str:
    """The payload's own fields as `name=value`, nested objects by their first scalar fields;
    the envelope and fields repeating the subject (`member_id`) are left out."""
    if not isinstance(event.data, dict):
        return _clip(json.dumps(event.data, ensure_ascii=False))
    parts = [
        f"{k}={_brief(v)}"
        for k, v in event.data.items()
        if k not in ENVELOPE and v != event.subject
    ]
    return _clip(" ".join(parts))


def _brief(value: Any) -> str:
    if isinstance(value, dict):
        inner = [f"{k}={v}" for k, v in value.items() if not isinstance(v, dict | list)][:2]
        return "{" + ",".join(inner) + (",…}" if len(value) > len(inner) else "}")
    if isinstance(value, list):
        return f"[{len(value)}]"
    return str(value)


def _stamp(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value)


def _text(value: bytes | None) -> str:
    return "-" if value is None else value.decode(errors="replace")


def _clip(text: str) -> str:
    return text if len(text) <= SUMMARY_WIDTH else text[: SUMMARY_WIDTH - 1] + "…"


# --- republish -----------------------------------------------------------------------------


@app.command("republish")
def republish_command(
    service: Annotated[str, typer.Option("--service", help="whose relay, e.g. registry")],
    position: Annotated[
        int, typer.Option("--from", help="publish again every event after this position (0 = all)")
    ],
    database_url: Annotated[
        str, typer.Option("--database-url", envvar="PARTIA_DATABASE_URL", help="the service's")
    ],
    schema: Annotated[
        str, typer.Option("--schema", envvar="PARTIA_DATABASE_SCHEMA", help="its schema")
    ] = "public",
) -> None:
    """Ask the service's relay (running or not) to publish again from a log position."""
    try:
        done = republish(database_url, schema, service, position)
    except OpsError as error:
        raise _fail(str(error)) from error
    _console().print(
        f"The {done.service} relay was at position {done.was_at}; it publishes again every event"
        f" after position {done.now_at} (a running relay picks this up before its next batch)."
    )


# --- dead letters --------------------------------------------------------------------------


@dlq_app.command("list")
def dlq_list(
    topic: Annotated[
        str | None, typer.Argument(help="a topic or its .dlq topic; all dead-letter topics if none")
    ] = None,
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
) -> None:
    """Every dead letter: where it came from, which consumer gave up on it, and why."""
    count = 0
    try:
        for name in kafka.dlq_topics(bootstrap, topic):
            for raw in kafka.read(bootstrap, name, from_beginning=True, follow=False):
                typer.echo(dead_letter_line(raw))
                count += 1
    except (OpsError, KafkaError) as error:
        raise _fail(str(error)) from error
    if count == 0:
        typer.echo("No dead letters.", err=True)


def dead_letter_line(raw: Raw) -> str:
    came_from = (
        f"{raw.header('dlq_topic')}/p{raw.header('dlq_partition')}@{raw.header('dlq_offset')}"
    )
    return "  ".join(
        [
            f"{raw.topic}/p{raw.partition}@{raw.offset}",
            f"from={came_from}",
            f"consumer={raw.header('dlq_consumer')}",
            f"reason={raw.header('dlq_reason')}",
            f"id={raw.header('ce_id') or '-'}",
            f"type={raw.header('ce_type') or '-'}",
            f"key={_text(raw.key)}",
            f"error={raw.header('dlq_error')}",
        ]
    )


@dlq_app.command("replay")
def dlq_replay(
    topic: Annotated[
        str, typer.Argument(help="the dead-letter topic, e.g. partia.registry.members.v1.dlq")
    ],
    bootstrap: Bootstrap = DEFAULT_BOOTSTRAP,
    group: Annotated[
        str,
        typer.Option(
            "--group", help="where this replay remembers how far it got (one per purpose)"
        ),
    ] = DEFAULT_REPLAY_GROUP,
) -> None:
    """Put the dead letters not replayed yet back on their original topic, unchanged (decision
    102): consumers that applied them skip them by event id, the one that gave up tries again."""
    count = 0
    try:
        for done in kafka.replay(bootstrap, topic, group):
            count += 1
            typer.echo(
                f"replayed {done.dead_letter.topic}@{done.dead_letter.offset}"
                f" id={done.dead_letter.header('ce_id')} → {done.to_topic}/p{done.to_partition}"
                f"@{done.to_offset}"
            )
    except (OpsError, KafkaError) as error:
        raise _fail(str(error)) from error
    typer.echo(f"{count} dead letters replayed from {topic} (group {group}).")


def main() -> None:
    app()
