"""The writer process behind a read front (decision 313): the service's whole app on a private
local port, started and supervised by `serve`, stopping when `serve` is gone (killed outright).

    python -m partia_kit.http.writer_process <package.module:create_app> <port> <parent pid>
"""

from __future__ import annotations

import os
import signal
import sys

from partia_kit.children import when_parent_gone

PRIVATE_HOST = "127.0.0.1"


def main(argv: list[str]) -> int:
    app_factory, port, parent = argv[0], int(argv[1]), int(argv[2])
    # uvicorn's own SIGTERM handling then finishes the writes in flight.
    when_parent_gone(parent, lambda: os.kill(os.getpid(), signal.SIGTERM))
    import uvicorn

    uvicorn.run(
        app_factory,
        factory=True,
        host=PRIVATE_HOST,
        port=port,
        log_level="warning",
        access_log=False,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
