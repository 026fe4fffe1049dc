"""Reading a bank statement's dues lines that name the member by IIN (issue 12 item 5, decision
297), and what becomes of them when the registry cannot be asked whose the IIN is."""

from __future__ import annotations

from datetime import date

from partia_finance.adapters.registry import RegistryMembers
from partia_finance.application import commands as c
from partia_finance.application.statements import match_members, read_statement
from partia_kit.iin import check_digit
from partia_kit.testing import free_port
from tests.finance.support import ALMATY
from tests.registry.builders import make_iin

HEADER = "credited_on,amount,currency,document,payer_kind,payer_id,payer_name,purpose"


def lines_of(*rows: str) -> list:  # type: ignore[type-arg]
    return read_statement("\n".join([HEADER, *rows]), ALMATY, "tolkyn")


def test_the_iin_a_dues_line_names_is_kept_for_the_lookup_and_never_put_in_the_command() -> None:
    iin = make_iin(date(1990, 1, 1))
    [line] = lines_of(f"2026-02-03,432.50,KZT,D-1,person,,Абенова Айгерим,взносы ИИН {iin}")
    assert line.iin == iin
    assert isinstance(line.command, c.RecordDuesPayment)
    assert (line.command.member_id, line.command.card_number) == (None, None)
    assert iin not in repr(line.command)


def test_a_dues_line_naming_two_iins_is_left_for_a_person() -> None:
    first, second = make_iin(date(1990, 1, 1)), make_iin(date(1991, 1, 1))
    [line] = lines_of(f"2026-02-03,432.50,KZT,D-2,person,,Абенова Айгерим,взносы {first} {second}")
    assert (line.command, line.rule) == (None, "dues-iin-ambiguous")
    assert "2 IINs" in (line.reason or "")


def test_an_iin_with_an_impossible_birth_date_is_not_valid() -> None:
    """DOMAIN §9: digits 1-6 are the birth date; a right check digit alone does not make an IIN."""
    first = next(
        f"9013013{n:04d}" for n in range(100) if check_digit(f"9013013{n:04d}") is not None
    )
    impossible = first + str(check_digit(first))
    [line] = lines_of(f"2026-02-03,432.50,KZT,D-3,person,,Абенова Айгерим,dues {impossible}")
    assert (line.command, line.rule) == (None, "iin-invalid")
    assert "birth date" in (line.reason or "")


def test_a_card_number_beside_an_iin_is_read_as_a_card_and_the_iin_as_an_iin() -> None:
    iin = make_iin(date(1992, 2, 2))
    [line] = lines_of(
        f"2026-02-03,432.50,KZT,D-4,person,,Абенова Айгерим,взносы билет 0012345 {iin}"
    )
    assert isinstance(line.command, c.RecordDuesPayment)
    assert (line.command.card_number, line.iin) == ("0012345", iin)


def test_a_donors_iin_in_its_own_column_makes_no_dues_line() -> None:
    iin = make_iin(date(1993, 3, 3))
    [line] = lines_of(f"2026-02-03,1000.00,KZT,D-5,person,{iin},Абенова Айгерим,party_funds")
    assert isinstance(line.command, c.ReceiveDonation)
    assert line.iin is None


def test_with_the_registry_unreachable_an_iin_line_waits_for_the_next_import() -> None:
    """Nothing listens on the port: the real adapter cannot ask, the line stays unmatched saying
    why, and the donation beside it is not held up."""
    iin = make_iin(date(1994, 4, 4))
    lines = lines_of(
        f"2026-02-03,432.50,KZT,D-6,person,,Абенова Айгерим,взносы ИИН {iin}",
        "2026-02-03,1000.00,KZT,D-7,anonymous,,,party_funds",
    )
    registry = RegistryMembers(f"http://127.0.0.1:{free_port()}", "a-token", timeout=2)
    try:
        dues, donation = match_members(lines, registry)
    finally:
        registry.close()
    assert (dues.command, dues.rule) == (None, "registry-unavailable")
    assert "import the statement again" in (dues.reason or "")
    assert isinstance(donation.command, c.ReceiveDonation)
