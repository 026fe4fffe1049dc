"""What a verification found, said precisely enough for an auditor's report."""

from __future__ import annotations

from dataclasses import dataclass, field

TAMPERING = frozenset({"changed", "removed", "inserted", "reordered"})


class AuditError(Exception):
    """The tool cannot do what it was asked (a bad key or file, a service that does not answer):
    not a finding about the history."""


@dataclass(frozen=True)
class Finding:
    """One problem. `kind` is one of: changed, removed, inserted, reordered (what happened to
    events), truncated, unreadable, header, checkpoint, signature (what happened to the file)."""

    kind: str
    message: str
    line: int | None = None
    position: int | None = None


@dataclass
class Report:
    subject: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    events: int = 0
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not self.findings

    def kinds(self) -> set[str]:
        return {f.kind for f in self.findings}

    def add(
        self, kind: str, message: str, *, line: int | None = None, position: int | None = None
    ) -> None:
        self.findings.append(Finding(kind, message, line, position))

    def render(self) -> str:
        lines = [f"{f.kind.upper()}: {f.message}" for f in self.findings]
        lines += [f"note: {n}" for n in self.notes]
        rate = self.events / self.seconds if self.seconds > 0 else 0.0
        verdict = (
            "OK"
            if self.clean
            else f"FAILED: {len(self.findings)} problem{'s' if len(self.findings) != 1 else ''}"
        )
        lines.append(
            f"{verdict}: {self.subject}: {self.events:,} events checked in {self.seconds:.2f}s"
            f" ({rate:,.0f} events/s)"
        )
        return "\n".join(lines)
