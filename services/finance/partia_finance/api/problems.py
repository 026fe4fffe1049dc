"""The finance service's refusals as RFC 9457 `application/problem+json`
(`partia_kit.http.problems`)."""

from __future__ import annotations

from fastapi import FastAPI

from partia_kit.http import problems


def install_problem_handlers(app: FastAPI) -> None:
    problems.install_problem_handlers(app, service="finance")
