"""The results store: one JSON file per graded submission, as ``OutputTree.result`` names it,
written whole and read back by resumed runs, the CSV, feedback and reports."""
from __future__ import annotations

from pathlib import Path

from grader.course import OutputTree
from grader.record.atomic import replace_file
from grader.results import SubmissionResult


def save_result(tree: OutputTree, result: SubmissionResult) -> Path:
    path = tree.result(result.student, result.assignment)
    replace_file(path, result.to_json())
    return path


def load_result(path: Path) -> SubmissionResult | None:
    try:
        return SubmissionResult.from_json(path.read_text())
    except (OSError, ValueError, TypeError):
        return None


def load_results(results_dir: Path) -> tuple[list[SubmissionResult], list[Path]]:
    """Every saved result under ``results_dir`` (as ``save_result`` wrote them), and the files
    there that are not readable results."""
    results, unreadable = [], []
    for path in sorted(Path(results_dir).glob("*/*.json")):
        result = load_result(path)
        if result is None:
            unreadable.append(path)
        else:
            results.append(result)
    return results, unreadable
