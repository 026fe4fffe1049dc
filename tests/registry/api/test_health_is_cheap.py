"""/health stays cheap (issue 10, "Abuse")."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_health_answers_without_the_database_while_ready_reports_it(client: TestClient) -> None:
    """/health is the liveness probe: it must stay cheap and never wait on the database (a slow
    database would get every API process restarted); /ready is the one that asks it."""
    client.app.state.registry.report_pool.close()  # type: ignore[attr-defined]
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/ready").status_code == 503
