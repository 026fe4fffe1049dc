"""The auditor's tool as installed from the registry's package alone, and as used in a shell
pipeline."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

import partia_registry
from tests.registry.builders import PARTY_ID


def test_every_library_the_registry_imports_is_installed_with_its_package() -> None:
    """`pip install partia-registry` alone must run every command (partia-audit diff included)."""
    provided = _installed_with("partia-registry")
    providers = metadata.packages_distributions()
    package = Path(partia_registry.__file__).parent
    missing = {}
    for source in package.rglob("*.py"):
        for module in _imported_top_level(source):
            distributions = {_canonical(d) for d in providers.get(module, [])}
            if distributions and not distributions & provided:
                missing[module] = str(source.relative_to(package))
    assert missing == {}


def _imported_top_level(source: Path) -> set[str]:
    tree = ast.parse(source.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _installed_with(distribution: str) -> set[str]:
    """The distribution and everything its requirements (with the extras it asks for, on this
    Python) bring along."""
    seen: set[tuple[str, frozenset[str]]] = set()  # a package again when asked with other extras
    todo = [(distribution, frozenset[str]())]
    while todo:
        name, extras = todo.pop()
        if (_canonical(name), extras) in seen:
            continue
        seen.add((_canonical(name), extras))
        for requirement in map(Requirement, metadata.requires(name) or []):
            applies = requirement.marker is None or any(
                requirement.marker.evaluate({"extra": extra}) for extra in extras | {""}
            )
            if applies:
                todo.append((requirement.name, frozenset(requirement.extras)))
    return {name for name, _ in seen}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_replay_into_a_reader_that_stops_early_ends_quietly(exported: Path) -> None:
    """`partia-audit replay ... | head`: the reader is gone before the report is written."""
    read, write = os.pipe()
    os.close(read)  # like `head` once it has its lines: every write now fails (EPIPE)
    try:
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "partia_registry.audit",
                "replay",
                str(exported),
                "--on",
                "2026-01-01",
                "--organisation",
                str(PARTY_ID),
            ],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    finally:
        os.close(write)
    assert "Traceback" not in run.stderr
    assert "Exception ignored" not in run.stderr
    assert run.stderr == ""
    assert run.returncode == 2
