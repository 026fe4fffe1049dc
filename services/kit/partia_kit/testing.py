"""pytest fixtures every service's tests share: `from partia_kit.testing import kafka_broker`.

The broker is real (Tansu, started by the test run) and never skipped: no broker, no pass.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from partia_kit.broker import Broker, start_broker


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """One embedded Kafka-protocol broker for the test session (memory storage)."""
    broker = start_broker(log=tmp_path_factory.mktemp("kafka") / "broker.log")
    try:
        yield broker
    finally:
        broker.stop()
