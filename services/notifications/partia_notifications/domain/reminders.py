"""Reminders to the person, scheduled from the dates in the registry's and finance's events and
called off by later events (issue 13 item 5).

`MORE` maps an event type (`ce_type` without its version) to the functions that give the notices
it causes; `CANCELS` to the functions that give the `cancel_key`s it calls off. `notices` merges
them with its own `RULES`."""

from __future__ import annotations

from partia_notifications.domain.notice import Cancels, More

MORE: dict[str, list[More]] = {}
CANCELS: dict[str, list[Cancels]] = {}
