"""The registry's store on PostgreSQL: units of work over the event store and its indexes."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import threading
from collections import OrderedDict, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import project_aggregate
from eventsourcing.persistence import (
    StoredEvent,
)
from psycopg.sql import SQL

from partia_kit.idempotency import IdempotencyKey, StoredOutcome
from partia_kit.postgres.idempotency import stored_outcomes, stored_outcomes_query
from partia_kit.postgres.statements import Statement, table
from partia_kit.postgres.unit_of_work import EventUnitOfWork
from partia_registry.adapters.postgres.event_store import RegistryEventStore
from partia_registry.adapters.postgres.indexes import (
    CARD_SERIAL,
    IDEMPOTENCY,
    MEMBER_INDEX,
    ORGANISATION_INDEX,
    IndexWriter,
    iin_digest,
)
from partia_registry.adapters.postgres.sealing import seal_clear_names
from partia_registry.domain.members import Member
from partia_registry.domain.organisations import Organisation

A = TypeVar("A", Member, Organisation)

CARD_SERIAL_BLOCK = 100


IIN_DIGEST_LABEL = b"partia/iin-digest/v1"
FINGERPRINT_LABEL = b"partia/request-fingerprint/v1"


def derive_pepper(master_key: bytes) -> bytes:
    """The key for IIN digests as an installation's first master key derives it (the store keeps
    it, wrapped, so that it outlives a rotation of the master key: decision 161)."""
    return hmac.new(master_key, IIN_DIGEST_LABEL, hashlib.sha256).digest()


class AggregateCache:
    """Committed aggregates, kept by the writer between batches. A unit of work takes an aggregate
    out while it works on it and puts it back only after a successful commit, so a failed or refused
    batch can never leave a half-changed aggregate behind."""

    def __init__(self, maxsize: int) -> None:
        self._items: OrderedDict[UUID, Member | Organisation] = OrderedDict()
        self._maxsize = maxsize
        self._lock = threading.Lock()

    def take(self, aggregate_id: UUID) -> Member | Organisation | None:
        with self._lock:
            return self._items.pop(aggregate_id, None)

    def put_back(self, aggregates: Sequence[Member | Organisation]) -> None:
        with self._lock:
            for aggregate in aggregates:
                self._items[aggregate.id] = aggregate
            while len(self._items) > self._maxsize:
                self._items.popitem(last=False)

    def __contains__(self, aggregate_id: UUID) -> bool:
        return aggregate_id in self._items

    def forget_older_than(self, aggregate_id: UUID, version: int) -> None:
        with self._lock:
            cached = self._items.get(aggregate_id)
            if cached is not None and cached.version < version:
                del self._items[aggregate_id]


class PostgresStore:
    def __init__(self, events: RegistryEventStore, cache_size: int = 100_000):
        self.events = events
        self.schema = events.schema
        # Not the master key itself: these key stored rows, and the master key may be rotated.
        self._pepper = events.vault.derived_secret(IIN_DIGEST_LABEL)
        self._fingerprint_key = events.vault.derived_secret(FINGERPRINT_LABEL)
        self.index = IndexWriter(self.schema, self.digest, events.vault.seal_name)
        self.cache = AggregateCache(cache_size)
        self._serials: deque[int] = deque()
        self.events_table: str = events.recorder.events_table_name  # type: ignore[attr-defined]
        self._log = table(self.schema, self.events_table)
        self._seen_position = events.recorder.max_notification_id() or 0

    def create_tables(self) -> None:
        """What the migrations (`partia_registry.migrations`, which made the tables) cannot do:
        seal the names an older version left in the clear (it needs the master key)."""
        seal_clear_names(self.events.datastore, self.schema, self.events.vault)

    def digest(self, iin: str) -> bytes:
        return iin_digest(self._pepper, iin)

    def request_fingerprint(self, request: bytes) -> str:
        """What an idempotency record remembers of its request (HMAC-SHA256, hex)."""
        return hmac.new(self._fingerprint_key, request, hashlib.sha256).hexdigest()

    def unit_of_work(self) -> PostgresUnitOfWork:
        return PostgresUnitOfWork(self)

    def prefetch(self, record_ids: Iterable[UUID]) -> None:
        """Load the records not in the cache with one query for their events and one for their
        personal-data keys, instead of two queries each."""
        missing = [r for r in record_ids if r not in self.cache]
        if not missing:
            return
        rows = self.query(
            SQL(
                "SELECT originator_id, originator_version, topic, state FROM {}"
                " WHERE originator_id = ANY(%s::uuid[]) ORDER BY originator_id, originator_version"
            ).format(self._log),
            (missing,),
        )
        self.events.vault.prefetch(missing)
        mapper = self.events.mapper
        loaded: list[Member | Organisation] = []
        for _, group in itertools.groupby(rows, key=lambda row: row["originator_id"]):
            domain_events = [
                mapper.to_domain_event(
                    StoredEvent(
                        r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"])
                    )
                )
                for r in group
            ]
            aggregate: Any = project_aggregate(None, domain_events)
            if isinstance(aggregate, Member | Organisation):
                loaded.append(aggregate)
        self.cache.put_back(loaded)

    def catch_up(self) -> bool:
        """Other processes may write too (more workers, more instances): read which records the
        log says changed since the last look, and drop cached copies that are older. Commit order
        is log order (the table lock), so no change can be passed over. True when the log held
        rows this store had not accounted for (another writer's, or its own after a gap).

        This is not needed before a batch: a commit checks, under the table lock, that no record
        its commands read has a newer version than the one they read (`PostgresUnitOfWork`), so
        a decision on a stale copy fails as a conflict and is decided again. A refusal commits
        nothing: the batch runner catches up after a batch with refusals and decides those again
        when anything changed."""
        found = False
        rows = self.query(
            SQL(
                "SELECT originator_id, max(originator_version) AS version,"
                " max(notification_id) AS position FROM {} WHERE notification_id > %s"
                " GROUP BY originator_id"
            ).format(self._log),
            (self._seen_position,),
            prepare=False,  # a generic plan for "position > $1" scans the whole log
        )
        for row in rows:
            found = True
            self.cache.forget_older_than(row["originator_id"], row["version"])
            self._seen_position = max(self._seen_position, row["position"])
        return found

    def committed(self, positions: Sequence[int]) -> None:
        """This store's own commit took these positions: when they follow the last position seen
        with no gap, no other writer committed in between and the next look can start after them.
        Otherwise (another writer, or a gap a failed insert left) look now, so that the next
        look stays short and says "changed" only when something did."""
        if not positions:
            return
        if positions[0] == self._seen_position + 1 and positions[-1] - positions[0] + 1 == len(
            positions
        ):
            self._seen_position = positions[-1]
        else:
            self.catch_up()

    def query(
        self, sql: Any, params: Sequence[Any] | Mapping[str, Any] = (), *, prepare: bool = True
    ) -> list[dict[str, Any]]:
        with self.events.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql, params, prepare=prepare)
            return list(curs.fetchall())

    def stored_outcomes(
        self, keys: Sequence[IdempotencyKey]
    ) -> dict[tuple[str, str], StoredOutcome]:
        return stored_outcomes(self.query(*stored_outcomes_query(self.schema, IDEMPOTENCY, keys)))

    def next_card_serial(self) -> int:
        """Serials come from a PostgreSQL sequence in blocks: never reused, possibly with gaps."""
        if not self._serials:
            rows = self.query(
                SQL("SELECT nextval(%s) AS serial FROM generate_series(1, %s)"),
                (f"{self.schema}.{CARD_SERIAL}", CARD_SERIAL_BLOCK),
            )
            self._serials.extend(r["serial"] for r in rows)
        return self._serials.popleft()

    def count(self, sql: Any, params: Sequence[Any]) -> int:
        return int(self.query(sql, params)[0]["count"])


class PostgresUnitOfWork(EventUnitOfWork):
    """The registry's records over the kit's unit of work (`partia_kit.postgres.unit_of_work`):
    members and organisations from the store's cache, their index rows stored alongside, the
    keys of erased people destroyed in the same transaction."""

    def __init__(self, store: PostgresStore) -> None:
        super().__init__(store.events, IDEMPOTENCY)
        self._store = store
        self._claimed: dict[bytes, UUID] = {}
        self._erased: list[UUID] = []

    def prefetch(self, record_ids: Iterable[UUID]) -> None:
        self._store.prefetch(record_ids)

    def member(self, member_id: UUID) -> Member:
        return self._get(member_id, Member, "member")

    def organisation(self, organisation_id: UUID) -> Organisation:
        return self._get(organisation_id, Organisation, "organisation")

    def add(self, aggregate: Member | Organisation) -> None:
        super().add(aggregate)
        if isinstance(aggregate, Member) and aggregate.personal is not None:
            self._claimed[self._store.digest(aggregate.personal.iin)] = aggregate.id

    def member_id_for_iin(self, iin: str) -> UUID | None:
        digest = self._store.digest(iin)
        if digest in self._claimed:
            return self._claimed[digest]
        rows = self._store.query(
            SQL("SELECT member_id FROM {} WHERE iin_digest = %s").format(
                table(self._store.schema, MEMBER_INDEX)
            ),
            (digest,),
        )
        return rows[0]["member_id"] if rows else None

    def next_card_serial(self) -> int:
        return self._store.next_card_serial()

    def members_on_roll(self, organisation_id: UUID) -> int:
        return self._store.count(
            SQL("SELECT count(*) FROM {} WHERE organisation_id = %s AND status = 'member'").format(
                table(self._store.schema, MEMBER_INDEX)
            ),
            (organisation_id,),
        )

    def active_children(self, organisation_id: UUID) -> int:
        return self._store.count(
            SQL("SELECT count(*) FROM {} WHERE parent_id = %s AND dissolved_on IS NULL").format(
                table(self._store.schema, ORGANISATION_INDEX)
            ),
            (organisation_id,),
        )

    def _cached(self, aggregate_id: UUID) -> Member | Organisation | None:
        return self._store.cache.take(aggregate_id)

    def _alongside(self, events: Sequence[Any]) -> list[Statement]:
        self._erased = [e.originator_id for e in events if isinstance(e, Member.PersonalDataErased)]
        vault = self._store.events.vault
        return self._store.index.statements(events) + [vault.destroy(o) for o in self._erased]

    def _unchanged(self, aggregates: list[Any]) -> None:
        self._store.cache.put_back(aggregates)

    def _committed(self, aggregates: list[Any], positions: list[int]) -> None:
        for owner in self._erased:
            self._store.events.vault.forget(owner)
        self._store.cache.put_back(aggregates)
        self._store.committed(positions)
