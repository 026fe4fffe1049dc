"""Finance learns the registry's organisation tree from the registry's own integration events on a
real broker (decision 191): the registry's relay publishes, finance's consumer applies."""

from __future__ import annotations

from uuid import UUID

from partia_finance.adapters.organisations import OrganisationTree, consumer
from partia_finance.composition import Finance
from partia_kit.auth.scope import party_root
from partia_kit.broker import Broker
from partia_kit.testing import running, wait_for
from partia_registry.composition import Registry
from partia_registry.settings import RegistrySettings
from tests.registry.builders import ASTANA_ID, build_tree
from tests.registry.relay.support import relay_thread


def test_finance_knows_each_organisation_and_the_organisations_above_it_from_the_registrys_events(
    settings: RegistrySettings, registry: Registry, finance: Finance, own_kafka_broker: Broker
) -> None:
    tree = build_tree(registry)
    schema = finance.settings.database_schema
    assert finance.settings.database_url is not None
    follower = consumer(finance.settings.database_url, schema, own_kafka_broker.bootstrap)
    organisations = OrganisationTree(finance.pool.connection, schema)
    with (
        relay_thread(settings, registry, own_kafka_broker.bootstrap),
        running(follower.run, "finance organisations"),
    ):
        wait_for(lambda: organisations.chain(tree.ppo) is not None, what="the PPO in finance")
    party = party_root("baytaq")
    assert organisations.chain(tree.ppo) == [tree.ppo, tree.district, ASTANA_ID, party]
    assert organisations.chain(party) == [party]
    assert organisations.chain(UUID(int=7)) is None
