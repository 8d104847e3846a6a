"""Find the submissions in a folder, in nbgrader's layout or as learning platforms export them.

    SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb     nbgrader's layout
    SUBMISSIONS/<student>_<assignment>.ipynb                a flat export

Everything found becomes a ``Submission``; a file whose student or assignment cannot be told
still becomes one, with a ``problem`` that the CSV reports, so nothing goes missing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import settings


@dataclass
class Submission:
    student: str
    assignment: str
    path: Path
    problem: str = ""
    note: str = ""


def _clean_student(name: str) -> str:
    return re.sub(r"\s+", "_", name.strip())


def _from_flat_name(path: Path, assignments) -> Submission:
    stem = re.sub(r"\s*\(\d+\)$", "", path.stem)          # "alice_ex1 (1).ipynb" from downloads
    for assignment in sorted(assignments, key=len, reverse=True):
        match = re.fullmatch(rf"(.+?)[_\-\s]+{re.escape(assignment)}", stem, flags=re.I)
        if match:
            return Submission(_clean_student(match.group(1)), assignment, path)
    return Submission(_clean_student(stem), "", path,
                      problem=f"cannot tell the assignment from the file name {path.name!r}: name "
                              f"files <student>_<assignment>.ipynb with an assignment among "
                              f"{', '.join(assignments)}")


def _from_folder(student_dir: Path, assignment_dir: Path, assignments) -> Submission:
    student = _clean_student(student_dir.name)
    assignment = assignment_dir.name
    if assignment not in assignments:
        return Submission(student, assignment, assignment_dir,
                          problem=f"unknown assignment folder {assignment!r}; expected one of "
                                  f"{', '.join(assignments)}")
    notebooks = sorted(p for p in assignment_dir.glob("*.ipynb") if not p.name.startswith("."))
    expected_name = assignment_dir / f"{assignment}.ipynb"
    if expected_name in notebooks:
        return Submission(student, assignment, expected_name)
    if not notebooks:
        return Submission(student, assignment, assignment_dir,
                          problem=f"no notebook in {assignment_dir.name}/: expected "
                                  f"{assignment}.ipynb")
    newest = max(notebooks, key=lambda p: p.stat().st_mtime)
    note = (f"the notebook is called {newest.name!r}, not {assignment}.ipynb"
            + (f" ({len(notebooks)} notebooks; the newest was graded)" if len(notebooks) > 1
               else ""))
    return Submission(student, assignment, newest, note=note)


def discover(root: Path, assignments=settings.ASSIGNMENTS) -> list[Submission]:
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder of submissions")
    found = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            if entry.suffix.lower() == ".ipynb":
                found.append(_from_flat_name(entry, assignments))
            else:
                found.append(Submission(_clean_student(entry.stem), "", entry,
                                        problem=f"{entry.name!r} is not a notebook (.ipynb) file"))
        elif entry.is_dir():
            subdirs = [d for d in sorted(entry.iterdir()) if d.is_dir() and not d.name.startswith(".")]
            for assignment_dir in subdirs:
                found.append(_from_folder(entry, assignment_dir, assignments))
            if not subdirs:
                found.append(Submission(_clean_student(entry.name), "", entry,
                                        problem=f"{entry.name}/ holds no assignment folder"))
    return found
