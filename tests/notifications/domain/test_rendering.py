"""Every notice renders in Kazakh, Russian and English: no missing key, no untranslated word,
dates, tenge amounts and plural forms as each language writes them (issue 13 item 4)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import pytest
from jinja2 import UndefinedError

from partia_contracts.registry import v1
from partia_notifications.domain.rendering import (
    LANGUAGES,
    TEMPLATE_DIR,
    TEMPLATES,
    Category,
    Formats,
    UnknownTemplate,
    render,
    render_item,
)

CARD = "BQ-0000123-4"
DONATION = "DN-2027-000123"
IDENTIFIERS = (CARD, DONATION)
"""Written in Latin letters in every language: the only Latin a kk or ru notice may hold."""

NAMES = {
    "kk": {"name": "Сейтқали Әсел Бауыржанқызы", "ppo": "Алмалы ауданының №12 БПҰ", "other": "Медеу ауданының №3 БПҰ", "branch": "Алматы қалалық филиалы", "reason": "өтініш берушінің басқа партияда тұрғаны анықталды"},
    "ru": {"name": "Сейткали Асель Бауыржановна", "ppo": "ППО № 12 Алмалинского района", "other": "ППО № 3 Медеуского района", "branch": "Алматинский городской филиал", "reason": "заявитель состоит в другой партии"},
    "en": {"name": "Asel Seitkali", "ppo": "PPO No. 12, Almaly District", "other": "PPO No. 3, Medeu District", "branch": "Almaty City Branch", "reason": "the applicant is a member of another party"},
}  # fmt: skip

DEADLINE = date(2027, 2, 28)


def sample(template: str, language: str) -> dict[str, Any]:
    """Realistic data for one notice, names in the recipient's language."""
    n = NAMES[language]
    samples: dict[str, dict[str, Any]] = {
        "application_received": {"name": n["name"], "organisation": n["ppo"], "submitted_on": date(2026, 11, 2)},
        "admitted": {"name": n["name"], "organisation": n["ppo"], "card_number": CARD, "admitted_on": date(2026, 11, 30), "body": "ppo_meeting"},
        "application_rejected": {"name": n["name"], "organisation": n["ppo"], "decided_on": date(2026, 11, 30), "body": "ppo_bureau", "reason": n["reason"], "clause": "3.3"},
        "membership_ended": {"name": n["name"], "card_number": CARD, "ended_on": date(2026, 11, 30), "reason": "exclusion"},
        "transfer_registered": {"name": n["name"], "from_organisation": n["ppo"], "to_organisation": n["other"], "registered_on": date(2026, 11, 30)},
        "sanction_imposed": {"name": n["name"], "sanction": "expulsion", "decided_on": date(2026, 11, 30), "body": "ppo_meeting", "organisation": n["ppo"], "appeal_deadline": DEADLINE, "appeal_body": "branch_bureau", "appeal_organisation": n["branch"]},
        "appeal_deadline_reminder": {"name": n["name"], "sanction": "reprimand", "decided_on": date(2026, 11, 30), "body": "ppo_bureau", "organisation": n["ppo"], "appeal_deadline": DEADLINE, "days_left": 14, "appeal_body": "branch_bureau", "appeal_organisation": n["branch"]},
        "appeal_decided": {"name": n["name"], "sanction": "expulsion", "outcome": "replaced", "replacement": "reprimand", "decided_on": date(2027, 1, 15), "body": "branch_bureau", "organisation": n["branch"]},
        "membership_restored": {"name": n["name"], "card_number": CARD, "organisation": n["ppo"], "restored_on": date(2027, 1, 15)},
        "dues_arrears": {"name": n["name"], "months": 5, "amount_tiyn": 1_250_050, "as_of": DEADLINE},
        "residence_clock_five_months": {"card_number": CARD, "organisation": n["ppo"], "moved_on": date(2026, 7, 1), "registration_deadline": date(2027, 1, 1)},
        "residence_clock_overdue": {"card_number": CARD, "organisation": n["ppo"], "moved_on": date(2026, 7, 1), "registration_deadline": date(2027, 1, 1)},
        "mandate_at_stake": {"card_number": CARD, "mandate": "mazhilis", "reason": "exclusion", "effective_on": date(2026, 11, 30)},
        "appeal_pending": {"card_number": CARD, "sanction": "reprimand", "filed_on": date(2026, 12, 10), "decide_by": DEADLINE, "days_left": 5},
        "return_obligation_due": {"reference": DONATION, "amount_tiyn": 50_000_000, "deadline": DEADLINE, "days_left": 5},
        "return_obligation_overdue": {"reference": DONATION, "amount_tiyn": 50_000_000, "deadline": DEADLINE, "days_overdue": 5},
    }  # fmt: skip
    if template == "digest":  # a body's routine items of the day, each in the body's language
        items = ("appeal_pending", "return_obligation_due")
        rendered = [render_item(item, language, samples[item]) for item in items]
        return {"day": date(2027, 2, 21), "items": rendered}
    return samples[template]


EVERY_NOTICE = [(t, lang) for t in TEMPLATES for lang in LANGUAGES]

LEGAL_NOTE = {
    "kk": "заңдық маңызы бар",
    "ru": "юридически значимое уведомление",
    "en": "legally significant",
}


def whole(template: str, language: str, context: dict[str, Any]) -> str:
    notice = render(template, language, context)
    return f"{notice.subject}\n{notice.text}"


@pytest.mark.parametrize(("template", "language"), EVERY_NOTICE)
def test_every_template_renders_in_every_language_with_its_documented_keys(
    template: str, language: str
) -> None:
    context = sample(template, language)
    assert set(context) == set(TEMPLATES[template].keys), "the sample is the documented key set"
    notice = render(template, language, context)
    assert notice.subject
    assert "\n" not in notice.subject
    assert len(notice.text.splitlines()) >= 5


@pytest.mark.parametrize(("template", "language"), EVERY_NOTICE)
def test_a_notice_missing_any_documented_key_is_refused_not_sent_with_a_blank(
    template: str, language: str
) -> None:
    for key in TEMPLATES[template].keys:
        context = sample(template, language)
        del context[key]
        with pytest.raises(UndefinedError, match=key):
            render(template, language, context)


@pytest.mark.parametrize(
    ("template", "language"), [(t, lang) for t, lang in EVERY_NOTICE if lang != "en"]
)
def test_kazakh_and_russian_notices_hold_no_latin_word_but_card_and_donation_numbers(
    template: str, language: str
) -> None:
    text = whole(template, language, sample(template, language))
    for identifier in IDENTIFIERS:
        text = text.replace(identifier, "")
    assert re.findall(r"[A-Za-z]+", text) == []


@pytest.mark.parametrize("template", TEMPLATES)
def test_kazakh_notices_are_kazakh_and_english_ones_hold_no_cyrillic(template: str) -> None:
    kazakh = whole(template, "kk", sample(template, "kk"))
    assert re.search("[әғқңөұүһі]", kazakh), "Kazakh letters, not Russian text"
    assert (
        re.findall("[А-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі]+", whole(template, "en", sample(template, "en")))
        == []
    )


@pytest.mark.parametrize(("template", "language"), EVERY_NOTICE)
def test_legally_significant_notices_say_they_go_whatever_the_opt_outs_and_reminders_do_not(
    template: str, language: str
) -> None:
    text = whole(template, language, sample(template, language))
    says_so = LEGAL_NOTE[language] in text
    assert says_so == (TEMPLATES[template].category is Category.DECISION)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", ["1 ай", "2 ай", "5 ай", "11 ай", "21 ай"]),
        ("ru", ["1 месяц", "2 месяца", "5 месяцев", "11 месяцев", "21 месяц"]),
        ("en", ["1 month", "2 months", "5 months", "11 months", "21 months"]),
    ],
)
def test_months_of_arrears_take_the_plural_form_of_the_language(
    language: str, expected: list[str]
) -> None:
    for months, words in zip((1, 2, 5, 11, 21), expected, strict=True):
        context = {**sample("dues_arrears", language), "months": months}
        notice = render("dues_arrears", language, context)
        assert words in notice.subject
        assert words in notice.text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", ["1 күн қалды", "2 күн қалды", "5 күн қалды", "11 күн қалды", "21 күн қалды"]),
        ("ru", ["через 1 день", "через 2 дня", "через 5 дней", "через 11 дней", "через 21 день"]),
        ("en", ["in 1 day", "in 2 days", "in 5 days", "in 11 days", "in 21 days"]),
    ],
)
def test_days_left_to_decide_an_appeal_take_the_plural_form_of_the_language(
    language: str, expected: list[str]
) -> None:
    for days, words in zip((1, 2, 5, 11, 21), expected, strict=True):
        context = {**sample("appeal_pending", language), "days_left": days}
        assert words in render("appeal_pending", language, context).text


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("kk", "2027\u202fж. 28 ақпан"),
        ("ru", "28 февраля 2027\u202fг."),
        ("en", "February 28, 2027"),
    ],
)
def test_the_appeal_deadline_of_a_sanction_is_written_as_the_language_writes_dates(
    language: str, written: str
) -> None:
    """Ch. 5.1: a sanction decided on 30 November may be appealed until 28 February; the member
    is told that day and the body to appeal to."""
    notice = render("sanction_imposed", language, sample("sanction_imposed", language))
    assert written in notice.subject
    assert written in notice.text
    assert NAMES[language]["branch"] in notice.text


@pytest.mark.parametrize(
    ("language", "written"),
    [
        ("kk", "2027\u202fж. 28 ақпан"),
        ("ru", "28 февраля 2027\u202fг."),
        ("en", "February 28, 2027"),
    ],
)
def test_a_moment_is_shown_as_the_day_it_is_in_almaty(language: str, written: str) -> None:
    # 20:30 UTC on 27 February is already 28 February in Almaty (UTC+5)
    assert Formats(language).date(datetime(2027, 2, 27, 20, 30, tzinfo=UTC)) == written


def test_a_moment_without_a_time_zone_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Formats("ru").date(datetime(2027, 2, 27, 20, 30))


@pytest.mark.parametrize(
    ("language", "written"),
    [("kk", "12\xa0500,50\xa0₸"), ("ru", "12\xa0500,50\xa0₸"), ("en", "KZT\xa012,500.50")],
)
def test_amounts_held_in_tiyn_are_written_in_tenge_per_locale(language: str, written: str) -> None:
    text = render("dues_arrears", language, sample("dues_arrears", language)).text
    assert written in text


def test_an_amount_that_is_not_whole_tiyn_is_refused() -> None:
    with pytest.raises(TypeError, match="tiyn"):
        Formats("ru").tenge(125.5)  # type: ignore[arg-type]


def test_an_unknown_template_or_language_is_refused() -> None:
    with pytest.raises(UnknownTemplate):
        render("no_such_notice", "ru", {})
    with pytest.raises(UnknownTemplate):
        render("admitted", "de", sample("admitted", "en"))


def test_an_unknown_code_is_refused_not_printed_raw() -> None:
    context = {**sample("sanction_imposed", "ru"), "sanction": "public_shaming"}
    with pytest.raises(KeyError, match="public_shaming"):
        render("sanction_imposed", "ru", context)


LABELLED: dict[str, type[StrEnum]] = {
    "body": v1.BodyKind,
    "sanction": v1.SanctionKind,
    "outcome": v1.AppealOutcome,
    "end_reason": v1.MembershipEndReason,
    "mandate": v1.MandateKind,
    "mandate_reason": v1.MandateAtStakeReason,
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_the_registry_publishes_has_a_name_in_every_language(language: str) -> None:
    formats = Formats(language)
    for kind, codes in LABELLED.items():
        for code in codes:
            assert formats.label(code.value, kind).strip()


def test_the_template_files_are_exactly_the_listed_notices_in_each_language() -> None:
    for language in LANGUAGES:
        files = {
            p.stem for p in (TEMPLATE_DIR / language).glob("*.txt") if not p.name.startswith("_")
        }
        assert files == set(TEMPLATES)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("kk", ["1 күн қалды", "2 күн қалды", "5 күн қалды", "11 күн қалды", "21 күн қалды"]),
        ("ru", ["осталось 1 день", "осталось 2 дня", "осталось 5 дней", "осталось 11 дней",
                "осталось 21 день"]),
        ("en", ["1 day left", "2 days left", "5 days left", "11 days left", "21 days left"]),
    ],
)  # fmt: skip
def test_the_days_left_to_appeal_take_the_plural_form_of_the_language(
    language: str, expected: list[str]
) -> None:
    """Ch. 5.1: the reminder counts the days to the last day to appeal."""
    for days, words in zip((1, 2, 5, 11, 21), expected, strict=True):
        context = {**sample("appeal_deadline_reminder", language), "days_left": days}
        notice = render("appeal_deadline_reminder", language, context)
        assert words in notice.text
        assert "28" in notice.subject


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_mandate_at_stake_for_a_member_never_seen_admitted_says_the_card_is_unknown(
    language: str,
) -> None:
    """The Bureau is told at once even when the service never read the member's admission (the
    topic's retention dropped it): the card number is said to be unknown, never "None"."""
    context = {**sample("mandate_at_stake", language), "card_number": None}
    notice = render("mandate_at_stake", language, context)
    unknown = {"kk": "бұл қызметке белгісіз", "ru": "неизвестен этой службе",
               "en": "not known to this service"}[language]  # fmt: skip
    assert "None" not in notice.subject + notice.text
    assert unknown in notice.subject
    assert unknown in notice.text
