"""What a notice says, in the recipient's language: Jinja2 templates a person can edit, with
dates, tenge amounts and plural forms formatted per locale by Babel (decision 265).

The templates live in `partia_notifications/templates/<language>/<template id>.txt`, each with a
`subject` block and a `body` block; the words every template shares (labels of the registry's
codes, the nouns that take a plural form) are in `templates/<language>/words.toml`. A missing
context key, an unknown code or a missing word is an error, never a blank in a sent notice.

    render("sanction_imposed", "ru", {...}) -> RenderedNotice(subject=..., text=...)
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined

TEMPLATE_DIR: Final = Path(__file__).resolve().parent.parent / "templates"

ALMATY: Final = ZoneInfo("Asia/Almaty")
"""Whose calendar a date in a notice is on: a moment becomes the day it is in Almaty."""

LANGUAGES: Final = ("kk", "ru", "en")

# Babel's locale per language: Kazakhstan's Russian has the tenge sign (plain `ru` writes "KZT").
_LOCALES: Final = {"kk": "kk_KZ", "ru": "ru_KZ", "en": "en"}
# English has no tenge sign of its own in CLDR: "KZT 1,250.00" rather than "KZT1,250.00".
_CURRENCY_FORMATS: Final = {"en": "¤\u00a0#,##0.00"}


class Category(StrEnum):
    """What kind of notice it is, which decides whether a member may opt out of it (issue 13
    item 5): decisions and sanctions always go, and say so; reminders may be switched off."""

    DECISION = "decision"  # legally significant: sent whatever the recipient's preferences
    INFORMATION = "information"  # a receipt of something the person did
    REMINDER = "reminder"  # a date coming or passed; may be opted out of, may go in a digest


class Audience(StrEnum):
    PERSON = "person"  # the member or applicant, at their own address, in their language
    BODY = "body"  # a party body's configured address (PPO, branch, Bureau, treasurer)


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """One notice: who it goes to, what kind it is, and the context keys its templates need.

    `keys` maps each key to what it holds. Dates may be `date` or an aware `datetime` (the day
    in Almaty is shown); amounts are int tiyn; `code:<kind>` keys hold one of the registry's
    codes, which the templates name in the language (kinds in `words.toml`'s `[label.<kind>]`);
    names of organisations are already in the recipient's language."""

    audience: Audience
    category: Category
    keys: Mapping[str, str]

    @property
    def legally_significant(self) -> bool:
        """Sent regardless of reminder opt-outs, and the notice says so."""
        return self.category is Category.DECISION


@dataclass(frozen=True, slots=True)
class RenderedNotice:
    subject: str
    text: str
    html: str | None = None


_BLANK_RUNS: Final = re.compile(r"\n{3,}")
_LINE_BREAKS: Final = re.compile(r"[ \t]*\n[ \t]*")


class UnknownTemplate(LookupError):
    """No template of that id, or not in that language."""


_NAME = "the recipient's full name (from the registry's contact, at send time)"
_PPO = "name of the primary party organisation, in the recipient's language"

TEMPLATES: Final[Mapping[str, TemplateSpec]] = {
    # --- to the person (issue 13 item 2) ---
    "application_received": TemplateSpec(
        Audience.PERSON,
        Category.INFORMATION,
        {"name": _NAME, "organisation": _PPO, "submitted_on": "date: the application was signed"},
    ),
    "admitted": TemplateSpec(
        Audience.PERSON,
        Category.DECISION,
        {
            "name": _NAME,
            "organisation": _PPO,
            "card_number": "the party card's number, e.g. BQ-0000123-4 (Ch. 3.5)",
            "admitted_on": "date of the admission decision",
            "body": "code:body: the body that admitted (Ch. 3.4)",
        },
    ),
    "application_rejected": TemplateSpec(
        Audience.PERSON,
        Category.DECISION,
        {
            "name": _NAME,
            "organisation": _PPO,
            "decided_on": "date of the decision",
            "body": "code:body: the body that decided",
            "reason": "the reason as the decision gives it (free text, as recorded)",
            "clause": "the Charter clause it rests on, e.g. '3.3'",
        },
    ),
    "membership_ended": TemplateSpec(
        Audience.PERSON,
        Category.DECISION,
        {
            "name": _NAME,
            "card_number": "the now invalid card's number",
            "ended_on": "date the membership ended",
            "reason": "code:end_reason: why it ended (MembershipEndReason, Ch. 3.6)",
        },
    ),
    "transfer_registered": TemplateSpec(
        Audience.PERSON,
        Category.DECISION,
        {
            "name": _NAME,
            "from_organisation": "the PPO left, in the recipient's language",
            "to_organisation": "the PPO joined, in the recipient's language",
            "registered_on": "date of the receiving organisation's decision (Ch. 5.2)",
        },
    ),
    "sanction_imposed": TemplateSpec(
        Audience.PERSON,
        Category.DECISION,
        {
            "name": _NAME,
            "sanction": "code:sanction: warning, reprimand or expulsion (Ch. 3.8)",
            "decided_on": "date of the decision",
            "body": "code:body: the body that imposed it",
            "organisation": "the organisation whose body imposed it",
            "appeal_deadline": "date: the last day to appeal (Ch. 5.1, three months)",
            "appeal_body": "code:body: the higher body to appeal to (Ch. 5.1)",
            "appeal_organisation": "the organisation whose body hears the appeal",
        },
    ),
    "appeal_deadline_reminder": TemplateSpec(
        Audience.PERSON,
        Category.DECISION,  # a Charter right's last day (Ch. 5.1): always sent, and says so
        {
            "name": _NAME,
            "sanction": "code:sanction: the sanction that may still be appealed (Ch. 3.8)",
            "decided_on": "date of the decision that imposed it",
            "body": "code:body: the body that imposed it",
            "organisation": "the organisation whose body imposed it",
            "appeal_deadline": "date: the last day to appeal (Ch. 5.1)",
            "days_left": "int: days from the reminder to the last day",
            "appeal_body": "code:body: the higher body to appeal to (Ch. 5.1)",
            "appeal_organisation": "the organisation whose body hears the appeal",
        },
    ),
    "appeal_decided": TemplateSpec(
        Audience.PERSON,
        Category.DECISION,
        {
            "name": _NAME,
            "sanction": "code:sanction: the sanction appealed against",
            "outcome": "code:outcome: upheld, annulled or replaced",
            "replacement": "code:sanction or None: the milder sanction, when replaced",
            "decided_on": "date of the decision on the appeal",
            "body": "code:body: the body that decided it",
            "organisation": "the organisation whose body decided it",
        },
    ),
    "membership_restored": TemplateSpec(
        Audience.PERSON,
        Category.DECISION,
        {
            "name": _NAME,
            "card_number": "the card's number, the same as before (DOMAIN §4)",
            "organisation": _PPO,
            "restored_on": "date of the decision that annulled the expulsion",
        },
    ),
    "dues_arrears": TemplateSpec(
        Audience.PERSON,
        Category.REMINDER,
        {
            "name": _NAME,
            "months": "int: how many months are unpaid",
            "amount_tiyn": "int: the arrears in tiyn",
            "as_of": "date the arrears are counted on",
        },
    ),
    # --- to the bodies ---
    "residence_clock_five_months": TemplateSpec(
        Audience.BODY,
        Category.REMINDER,
        {
            "card_number": "the member's card number",
            "organisation": _PPO,
            "moved_on": "date the member moved",
            "registration_deadline": "date: the last day to register at the new place (Ch. 3.6)",
        },
    ),
    "residence_clock_overdue": TemplateSpec(
        Audience.BODY,
        Category.REMINDER,
        {
            "card_number": "the member's card number",
            "organisation": _PPO,
            "moved_on": "date the member moved",
            "registration_deadline": "date: the last day that was (Ch. 3.6)",
        },
    ),
    "mandate_at_stake": TemplateSpec(
        Audience.BODY,
        Category.DECISION,
        {
            "card_number": "the deputy's card number",
            "mandate": "code:mandate: the representative body (kurultai, mazhilis)",
            "reason": "code:mandate_reason: withdrawal or exclusion",
            "effective_on": "date the deputy left the party",
        },
    ),
    "appeal_pending": TemplateSpec(
        Audience.BODY,
        Category.REMINDER,
        {
            "card_number": "the appellant's card number",
            "sanction": "code:sanction: the sanction appealed against",
            "filed_on": "date the appeal was filed",
            "decide_by": "date by which the body should decide",
            "days_left": "int: days until decide_by",
        },
    ),
    "return_obligation_due": TemplateSpec(
        Audience.BODY,
        Category.REMINDER,
        {
            "reference": "the donation's id in finance (the obligation event names no other)",
            "amount_tiyn": "int: the amount to return, in tiyn",
            "deadline": "date: the last day to return it",
            "days_left": "int: days until the deadline",
        },
    ),
    "return_obligation_overdue": TemplateSpec(
        Audience.BODY,
        Category.REMINDER,
        {
            "reference": "the donation's id in finance (the obligation event names no other)",
            "amount_tiyn": "int: the amount to return, in tiyn",
            "deadline": "date: the last day it should have been returned",
            "days_overdue": "int: days since the deadline",
        },
    ),
    # --- a body's routine items of one day, in one message (issue 13 item 5) ---
    "digest": TemplateSpec(
        Audience.BODY,
        Category.REMINDER,
        {
            "day": "date: the day of the digest (in Almaty)",
            "items": "list of {subject, text}: each routine item (`digest` notices to this body"
            " due that day: appeals pending, residence clocks at five months, returns due),"
            " rendered in the body's language by `render_item`",
        },
    ),
}


def render(template: str, language: str, context: Mapping[str, Any]) -> RenderedNotice:
    """The notice `template` in `language` (kk, ru or en), filled from `context`.

    Raises UnknownTemplate for an id not in TEMPLATES or a language not in LANGUAGES, and
    jinja2's UndefinedError for a missing context key or KeyError for an unknown code."""
    spec = TEMPLATES.get(template)
    if spec is None or language not in LANGUAGES:
        raise UnknownTemplate(f"no template {template!r} in language {language!r}")
    compiled = _environment(language).get_template(f"{template}.txt")
    values = {**context, "legally_significant": spec.legally_significant}
    ctx = compiled.new_context(values)
    subject = "".join(compiled.blocks["subject"](ctx)).strip()
    # a paragraph left out by a condition leaves its blank lines behind: keep one
    text = _BLANK_RUNS.sub("\n\n", compiled.render(values)).strip() + "\n"
    # one line, as a mail header must be; the locale's no-break spaces stay
    return RenderedNotice(subject=_LINE_BREAKS.sub(" ", subject), text=text)


def render_item(template: str, language: str, context: Mapping[str, Any]) -> RenderedNotice:
    """A notice as an item of a digest: its subject and its `body` block, without the frame
    (the digest has its own)."""
    spec = TEMPLATES.get(template)
    if spec is None or language not in LANGUAGES:
        raise UnknownTemplate(f"no template {template!r} in language {language!r}")
    compiled = _environment(language).get_template(f"{template}.txt")
    ctx = compiled.new_context({**context, "legally_significant": spec.legally_significant})
    subject = "".join(compiled.blocks["subject"](ctx)).strip()
    text = _BLANK_RUNS.sub("\n\n", "".join(compiled.blocks["body"](ctx))).strip()
    return RenderedNotice(subject=_LINE_BREAKS.sub(" ", subject), text=text)


@cache
def _environment(language: str) -> Environment:
    """One environment per language, its filters bound to that language's locale."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR / language),
        undefined=StrictUndefined,
        autoescape=False,  # plain text; an HTML part would get its own, escaping environment
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    formats = Formats(language)
    env.filters.update(
        date=_strict(formats.date),
        tenge=_strict(formats.tenge),
        plural=_strict(formats.plural),
        label=_strict(formats.label),
    )
    return env


def _strict(formatter: Callable[..., str]) -> Callable[..., str]:
    """A filter handed a missing key fails naming it (StrictUndefined fails only when printed,
    and a filter would otherwise see the Undefined object instead)."""

    def checked(value: Any, *args: Any) -> str:
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        return formatter(value, *args)

    return checked


class Formats:
    """How one language writes dates, money, counted nouns and the registry's codes."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.locale = Locale.parse(_LOCALES[language])
        words = tomllib.loads((TEMPLATE_DIR / language / "words.toml").read_text("utf-8"))
        self._plurals: dict[str, dict[str, str]] = words["plural"]
        self._labels: dict[str, dict[str, str]] = words["label"]

    def date(self, value: date | datetime) -> str:
        """The long form of the day: "28 февраля 2027 г.", "2027 ж. 28 ақпан",
        "February 28, 2027". A moment is shown as the day it is in Almaty."""
        if isinstance(value, datetime):
            if value.tzinfo is None:
                raise ValueError(f"a moment without a time zone: {value!r}")
            value = value.astimezone(ALMATY).date()
        return format_date(value, "long", locale=self.locale)

    def tenge(self, tiyn: int) -> str:
        """An amount held in tiyn, in tenge: "12 500,00 ₸" (kk, ru), "KZT 12,500.00" (en)."""
        if isinstance(tiyn, bool) or not isinstance(tiyn, int):
            raise TypeError(f"amounts are int tiyn, not {tiyn!r}")
        return format_currency(
            Decimal(tiyn).scaleb(-2),
            "KZT",
            format=_CURRENCY_FORMATS.get(self.language),
            locale=self.locale,
        )

    def plural(self, count: int, noun: str) -> str:
        """The count and the noun in the form the language's plural rule (CLDR, via Babel)
        asks for: "1 месяц", "3 месяца", "5 месяцев", "21 месяц"; "5 ай"; "5 months"."""
        forms = self._plurals[noun]
        form = forms.get(self.locale.plural_form(count)) or forms["other"]
        return f"{format_decimal(count, locale=self.locale)} {form}"

    def label(self, code: str | None, kind: str) -> str:
        """The language's name for one of the registry's codes (a body, a sanction, ...)."""
        if code is None:
            raise KeyError(f"no {kind} given")
        return self._labels[kind][str(code)]
