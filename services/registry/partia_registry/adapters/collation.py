"""Names in Kazakh alphabetical order, by ICU's collation for the `kk` locale (decision 020).

А Ә Б В Г Ғ Д Е Ё Ж З И Й К Қ Л М Н Ң О Ө П Р С Т У Ұ Ү Ф Х Һ Ц Ч Ш Щ Ъ Ы І Ь Э Ю Я: Russian names
fit in because the Russian alphabet is the Kazakh one without its nine letters; Latin-script names
come after every Cyrillic one (ICU's `kk` tailoring puts the Cyrillic script first). Case and
accents only break ties. Sorting happens in Python because names are stored sealed (decision 021):
PostgreSQL never sees them in the clear, so it cannot order by them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import TypeVar

import icu

T = TypeVar("T")

_local = threading.local()  # an ICU collator must not be used by two threads at once


def _collator() -> icu.Collator:
    collator: icu.Collator | None = getattr(_local, "collator", None)
    if collator is None:
        collator = icu.Collator.createInstance(icu.Locale("kk"))
        _local.collator = collator
    return collator


def sort_key(name: str) -> bytes:
    """A byte string that orders as the name does in Kazakh alphabetical order."""
    key: bytes = _collator().getSortKey(name)
    return key


def by_name(items: Iterable[T], name: Callable[[T], str | None]) -> list[T]:
    """Items in Kazakh alphabetical order of their names, those without a name (erased) last;
    a stable sort, so items with equal names keep the order they came in."""
    key = _collator().getSortKey

    def order(item: T) -> tuple[bool, bytes]:
        n = name(item)
        return (True, b"") if n is None else (False, key(n))

    return sorted(items, key=order)
