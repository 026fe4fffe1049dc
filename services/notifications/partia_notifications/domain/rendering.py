"""STAND-IN, replaced by the i18n slice (issue 13 item 4): a notice as subject and text.

The i18n slice brings the real renderer with the same signature (Jinja2 templates under
`partia_notifications/templates/<template>/<lang>`, Babel for dates, tenge and plurals, kk/ru/en).
This plain-English version exists only so the notify slice's delivery path runs end to end on its
own branch; it states the facts of the context (the appeal deadline first of all) so the tests of
the delivery path can check them. The context keys each template gets are listed in
`partia_notifications.domain.notices`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("kk", "ru", "en")


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    text: str


SUBJECTS = {
    "application_received": "Your application for membership was received",
    "admitted": "You were admitted to the party",
    "application_rejected": "Your application for membership was rejected",
    "membership_ended": "Your party membership ended",
    "transfer_registered": "Your transfer was registered",
    "sanction_imposed": "A party sanction was imposed on you",
    "appeal_decided": "Your appeal was decided",
    "membership_restored": "Your party membership was restored",
}


def render(template: str, language: str, context: Mapping[str, Any]) -> RenderedNotice:
    if template not in SUBJECTS:
        raise KeyError(f"no template {template!r}")
    if language not in LANGUAGES:
        raise KeyError(f"no language {language!r}")
    lines = [f"Dear {context.get('full_name') or 'member'},", "", SUBJECTS[template] + "."]
    if template == "sanction_imposed":
        lines.append(f"Sanction: {context['kind']}, decided on {context['decided_on']}.")
        body = context.get("appeal_body")
        if body:
            lines.append(
                f"You may appeal to the {str(body).replace('_', ' ')} (Ch. 5.1) up to and"
                f" including {context['appeal_deadline']}."
            )
        else:
            lines.append("No party body stands higher than the Congress that decided.")
    facts = ", ".join(
        f"{key}: {value}"
        for key, value in sorted(context.items())
        if key not in {"full_name", "legally_significant"} and value not in (None, "", [])
    )
    lines += ["", facts]
    if context.get("legally_significant"):
        lines += ["", "This notice is legally significant: it is sent whatever your preferences."]
    return RenderedNotice(SUBJECTS[template], "\n".join(lines) + "\n")
