"""The request line an idempotency fingerprint covers must stay what stored keys were made with."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from partia_kit.http.dependencies import _url_path


@pytest.mark.parametrize(
    "path",
    [
        "/members/6f1c2a9e-0000-4000-8000-000000000001/admission",
        "/organisations",
        "/members/odd?name#with\\marks/admission",  # decoded %3F, %23, %5C in the raw path
        "/members/ünïcode/admission",
    ],
)
def test_the_fingerprinted_path_is_the_one_stored_keys_were_made_with(path: str) -> None:
    """It used to be `request.url.path`; a retry of a request stored then must match it now."""
    request = Request(
        {
            "type": "http",
            "method": "POST",
            "path": path,
            "root_path": "",
            "query_string": b"a=1",
            "headers": [(b"host", b"registry.example:8000")],
            "server": ("127.0.0.1", 8000),
        }
    )

    assert _url_path(request) == request.url.path
