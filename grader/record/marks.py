"""A submission's marks as the gradebook holds them: the autograder's part, the instructor's part
and the totals that ``nbgrader export`` reports."""
from __future__ import annotations

from dataclasses import dataclass, field

from grader.results import GRADED, SubmissionResult

PENDING = "pending"


@dataclass
class Marks:
    """A submission's grade as the gradebook holds it: the autograder's part and the
    instructor's part (points for written answers, comments), and the totals that
    ``nbgrader export`` reports."""
    max_score: float = 0.0              # every point: tests and written answers
    total: float | None = None          # as nbgrader export's score (late penalty deducted)
    auto: float | None = None           # the tests' points (an override in the Formgrader counts)
    manual: float | None = None         # the written answers' points given so far
    pending: list = field(default_factory=list)      # written answers waiting to be graded
    manual_scores: dict = field(default_factory=dict)  # grade id -> points given by hand
    comments: dict = field(default_factory=dict)     # grade id -> the instructor's comment

    @classmethod
    def of_result(cls, result: SubmissionResult) -> "Marks":
        """The marks a result alone gives (no gradebook): written answers are pending when
        answered, worth 0 when not."""
        manual_max = sum(float(m.get("points", 0)) for m in result.manual.values())
        if result.status != GRADED:
            return cls(max_score=result.max_score + manual_max)
        pending = [gid for gid, m in result.manual.items() if m.get("answered")]
        return cls(max_score=result.max_score + manual_max, total=result.score,
                   auto=result.score, manual=0.0 if result.manual else None, pending=pending)

    def csv_fields(self, has_manual: bool) -> dict:
        """The CSV's score columns: score is the total, max_score counts the written answers."""
        def number(value):
            return "" if value is None else f"{value:g}"
        manual = PENDING if self.pending else (number(self.manual) if has_manual else "")
        return {"score": number(self.total), "max_score": number(self.max_score),
                "auto_score": number(self.auto), "manual_score": manual}
