"""What every benchmark's `main` does after parsing its arguments: run, report, exit status.

Exit status: 0 on a clean run (goal met or not, unless --check), 1 when a request failed or a
check found the figures invalid, 2 with --check when a goal was not met, 130 when interrupted.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, Protocol, TypeVar


class BenchmarkFailed(Exception):
    """The run cannot produce a trustworthy figure; the message says why."""


class Figures(Protocol):
    problems: list[str]

    def as_json(self) -> dict[str, Any]: ...


F = TypeVar("F", bound=Figures)


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument(
        "--check", action="store_true", help="exit 2 when a goal is not met (for CI gates)"
    )


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def finish(
    args: argparse.Namespace,
    run: Callable[[argparse.Namespace], F],
    report: Callable[[F], None],
    goal_met: Callable[[F], bool],
    *,
    stopped: str = "the servers were stopped",
) -> int:
    """Run the benchmark, print its report, write --json, and return the exit status."""
    signal.signal(signal.SIGTERM, _raise_interrupt)  # clean up on `kill` as on Ctrl-C
    try:
        figures = run(args)
    except BenchmarkFailed as exc:
        print(f"\n*** BENCHMARK FAILED ***\n{exc}\n", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\ninterrupted; {stopped}", file=sys.stderr)
        return 130
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures.as_json(), indent=2, default=str) + "\n")
    if figures.problems:
        print("*** THE RUN HAD ERRORS: the figures above are not valid ***", file=sys.stderr)
        for problem in figures.problems[:20]:
            print(problem, file=sys.stderr)
        return 1
    return 2 if args.check and not goal_met(figures) else 0
