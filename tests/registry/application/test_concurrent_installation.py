"""Several processes starting at once on a new database (`serve` with its runner, two relays, two
instances) each create the tables and load the party: they must all start, and the party be
loaded once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import psycopg
from psycopg.sql import SQL, Identifier

from partia_registry.composition import open_registry
from partia_registry.settings import RegistrySettings


def test_six_starts_at_once_on_a_new_schema_all_succeed_and_load_the_party_once(
    settings: RegistrySettings,
) -> None:
    def start(_: int) -> None:
        open_registry(settings, start_writer=False).close()

    with ThreadPoolExecutor(6) as pool:
        list(pool.map(start, range(6)))  # re-raises the first failure

    with psycopg.connect(str(settings.database_url), autocommit=True) as conn:
        row = conn.execute(
            SQL("SELECT count(*) FROM {} WHERE kind = 'regional_branch'").format(
                Identifier(settings.database_schema, "registry_organisation_index")
            )
        ).fetchone()
    assert row is not None
    assert row[0] == 20  # the 20 regional branches, once (DOMAIN §1)
