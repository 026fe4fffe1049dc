"""The committed JSON Schemas of the integration events: generate, write and check them.

    python -m partia_contracts.schemas write   # regenerate contracts/schemas/
    python -m partia_contracts.schemas check   # exit 1 on a missing, stale or breaking schema

There is one file per event and schema version, `contracts/schemas/<system>/<event_type>.v
<schema_version>.json`, which other teams read. A test runs the check, so a model change that
would break them fails the build, and one that merely changes them must be committed.

Schemas are generated in pydantic's *validation* mode: they describe what a reader accepts,
and compatibility is a question about readers (does the new schema still accept everything
published under the old one?). For these models, whose serialised form is exactly their
input form, the serialisation-mode schema would say the same.
"""

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from partia_contracts.compatibility import incompatibilities
from partia_contracts.finance.v1 import FINANCE_EVENTS
from partia_contracts.notifications.v1 import NOTIFICATION_EVENTS
from partia_contracts.registry.v1 import REGISTRY_EVENTS, IntegrationEvent

__all__ = [
    "JSON_SCHEMA_DIALECT",
    "PUBLISHED_EVENTS",
    "SCHEMA_ROOT",
    "BreakingChangeError",
    "SchemaReview",
    "check_schemas",
    "incompatibilities",
    "main",
    "render",
    "review_schema",
    "review_schemas",
    "schema_for",
    "schema_path",
    "write_schemas",
]

SCHEMA_ROOT = Path(__file__).resolve().parents[1] / "schemas"
"""`contracts/schemas/` of the source checkout (the package is installed editable)."""

PUBLISHED_EVENTS: tuple[type[IntegrationEvent], ...] = (
    REGISTRY_EVENTS + FINANCE_EVENTS + NOTIFICATION_EVENTS
)
"""Every event model that has a committed schema."""

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
WRITE_COMMAND = "python -m partia_contracts.schemas write"


def schema_for(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of `model`, as committed: validation mode, with its dialect."""
    return {"$schema": JSON_SCHEMA_DIALECT, **model.model_json_schema(mode="validation")}


def schema_path(model: type[IntegrationEvent], root: Path = SCHEMA_ROOT) -> Path:
    """Where the schema of `model` is committed: `<root>/<system>/<event_type>.v<n>.json`."""
    event_type = str(model.model_fields["event_type"].default)
    version = model.model_fields["schema_version"].default
    return root / event_type.split(".")[0] / f"{event_type}.v{version}.json"


def render(schema: Mapping[str, Any]) -> str:
    """A schema file's text: pretty-printed, sorted keys, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- Comparing models with committed files -------------------------------------------------


@dataclass(frozen=True)
class SchemaReview:
    """How one model's generated schema compares with its committed file."""

    model: type[IntegrationEvent]
    path: Path
    generated: dict[str, Any]
    committed_text: str | None
    """None when there is no committed file, or it is not a JSON object."""
    breaking: tuple[str, ...]
    """What the model's schema breaks compared with the committed one."""

    @property
    def up_to_date(self) -> bool:
        return self.committed_text == render(self.generated)

    @property
    def problem(self) -> str | None:
        """What is wrong, as a message for the developer; None if nothing is."""
        where = f"{self.path.name} ({self.model.__name__})"
        if self.committed_text is None:
            return f"{where}: no committed schema; run `{WRITE_COMMAND}`."
        if self.breaking:
            version = self.model.model_fields["schema_version"].default
            return (
                f"{where}: breaking change. Published events must stay readable: keep this "
                f"model as it is and publish the change as version {version + 1} (a new "
                "model plus an upcaster from the old version).\n"
                + "\n".join(f"  - {problem}" for problem in self.breaking)
            )
        if not self.up_to_date:
            return f"{where}: out of date with its model; run `{WRITE_COMMAND}`."
        return None


def review_schemas(root: Path = SCHEMA_ROOT) -> list[SchemaReview]:
    """Compare every published model with its committed schema under `root`."""
    return [review_schema(model, root) for model in PUBLISHED_EVENTS]


def review_schema(model: type[IntegrationEvent], root: Path = SCHEMA_ROOT) -> SchemaReview:
    """Compare one model's generated schema with its committed file under `root`."""
    path = schema_path(model, root)
    generated = schema_for(model)
    committed_text = _read_schema_text(path)
    breaking: list[str] = []
    if committed_text is not None:
        breaking = incompatibilities(json.loads(committed_text), generated)
    return SchemaReview(model, path, generated, committed_text, tuple(breaking))


def _read_schema_text(path: Path) -> str | None:
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        is_schema = isinstance(json.loads(text), dict)
    except json.JSONDecodeError:
        return None
    return text if is_schema else None


# --- The two commands ----------------------------------------------------------------------


def check_schemas(root: Path = SCHEMA_ROOT) -> list[str]:
    """Every missing, breaking or stale schema, and every committed schema without a model."""
    reviews = review_schemas(root)
    problems = [review.problem for review in reviews if review.problem is not None]
    return [*problems, *_orphans(reviews, root)]


def _orphans(reviews: list[SchemaReview], root: Path) -> list[str]:
    expected = {review.path for review in reviews}
    return [
        f"{path.name}: committed schema without a model. A published event must stay "
        "readable: restore its model (or delete the file if it was never published)."
        for path in sorted(root.glob("*/*.json"))
        if path not in expected
    ]


class BreakingChangeError(Exception):
    """`write` refused to overwrite committed schemas with breaking changes."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def write_schemas(root: Path = SCHEMA_ROOT, *, allow_breaking: bool = False) -> list[Path]:
    """Write every schema that is missing or out of date; return the paths written.

    Refuses (writing nothing) if that would commit a breaking change, because overwriting
    the committed file would also silence the check: raises `BreakingChangeError` unless
    `allow_breaking` (for events that were never published).
    """
    reviews = review_schemas(root)
    breaking = [review.problem for review in reviews if review.breaking and review.problem]
    if breaking and not allow_breaking:
        raise BreakingChangeError(breaking)
    stale = [review for review in reviews if not review.up_to_date]
    for review in stale:
        review.path.parent.mkdir(parents=True, exist_ok=True)
        review.path.write_text(render(review.generated), encoding="utf-8")
    return [review.path for review in stale]


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: `write` or `check`; returns the exit status."""
    arguments = _parser().parse_args(argv)
    if arguments.command == "write":
        return _write(arguments.root, allow_breaking=arguments.allow_breaking)
    return _check(arguments.root)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m partia_contracts.schemas",
        description="Write or check the committed JSON Schemas of the integration events.",
    )
    parser.add_argument("command", choices=["write", "check"])
    parser.add_argument(
        "--root", type=Path, default=SCHEMA_ROOT, help=f"schema directory (default {SCHEMA_ROOT})"
    )
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="write: overwrite schemas even with breaking changes (only if never published)",
    )
    return parser


def _check(root: Path) -> int:
    problems = check_schemas(root)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"All {len(PUBLISHED_EVENTS)} schemas in {root} match their models.")
    return 0


def _write(root: Path, *, allow_breaking: bool) -> int:
    try:
        written = write_schemas(root, allow_breaking=allow_breaking)
    except BreakingChangeError as error:
        print(error, file=sys.stderr)
        print("Nothing was written.", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    if not written:
        print(f"All {len(PUBLISHED_EVENTS)} schemas in {root} were up to date.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
