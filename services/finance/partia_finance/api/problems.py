"""The finance service's refusals as RFC 9457 `application/problem+json`
(`partia_kit.http.problems`, `partia_kit.http.refusals`)."""

from __future__ import annotations

from fastapi import FastAPI

from partia_kit.http import problems
from partia_kit.http.refusals import install_refusal_handlers


def install_problem_handlers(app: FastAPI) -> None:
    problems.install_problem_handlers(app, service="finance")
    install_refusal_handlers(
        app,
        service="finance",
        fields={
            "organisation": "organisation_id",
            "donation": "donation_id",
            "obligation": "obligation_id",
            "member": "member_id",
            "dues account": "member_id",
            "dues payment": "payment_id",
            "party card": "card_number",
        },
    )
