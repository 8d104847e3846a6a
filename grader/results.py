"""What grading produces, as plain data: one ``SubmissionResult`` per submitted file, holding a
``CellResult`` per test cell. Saved as JSON next to the gradebook, so that feedback, the CSV and
resumed runs all read the same record."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

GRADED, FAILED, SKIPPED = "graded", "failed", "skipped"


@dataclass
class CellResult:
    grade_id: str
    points: float
    score: float
    passed: bool
    reason: str = ""
    outcomes: list = field(default_factory=list)      # Outcome dicts (hidden ones redacted)


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    file: str
    sha256: str
    status: str
    reason: str = ""
    score: float | None = None
    max_score: float = 0.0
    # grade id -> {"points", "answered", "text"}: the hand-graded (written) answers, with the
    # text the instructor reads (the answer cell plus cells the student added right after it)
    manual: dict = field(default_factory=dict)
    cells: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    seconds: float = 0.0                               # wall clock, kernel start included
    cpu_seconds: float = 0.0                           # CPU time of the kernel's process tree
    sandbox: str = ""
    fingerprint: str = ""                              # what the grade depends on, for resuming
    # grade id -> the student's code for that answer as it ran (copies joined), for the
    # autograded notebook; None in results saved before answers were kept
    answers: dict | None = None

    def summary(self) -> str:
        """One line for people: why it was not graded, or where it lost points."""
        if self.status == FAILED:
            return self.reason
        lost = [c for c in self.cells if not c.passed]
        parts = [self.reason] if self.reason else []
        if lost:
            first = lost[0].reason if not lost[0].reason.startswith("not run") else ""
            parts.append(f"failed {len(lost)} of {len(self.cells)} tests: "
                         + ", ".join(c.grade_id for c in lost[:4]) + (" ..." if len(lost) > 4 else "")
                         + (f" ({first})" if first else ""))
        return "; ".join(parts)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> "SubmissionResult":
        data = json.loads(text)
        data["cells"] = [CellResult(**c) for c in data.get("cells", [])]
        return cls(**data)
