"""A daily digest per body (issue 13 item 5, decision 308): a body's routine items (an appeal
pending, a residence clock at five months, a return due) go together in one message a day, from
the configured hour in Almaty, in the body's language; each item's log row records the digest's
Message-ID; urgent notices (overdue, a mandate at stake) never wait for it. Real PostgreSQL, a
real SMTP server."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier

from partia_notifications.application.sending import Sender
from partia_notifications.catcher import MailCatcher
from partia_notifications.composition import Notifications
from partia_notifications.domain.rendering import ALMATY
from tests.notifications.support import BRANCH, PPO, Contacts, sanction_data, sender
from tests.notifications.test_bodies import (
    admitted,
    appeal_filed,
    apply,
    body_rows,
    configure,
    residence,
)

MORNING = datetime(2026, 1, 10, 10, 0, tzinfo=ALMATY)


def at(notifications: Notifications, moment: datetime) -> Sender:
    mail = sender(notifications, Contacts())
    mail.clock = lambda: moment
    mail.digest_hour = 9
    return mail


def due_by(notifications: Notifications, moment: datetime, template: str | None = None) -> None:
    """What time does: the routine items (of `template`) fall due at `moment`."""
    settings = notifications.settings
    with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
        conn.execute(
            SQL(
                "UPDATE {} SET next_attempt_at = %s WHERE digest AND status = 'queued'"
                " AND (%s::text IS NULL OR template = %s)"
            ).format(Identifier(settings.database_schema, "notifications_deliveries")),
            (moment, template, template),
        )


def a_branch_with_two_routine_items(notifications: Notifications) -> UUID:
    """A member who moved (five months: PPO and branch) and appealed to the branch's bureau."""
    member = uuid.uuid4()
    apply(notifications, "registry.member.admitted", admitted(member))
    apply(notifications, "registry.member.residence_change_reported", residence(member))
    sanction = sanction_data(member)
    sanction["kind"] = "reprimand"  # an expulsion would end the residence clock
    apply(notifications, "registry.member.sanction_imposed", sanction)
    apply(notifications, "registry.member.appeal_filed",
          appeal_filed(member, sanction["sanction_id"], uuid.uuid4()))  # fmt: skip
    return member


def branch_items(notifications: Notifications) -> list[dict[str, Any]]:
    return [
        r for r in body_rows(notifications)
        if r["digest"] and r["recipient"] == f"body:{BRANCH}:bureau"
    ]  # fmt: skip


def test_a_bodys_routine_items_go_together_in_one_digest_a_day_in_its_language(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    a_branch_with_two_routine_items(notifications)
    configure(notifications, BRANCH, "bureau", "astana@baytaq.kz", "ru")
    due_by(notifications, MORNING - timedelta(hours=2))
    assert at(notifications, MORNING).send_digests() == 3  # two for the branch, one for the PPO
    [email] = catcher.messages()
    assert email.rcpt_to == ["astana@baytaq.kz"]
    assert email.subject == "Ежедневная сводка за 10 января 2026\u202fг.: 2 вопроса"
    assert "Апелляция ожидает решения" in email.text
    assert "до конца срока постановки на учёт остался месяц" in email.text
    items = branch_items(notifications)
    assert {(r["status"], r["language"]) for r in items} == {("sent", "ru")}
    assert len({r["message_id"] for r in items}) == 1  # each item names the digest it went in
    # the PPO has no address configured: its item is failed, named, for an operator to resend
    [ppo] = [r for r in body_rows(notifications) if r["recipient"] == f"body:{PPO}:bureau"
             and r["digest"]]  # fmt: skip
    assert (ppo["status"], ppo["last_error"]) == ("failed", "no-address-configured")
    # urgent notices never wait for a digest, nor go in one
    assert {r["status"] for r in body_rows(notifications) if not r["digest"]} == {"queued"}


def test_one_digest_a_day_what_falls_due_after_it_waits_for_tomorrows(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    member = a_branch_with_two_routine_items(notifications)
    configure(notifications, BRANCH, "bureau", "astana@baytaq.kz", "en")
    due_by(notifications, MORNING + timedelta(days=30))
    due_by(notifications, MORNING - timedelta(hours=2), "appeal_pending")
    assert at(notifications, MORNING).send_digests() == 1  # the branch's appeal pending
    due_by(notifications, MORNING + timedelta(hours=1), "residence_clock_five_months")
    afternoon = MORNING + timedelta(hours=5)
    # the branch had today's digest; only the PPO's item is taken (and fails: no address)
    assert at(notifications, afternoon).send_digests() == 1
    assert len(catcher.messages()) == 1
    tomorrow = MORNING + timedelta(days=1)
    assert at(notifications, tomorrow).send_digests() == 1
    [second] = catcher.messages()[1:]
    assert second.subject == "Daily digest of January 11, 2026: 1 item"
    assert "one month left to register" in second.text
    assert {r["status"] for r in body_rows(notifications) if r["member_id"] == member
            and r["template"] == "residence_clock_five_months"} == {"sent", "failed"}  # fmt: skip


def test_no_digest_goes_before_the_configured_hour_in_almaty(
    notifications: Notifications, catcher: MailCatcher
) -> None:
    a_branch_with_two_routine_items(notifications)
    configure(notifications, BRANCH, "bureau", "astana@baytaq.kz", "kk")
    due_by(notifications, MORNING - timedelta(hours=5))
    early = MORNING.replace(hour=8, minute=59)
    assert at(notifications, early).send_digests() == 0
    assert catcher.messages() == []
    assert at(notifications, MORNING).send_digests() == 3
    assert len(catcher.messages()) == 1
