"""A generated party for the read-side benchmark: the tree, a million members and their history.

Every fact is made by the domain's own commands (`Organisation.found`, `Member.apply_for_membership`,
`admit`, `request_transfer`, `register_transfer`, `impose_sanction`, `file_appeal`, ...), so every
rule those commands check holds for the generated history. Nothing goes through the command
handlers or the HTTP API: members are built in memory in worker processes, turned into stored events
by the registry's own mapper (personal data sealed with a fresh key per person, exactly as the
registry does it) and written as PostgreSQL binary COPY files, which the orchestrator then loads
into the events table in business-date order (month by month; see `load_events`).

The tree: the bootstrapped party and its 20 regional branches, ~10 territorial branches per region
and ~5 PPOs per territorial branch; PPO sizes are spread (log-normal, a few with fewer than 3
members, some over 1,000). The members' history runs from January 2023 to October 2026.
"""

from __future__ import annotations

import bisect
import itertools
import math
import os
import random
import struct
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, BinaryIO
from uuid import NAMESPACE_URL, UUID, uuid5

from partia_kit.iin import check_digit
from partia_registry.application.bootstrap import organisation_id
from partia_registry.domain.dates import effective_on
from partia_registry.domain.decisions import (
    ApplicationDocument,
    BodyKind,
    DecidingBody,
    Decision,
    DocumentForm,
)
from partia_registry.domain.discipline import AppealOutcome, ExclusionGround, SanctionKind
from partia_registry.domain.mandates import Mandate, MandateKind
from partia_registry.domain.members import Member, MemberStatus, TerminationGround, TransferReason
from partia_registry.domain.organisations import Organisation, OrganisationKind, OrganisationNames
from partia_registry.domain.people import Declarations, PersonalData
from partia_registry.domain.policies import competence, structure
from partia_registry.domain.policies.structure import Ancestry, OrganisationRef

PARTY = "baytaq"
ACTOR = "bench-generator"
HISTORY_START = date(2023, 1, 16)
HISTORY_END = date(2026, 10, 31)
TREE_FOUNDED_BY = date(2023, 1, 10)
K = OrganisationKind
B = BodyKind


# --- PostgreSQL binary COPY ------------------------------------------------------------------

COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
COPY_TRAILER = struct.pack(">h", -1)
_PG_EPOCH = date(2000, 1, 1).toordinal()
_NULL = struct.pack(">i", -1)
_EVENT_HEAD = struct.Struct(">hi16siqi")


def event_row(originator_id: UUID, version: int, topic: bytes, state: bytes) -> bytes:
    """One row of (originator_id uuid, originator_version bigint, topic text, state bytea)."""
    return (
        _EVENT_HEAD.pack(4, 16, originator_id.bytes, 8, version, len(topic))
        + topic
        + struct.pack(">i", len(state))
        + state
    )


def _value(value: Any) -> bytes:
    if value is None:
        return _NULL
    if isinstance(value, UUID):
        return b"\x00\x00\x00\x10" + value.bytes
    if isinstance(value, date):
        return struct.pack(">ii", 4, value.toordinal() - _PG_EPOCH)
    if isinstance(value, str):
        data = value.encode()
        return struct.pack(">i", len(data)) + data
    if isinstance(value, bytes):
        return struct.pack(">i", len(value)) + value
    raise TypeError(f"no binary COPY encoding for {type(value).__name__}")


def copy_row(values: Sequence[Any]) -> bytes:
    """One row in binary COPY form; uuid, date, text and bytea values (and None)."""
    return struct.pack(">h", len(values)) + b"".join(_value(v) for v in values)


MEMBER_INDEX_COLUMNS = (
    "member_id",
    "iin_digest",
    "status",
    "organisation_id",
    "card_number",
    "sealed_name",
    "applied_on",
    "admitted_on",
    "ended_on",
    "end_reason",
    "residence_deadline",
)
KEY_COLUMNS = ("owner_id", "wrapped_key", "key_id")  # as the vault saves them (decision 160)


# --- the tree ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tree:
    """The generated organisations (the bootstrapped ones are not in `organisations`)."""

    organisations: list[Organisation]  # territorial branches first, then PPOs
    ppos: list[UUID]
    ppo_weights: list[float]  # relative share of applicants; a few are tiny on purpose
    ancestry: dict[UUID, Ancestry]  # every PPO's chain up to the party

    @property
    def territorial_count(self) -> int:
        return len(self.organisations) - len(self.ppos)


def _names(en: str) -> OrganisationNames:
    return OrganisationNames(kk=f"{en} (kk)", ru=f"{en} (ru)", en=en)


def regional_codes() -> list[str]:
    from partia_registry.application.bootstrap import PartyDefinition

    return [b.code for b in PartyDefinition.load(PARTY).regional_branches]


def build_tree(ppo_count: int, seed: int) -> Tree:
    """About `ppo_count` PPOs, ~5 per territorial branch, spread over the 20 regional branches;
    each founded by the Bureau of the branch above it, before the members' history starts."""
    rng = random.Random(f"tree:{seed}")
    party_id = organisation_id(PARTY, "party")
    party_ref = OrganisationRef(party_id, K.PARTY)
    regions = regional_codes()
    territorial_count = max(len(regions), round(ppo_count / 5))
    per_region = [territorial_count // len(regions)] * len(regions)
    for i in range(territorial_count - sum(per_region)):
        per_region[i] += 1
    territorials: list[tuple[Organisation, Ancestry]] = []
    organisations: list[Organisation] = []
    for code, count in zip(regions, per_region, strict=True):
        region_ref = OrganisationRef(organisation_id(PARTY, code), K.REGIONAL_BRANCH)
        for n in range(1, count + 1):
            founded = date(2022, 10, 1) + timedelta(days=rng.randrange(70))
            decision = Decision(
                DecidingBody(B.BRANCH_BUREAU, region_ref.organisation_id),
                founded,
                f"{code} bureau minutes {n}",
            )
            place: Ancestry = (region_ref, party_ref)
            structure.check_parent(K.TERRITORIAL_BRANCH, region_ref)
            competence.check_may_restructure(decision.body, place, what="creating a branch")
            unit = Organisation.found(
                kind=K.TERRITORIAL_BRANCH,
                parent_id=region_ref.organisation_id,
                names=_names(f"{code} district branch {n}"),
                decision=decision,
                recorded_by=ACTOR,
                code=f"{code}-d{n}",
                organisation_id=uuid5(NAMESPACE_URL, f"partia-bench:{seed}/{code}/d{n}"),
            )
            organisations.append(unit)
            territorials.append((unit, place))
    ppos: list[UUID] = []
    ancestry: dict[UUID, Ancestry] = {}
    base = ppo_count // len(territorials)
    extra = ppo_count - base * len(territorials)
    for t_index, (territorial, above) in enumerate(territorials):
        t_ref = OrganisationRef(territorial.id, K.TERRITORIAL_BRANCH)
        place = (t_ref, *above)
        for n in range(1, base + (1 if t_index < extra else 0) + 1):
            founded = territorial.founded_on + timedelta(days=rng.randrange(3, 25))
            decision = Decision(
                DecidingBody(B.BRANCH_BUREAU, territorial.id), founded, f"{territorial.code} {n}"
            )
            structure.check_parent(K.PRIMARY_ORGANISATION, t_ref)
            competence.check_may_restructure(decision.body, place, what="creating a PPO")
            ppo = Organisation.found(
                kind=K.PRIMARY_ORGANISATION,
                parent_id=territorial.id,
                names=_names(f"{territorial.code} PPO No. {n}"),
                decision=decision,
                recorded_by=ACTOR,
                code=f"{territorial.code}-p{n}",
                organisation_id=uuid5(NAMESPACE_URL, f"partia-bench:{seed}/{territorial.code}/{n}"),
            )
            assert ppo.founded_on <= TREE_FOUNDED_BY
            organisations.append(ppo)
            ppos.append(ppo.id)
            ancestry[ppo.id] = (OrganisationRef(ppo.id, K.PRIMARY_ORGANISATION), *place)
    # Log-normal sizes around the mean; ~2 % of PPOs get almost nobody (fewer than 3 members is a
    # finding of the structure report), a few get several times the mean (over 1,000).
    weights = [
        0.0004 if rng.random() < 0.02 else rng.lognormvariate(0.0, 0.55) for _ in range(len(ppos))
    ]
    return Tree(organisations, ppos, weights, ancestry)


# --- members ------------------------------------------------------------------------------------

_SURNAMES = (
    "Абенов", "Сейтказиева", "Нұрланов", "Жумабаева", "Иванов", "Ким", "Омаров", "Әлиева",
    "Серікбаев", "Петрова", "Тоқтаров", "Есенова", "Bekov", "Мұқанов", "Ли", "Садыкова",
)  # fmt: skip
_GIVEN_M = ("Айдос", "Ерлан", "Тимур", "Arman", "Нұрсұлтан", "Даурен", "Сергей", "Бауыржан")
_GIVEN_F = ("Динара", "Әсел", "Гүлнар", "Айгерім", "Мадина", "Елена", "Жанар", "Aruzhan")
_PATRONYMICS = (None, "Серікұлы", "Маратқызы", "Ахметович", "Болатовна", "Қайратұлы")
_STREETS = ("Абай даңғылы", "Достық көшесі", "Мәңгілік Ел", "Сәтбаев көшесі", "Толе би")
_CITIZEN = Declarations(citizenship="KZ", member_of_another_party=False, barred_office=None)
_BIRTH_FIRST = date(1948, 1, 1)
_BIRTH_DAYS = (date(2004, 12, 31) - _BIRTH_FIRST).days + 1  # all 18 or over by HISTORY_START
_TERMINATION_GROUNDS = (
    (TerminationGround.DEATH, 35),
    (TerminationGround.JOINED_ANOTHER_PARTY, 25),
    (TerminationGround.PERMANENT_RESIDENCE_ABROAD, 15),
    (TerminationGround.LOSS_OF_CITIZENSHIP, 5),
    (TerminationGround.ENTERED_MILITARY_SERVICE, 8),
    (TerminationGround.ENTERED_LAW_ENFORCEMENT, 7),
    (TerminationGround.DECLARED_INCAPACITATED, 5),
)
_EXPULSION_GROUNDS = (
    ExclusionGround.DISCREDITING_THE_PARTY,
    ExclusionGround.BREACH_OF_CHARTER_OR_DECISIONS,
    ExclusionGround.UNAUTHORISED_SELF_NOMINATION,
)

# What happens to an admitted member, one episode at a time, until the history window ends.
# Tuned so that 1,000,000 people make ~5,000,000 events (see Mix.expected_events).
EPISODES = (
    ("transfer", 30),  # request + registration by the receiving PPO's meeting
    ("residence", 34),  # residence change; mostly followed by a transfer to register there
    ("case", 11),  # disciplinary case: dismissed, or a sanction (some appealed)
    ("sanction", 4),  # a warning or reprimand without a case (some appealed)
    ("mandate", 3),  # a maslikhat mandate (and sometimes its end)
    ("exit", 6),  # withdrawal or termination; a quarter apply again later
)
MEAN_GAP_DAYS = 520  # between episodes


def make_iin(index: int) -> tuple[str, bool]:
    """A valid IIN unique to `index`, with its sex; birth dates spread over 1948-2004."""
    day = (index * 7919) % _BIRTH_DAYS  # 7919 is prime: a permutation of the days
    born = _BIRTH_FIRST + timedelta(days=day)
    serial = index // _BIRTH_DAYS
    female = (index * 2654435761) % 100 < 54
    century_sex = ("4" if female else "3") if born.year < 2000 else ("6" if female else "5")
    while True:  # ~1 prefix in 11 has no valid check digit: move into the other half of serials
        prefix = f"{born:%y%m%d}{century_sex}{serial:04d}"
        digit = check_digit(prefix)
        if digit is not None:
            return prefix + str(digit), female
        serial += 5000


@dataclass
class ChunkJob:
    chunk: int
    first: int  # member index of the first person
    count: int
    members_total: int
    seed: int
    past: date
    outdir: str
    ppos: list[UUID]
    cum_weights: list[float]
    ancestry: dict[UUID, Ancestry]


@dataclass
class ChunkResult:
    chunk: int
    people: int
    events: int
    event_kinds: Counter[str]
    months: list[int]  # months that got an events file
    current: Counter[UUID]  # members on each PPO's roll at the end of the history
    past: Counter[UUID]  # ... and on the past date
    current_total: int
    past_total: int
    index_rows: int
    keys: int
    seconds: float
    sample_members: list[UUID] = field(default_factory=list)
    state_bytes: int = 0


class _Spells:
    """Who is on which roll when, kept by the generator itself: the expectation the read model's
    answers are checked against (independent of the read model's code)."""

    def __init__(self) -> None:
        self.spells: list[list[Any]] = []

    def open(self, ppo: UUID, on: date) -> None:
        self.spells.append([ppo, on, None])

    def close(self, on: date) -> None:
        assert self.spells[-1][2] is None
        self.spells[-1][2] = on

    def move(self, ppo: UUID, on: date) -> None:
        self.close(on)
        self.open(ppo, on)

    def reopen(self) -> None:
        self.spells[-1][2] = None


class GeneratedPerson:
    """One generated person: builds their record's history with the domain's commands."""

    def __init__(self, job: ChunkJob, index: int, rng: random.Random) -> None:
        self.job, self.index, self.rng = job, index, rng
        self.spells = _Spells()
        self.refs = itertools.count(1)

    def ppo(self, exclude: UUID | None = None) -> UUID:
        job = self.job
        while True:
            x = self.rng.random() * job.cum_weights[-1]
            chosen = job.ppos[bisect.bisect_right(job.cum_weights, x)]
            if chosen != exclude:
                return chosen

    def days(self, low: int, high: int) -> timedelta:
        return timedelta(days=self.rng.randint(low, high))

    def ref(self, what: str) -> str:
        return f"{what} {self.index}-{next(self.refs)}"

    def personal(self) -> PersonalData:
        rng, i = self.rng, self.index
        iin, female = make_iin(i)
        given = _GIVEN_F if female else _GIVEN_M
        return PersonalData(
            iin=iin,
            surname=rng.choice(_SURNAMES),
            given_name=rng.choice(given),
            patronymic=rng.choice(_PATRONYMICS),
            address=f"{rng.choice(_STREETS)}, {rng.randint(1, 250)}, {rng.randint(1, 300)}",
            phone=f"+770{rng.randint(10_000_000, 99_999_999)}",
            email=f"member{i}@example.kz" if rng.random() < 0.4 else None,
        )

    def document(self, on: date, what: str) -> ApplicationDocument:
        form = DocumentForm.ELECTRONIC_SIGNATURE if self.rng.random() < 0.7 else DocumentForm.PAPER
        return ApplicationDocument(form, self.ref(what), on)

    def build(self) -> Member:
        rng, job = self.rng, self.job
        window = (HISTORY_END - HISTORY_START).days
        # Growth slows over time: more applications early on.
        applied = HISTORY_START + timedelta(days=int(window * (1 - math.sqrt(1 - rng.random()))))
        ppo = self.ppo()
        member = Member.apply_for_membership(
            ppo=job.ancestry[ppo],
            personal=self.personal(),
            declarations=_CITIZEN,
            application_document=self.document(applied, "APP"),
            recorded_by=ACTOR,
        )
        fate = rng.random()
        if fate < 0.012:
            return member  # still waiting
        decided = applied + self.days(3, 45)
        if decided > HISTORY_END:
            return member
        if fate < 0.04:
            member.reject_application(
                decision=Decision(DecidingBody(B.PPO_MEETING, ppo), decided, self.ref("Minutes")),
                reason="the applicant did not attend the meeting",
                ppo=job.ancestry[ppo],
                recorded_by=ACTOR,
            )
            return member
        self.admit(member, decided, serial=self.index + 1)
        self.history(member, decided)
        return member

    def admit(self, member: Member, on: date, serial: int) -> None:
        ppo = member.organisation_id
        body = B.PPO_MEETING if self.rng.random() < 0.8 else B.PPO_BUREAU
        member.admit(
            decision=Decision(DecidingBody(body, ppo), on, self.ref("Minutes")),
            issue_card=lambda: _card(serial),
            ppo=self.job.ancestry[ppo],
            recorded_by=ACTOR,
        )
        self.spells.open(ppo, on)

    def history(self, member: Member, t: date) -> None:
        rng = self.rng
        kinds = [k for k, _ in EPISODES]
        weights = [w for _, w in EPISODES]
        while True:
            t += timedelta(days=15 + int(rng.expovariate(1 / MEAN_GAP_DAYS)))
            if t > HISTORY_END:
                return
            kind = rng.choices(kinds, weights)[0]
            t = getattr(self, f"_{kind}")(member, t)
            if t is None or t > HISTORY_END or member.status is not MemberStatus.MEMBER:
                return

    # Each episode returns the date it ended on, or None when the history stops there.

    def _transfer(
        self, member: Member, t: date, reason: TransferReason = TransferReason.WORKPLACE
    ) -> date | None:
        to = self.ppo(exclude=member.organisation_id)
        member.request_transfer(
            to_ppo=self.job.ancestry[to], requested_on=t, reason=reason, recorded_by=ACTOR
        )
        t += self.days(1, 30)
        if t > HISTORY_END:
            return None  # still pending when the history ends
        member.register_transfer(
            decision=Decision(DecidingBody(B.PPO_MEETING, to), t, self.ref("Minutes")),
            to_ppo=self.job.ancestry[to],
            recorded_by=ACTOR,
        )
        self.spells.move(to, t)
        return t

    def _residence(self, member: Member, t: date) -> date | None:
        member.report_residence_change(moved_on=t, recorded_by=ACTOR)
        if self.rng.random() < 0.15:
            return t  # registers later, or never (not an expulsion here)
        return self._transfer(member, t + self.days(5, 90), TransferReason.RESIDENCE_CHANGE)

    def _body(self, member: Member) -> DecidingBody:
        """The PPO meeting, or for a maslikhat deputy the Bureau of their district branch."""
        chain = self.job.ancestry[member.organisation_id]
        if member.mandates:
            return DecidingBody(B.BRANCH_BUREAU, chain[1].organisation_id)
        return DecidingBody(B.PPO_MEETING, chain[0].organisation_id)

    def _case(self, member: Member, t: date) -> date | None:
        case_id = uuid5(member.id, f"case {t}")
        member.open_disciplinary_case(
            case_id=case_id, opened_on=t, reference=self.ref("Complaint"), recorded_by=ACTOR
        )
        t += self.days(10, 60)
        if t > HISTORY_END:
            return None
        outcome = self.rng.random()
        if outcome < 0.5:
            member.dismiss_disciplinary_case(
                case_id=case_id,
                decision=Decision(self._body(member), t, self.ref("Minutes")),
                ppo=self.job.ancestry[member.organisation_id],
                recorded_by=ACTOR,
            )
            return t
        kind = SanctionKind.EXPULSION if outcome > 0.9 else self._mild()
        return self._sanction_of(member, t, kind, case_id)

    def _mild(self) -> SanctionKind:
        return SanctionKind.WARNING if self.rng.random() < 0.6 else SanctionKind.REPRIMAND

    def _sanction(self, member: Member, t: date) -> date | None:
        return self._sanction_of(member, t, self._mild(), None)

    def _sanction_of(
        self, member: Member, t: date, kind: SanctionKind, case_id: UUID | None
    ) -> date | None:
        rng = self.rng
        sanction_id = uuid5(member.id, f"sanction {t}")
        expulsion = kind is SanctionKind.EXPULSION
        chain = self.job.ancestry[member.organisation_id]
        member.impose_sanction(
            sanction_id=sanction_id,
            kind=kind,
            decision=Decision(self._body(member), t, self.ref("Minutes")),
            grounds=[rng.choice(_EXPULSION_GROUNDS)] if expulsion else [],
            other_ground=None,
            case_id=case_id,
            ppo=chain,
            recorded_by=ACTOR,
        )
        if expulsion:
            self.spells.close(t)
        if rng.random() >= (0.6 if expulsion else 0.25):
            return t
        filed = t + self.days(1, 85)
        if filed > HISTORY_END:
            return None
        appeal_body = DecidingBody(B.BRANCH_BUREAU, chain[2].organisation_id)  # regional branch
        member.file_appeal(
            appeal_id=uuid5(member.id, f"appeal {t}"),
            sanction_id=sanction_id,
            filed_on=filed,
            body=appeal_body,
            document_reference=self.ref("Appeal"),
            decider_chain=chain,
            recorded_by=ACTOR,
        )
        decided = filed + self.days(5, 40)
        if decided > HISTORY_END:
            return None
        roll = rng.random()
        if roll < 0.55:
            outcome, replacement = AppealOutcome.UPHELD, None
        elif roll < 0.8 or kind is SanctionKind.WARNING:
            outcome, replacement = AppealOutcome.ANNULLED, None
        else:
            outcome = AppealOutcome.REPLACED
            replacement = SanctionKind.WARNING if kind is SanctionKind.REPRIMAND else self._mild()
        member.decide_appeal(
            sanction_id=sanction_id,
            outcome=outcome,
            replacement=replacement,
            decision=Decision(appeal_body, decided, self.ref("Bureau minutes")),
            recorded_by=ACTOR,
        )
        if expulsion and outcome is not AppealOutcome.UPHELD:
            self.spells.reopen()
        return decided

    def _mandate(self, member: Member, t: date) -> date | None:
        mandate_id = uuid5(member.id, f"mandate {t}")
        member.record_mandate(
            mandate=Mandate(mandate_id, MandateKind.MASLIKHAT, "district maslikhat", "district", t),
            recorded_by=ACTOR,
        )
        if self.rng.random() < 0.3:
            t += self.days(100, 700)
            if t > HISTORY_END:
                return None
            member.end_mandate(mandate_id=mandate_id, ended_on=t, recorded_by=ACTOR)
        return t

    def _exit(self, member: Member, t: date) -> date | None:
        rng = self.rng
        if rng.random() < 0.55:
            # Every withdrawal is formalised by a body (Ch. 3.7): a deputy's by their Bureau.
            member.withdraw(
                application_document=self.document(t, "Withdrawal"),
                effective_on=t,
                decision=Decision(self._body(member), t, self.ref("Minutes")),
                ppo=self.job.ancestry[member.organisation_id],
                recorded_by=ACTOR,
            )
        else:
            grounds = [g for g, _ in _TERMINATION_GROUNDS]
            ground = rng.choices(grounds, [w for _, w in _TERMINATION_GROUNDS])[0]
            member.terminate(
                ground=ground,
                decision=Decision(self._body(member), t, self.ref("Minutes")),
                ppo=self.job.ancestry[member.organisation_id],
                recorded_by=ACTOR,
            )
            if ground is TerminationGround.DEATH:
                self.spells.close(t)
                return None
        self.spells.close(t)
        if rng.random() >= 0.25:
            return None
        t += self.days(60, 400)
        if t > HISTORY_END:
            return None
        ppo = self.ppo()
        assert member.personal is not None
        member.apply_again(
            ppo=self.job.ancestry[ppo],
            personal=member.personal,
            declarations=_CITIZEN,
            application_document=self.document(t, "APP"),
            recorded_by=ACTOR,
        )
        t += self.days(3, 45)
        if t > HISTORY_END:
            return None
        self.admit(member, t, serial=self.job.members_total + self.index + 1)
        return t


def _card(serial: int) -> str:
    from partia_registry.domain.cards import card_number

    return card_number("BQ", serial)


# --- the worker ---------------------------------------------------------------------------------

_worker: dict[str, Any] = {}


def init_worker(database_url: str, schema: str, master_key: bytes) -> None:
    """Each worker opens the registry's event store only for its mapper and vault (sealing)."""
    from partia_kit.settings import eventsourcing_env
    from partia_registry.adapters.postgres.event_store import RegistryEventStore
    from partia_registry.adapters.postgres.store import derive_pepper

    events = RegistryEventStore(eventsourcing_env(database_url, schema, 1), master_key)
    _worker["events"] = events
    _worker["pepper"] = derive_pepper(master_key)


def generate_chunk(job: ChunkJob) -> ChunkResult:
    from partia_registry.adapters.postgres.indexes import iin_digest

    started = time.perf_counter()
    events_store = _worker["events"]
    mapper, vault, pepper = events_store.mapper, events_store.vault, _worker["pepper"]
    rng = random.Random(f"members:{job.seed}:{job.chunk}")
    rows: list[tuple[int, int, bytes]] = []  # (business date ordinal, sequence, COPY row)
    kinds: Counter[str] = Counter()
    current: Counter[UUID] = Counter()
    past: Counter[UUID] = Counter()
    index_rows: list[bytes] = []
    sample: list[UUID] = []
    state_bytes = 0
    sequence = 0
    for index in range(job.first, job.first + job.count):
        person = GeneratedPerson(job, index, rng)
        member = person.build()
        for event in member.collect_events():
            stored = mapper.to_stored_event(event)
            kinds[type(event).__name__] += 1
            state_bytes += len(stored.state)
            rows.append(
                (
                    effective_on(event).toordinal(),
                    sequence,
                    event_row(
                        stored.originator_id,
                        stored.originator_version,
                        stored.topic.encode(),
                        stored.state,
                    ),
                )
            )
            sequence += 1
        for ppo, start, end in person.spells.spells:
            if end is None:
                current[ppo] += 1
            if start <= job.past and (end is None or end > job.past):
                past[ppo] += 1
        assert member.personal is not None
        index_rows.append(
            copy_row(
                (
                    member.id,
                    iin_digest(pepper, member.personal.iin),
                    member.status.value,
                    member.organisation_id,
                    member.card_number,
                    vault.seal_name(member.id, member.personal.full_name, new_owner=False),
                    member.applied_on,
                    member.admitted_on,
                    member.ended_on,
                    member.end_reason,
                    member.residence_deadline,
                )
            )
        )
        if len(sample) < 5:
            sample.append(member.id)
    keys = [copy_row(row) for statement in vault.unsaved_keys() for row in statement.rows]
    vault.keys_saved()

    out = Path(job.outdir)
    rows.sort(key=lambda r: (r[0], r[1]))  # business-date order; a record's own order kept
    months: list[int] = []
    for month, group in itertools.groupby(rows, key=lambda r: _month(r[0])):
        months.append(month)
        with open(out / f"ev-{month:03d}-{job.chunk:05d}.bin", "wb") as f:
            f.write(b"".join(r[2] for r in group))
    (out / f"mi-{job.chunk:05d}.bin").write_bytes(b"".join(index_rows))
    (out / f"pk-{job.chunk:05d}.bin").write_bytes(b"".join(keys))
    return ChunkResult(
        chunk=job.chunk,
        people=job.count,
        events=len(rows),
        event_kinds=kinds,
        months=months,
        current=current,
        past=past,
        current_total=sum(current.values()),
        past_total=sum(past.values()),
        index_rows=len(index_rows),
        keys=len(keys),
        seconds=time.perf_counter() - started,
        sample_members=sample,
        state_bytes=state_bytes,
    )


def _month(ordinal: int) -> int:
    day = date.fromordinal(ordinal)
    return (day.year - 2022) * 12 + day.month


def copy_files(copy: Any, paths: Iterable[Path], block: int = 1 << 20) -> int:
    """Stream binary COPY files (rows only) into an open COPY; returns the bytes sent."""
    sent = 0
    copy.write(COPY_HEADER)
    for path in paths:
        with open(path, "rb") as f:
            reader: BinaryIO = f
            while data := reader.read(block):
                copy.write(data)
                sent += len(data)
        os.unlink(path)
    copy.write(COPY_TRAILER)
    return sent
