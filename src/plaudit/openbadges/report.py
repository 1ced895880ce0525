"""A verifier's report: every check it made, each with a verdict and a reason."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"


@dataclass(frozen=True)
class Check:
    name: str
    verdict: Verdict
    message: str


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]
    credential: dict[str, Any] | None

    @property
    def valid(self) -> bool:
        return all(check.verdict is not Verdict.FAILED for check in self.checks)

    @property
    def outcome(self) -> str:
        """'Valid', 'Warning' or 'Invalid', as 1EdTech's validator words its results."""
        if not self.valid:
            return "Invalid"
        if any(check.verdict is Verdict.WARNING for check in self.checks):
            return "Warning"
        return "Valid"

    def check(self, name: str) -> Check | None:
        """The check called `name`, if it ran."""
        return next((check for check in self.checks if check.name == name), None)


def passed(name: str, message: str) -> Check:
    return Check(name, Verdict.PASSED, message)


def failed(name: str, message: str) -> Check:
    return Check(name, Verdict.FAILED, message)


def warning(name: str, message: str) -> Check:
    return Check(name, Verdict.WARNING, message)
