"""What each service's API does with its access log (`partia_kit.access_log`; decisions 150-154,
247): a read that returns personal data is put on record before its answer goes out, or the
answer is withheld; and the period parameters and rows of the auditor's page of the log."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query

from partia_kit.access_log import AccessLog, AccessRecord
from partia_kit.http.problems import ApiProblem

Start = Annotated[
    datetime | None, Query(alias="from", description="reads at or after this time (ISO 8601)")
]
End = Annotated[datetime | None, Query(alias="to", description="reads before this time")]


@dataclass(frozen=True, slots=True)
class Reading:
    """Who reads, through which operation, holding which roles."""

    user: str
    operation: str
    route: str
    roles: Sequence[str] = ()

    def put_on_record(
        self, log: AccessLog, ids: Iterable[UUID], fields: Sequence[str], *, wait: bool
    ) -> None:
        """Record that this read returned `fields` of the people behind `ids`. `wait`: return
        only once the record is stored; if it cannot be, 503 and nothing personal is sent."""
        shown = list(ids)
        if not shown or not fields:
            return  # nothing personal was shown
        record = AccessRecord(
            user=self.user,
            roles=tuple(self.roles),
            operation=self.operation,
            route=self.route,
            member_ids=shown,
            fields=tuple(fields),
        )
        try:
            log.record(record, wait=wait)
        except Exception:  # whatever kept it from the log, the data stays unsent
            raise ApiProblem(
                503,
                "Access log unavailable",
                "the read could not be put on record, so its personal data is not sent; retry "
                "shortly",
                rule="access-log-unavailable",
                headers={"Retry-After": "1"},
            ) from None


def entry_view(row: Mapping[str, Any], ids: str = "member_ids") -> dict[str, Any]:
    """A row of the log as the API shows it; `ids` names whose data it was (members, donations)."""
    return {
        "id": row["id"],
        "read_at": row["read_at"],
        "user": row["user_name"],
        "roles": row["roles"],
        "operation": row["operation"],
        "route": row["route"],
        ids: row["member_ids"],
        "fields": row["fields"],
    }
