"""Rolls by name in Kazakh alphabetical order, paged after sorting (decision 020)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from partia_registry.adapters.collation import by_name
from partia_registry.composition import Registry
from tests.registry.builders import admit, apply, build_tree, make_iin, person

KAZAKH_AND_LATIN = [
    "Абаев",
    "Бекова",
    "Иванов",
    "Үсенов",
    "Ұлықбеков",
    "Әлібеков",
    "Өтебаев",
    "Smith",
    "Ahmetov",
]
IN_ORDER = [
    "Абаев",
    "Әлібеков",
    "Бекова",
    "Иванов",
    "Өтебаев",
    "Ұлықбеков",
    "Үсенов",
    "Ahmetov",  # Latin-script names after every Cyrillic one
    "Smith",
]


def roll_of(registry: Registry, surnames: list[str]) -> UUID:
    tree = build_tree(registry)
    for i, surname in enumerate(surnames):
        member = apply(registry, tree.ppo, person(make_iin(date(1980, 1, 1 + i)), surname=surname))
        admit(registry, member, tree.ppo)
    position = registry.events.recorder.max_notification_id() or 0
    assert registry.read_model.wait_for(position, timeout=10.0)
    return tree.ppo


def surnames(rows: list[dict[str, object]]) -> list[str]:
    return [str(r["full_name"]).split()[0] for r in rows]


def test_a_roll_by_name_is_in_kazakh_alphabetical_order_with_latin_names_after(
    registry: Registry,
) -> None:
    ppo = roll_of(registry, KAZAKH_AND_LATIN)

    rows, total = registry.reports.roll(
        ppo, on=None, subtree=False, sort="name", limit=100, offset=0
    )
    whole, _ = registry.reports.roll(ppo, on=None, subtree=True, sort="name", limit=None, offset=0)

    assert total == len(IN_ORDER)
    assert surnames(rows) == IN_ORDER
    assert surnames(whole) == IN_ORDER  # the CSV export reads the whole roll this way


def test_pages_of_a_roll_by_name_are_cut_from_the_sorted_roll(registry: Registry) -> None:
    ppo = roll_of(registry, KAZAKH_AND_LATIN)

    pages = [
        registry.reports.roll(ppo, on=None, subtree=False, sort="name", limit=4, offset=offset)
        for offset in (0, 4, 8, 12)
    ]

    assert [surnames(rows) for rows, _ in pages] == [IN_ORDER[0:4], IN_ORDER[4:8], IN_ORDER[8:], []]
    assert {total for _, total in pages} == {len(IN_ORDER)}


def test_russian_names_fit_in_and_the_nine_kazakh_letters_take_their_places() -> None:
    shuffled = ["Яковлев", "Ыбыраев", "Іргебаев", "Эльдаров", "Ёжиков", "Ельцин", "Һашимов"]
    shuffled += ["Хасенов", "Цой", "Ғалиев", "Гүлнар", "Ңаа", "Нұрланов", "Қасым", "Кенжин"]

    assert by_name(shuffled, lambda n: n) == [
        "Гүлнар",
        "Ғалиев",
        "Ельцин",
        "Ёжиков",
        "Кенжин",
        "Қасым",
        "Нұрланов",
        "Ңаа",
        "Хасенов",
        "Һашимов",
        "Цой",
        "Ыбыраев",
        "Іргебаев",
        "Эльдаров",
        "Яковлев",
    ]


def test_an_erased_name_comes_last_and_case_only_breaks_ties() -> None:
    assert by_name(["Бек", None, "абаев", "Абаев"], lambda n: n) == ["абаев", "Абаев", "Бек", None]
