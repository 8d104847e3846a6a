"""Find the submissions in a folder, in nbgrader's layout or as learning platforms export them.

    SUBMISSIONS/<student>/<assignment>/<notebook>.ipynb     nbgrader's layout (nbgrader collect)
    SUBMISSIONS/<flat name>.ipynb                           a flat export (see grader/intake/names.py)
    SUBMISSIONS/<Moodle student folder>/<notebook>.ipynb    Moodle's "download all submissions"

Every file gets a row or a note: a notebook whose student or assignment cannot be told becomes a
``Submission`` with a ``problem`` (a failed row in the CSV); files that are not submissions
(other files, a folder of submissions one level too deep) become ``Skipped`` entries that the run
prints and the CSV lists. When several files belong to one student and assignment (a
resubmission, a stray copy, ``alice_ex1.ipynb`` beside ``alice-ex1.ipynb``), the newest is graded
and the row names the others.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from grader import course
from grader.course import SECRET_FILE, TIMESTAMP_FILE
from grader.intake.names import NameInfo, moodle_folder, parse_flat, student_id
from grader.text import readable

# written next to the notebook by nbgrader submit and collect
NBGRADER_FILES = {TIMESTAMP_FILE, SECRET_FILE}
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f %Z"      # nbgrader's Exchange.timestamp_format
MAX_SECRET_BYTES = 4096


@dataclass
class Submission:
    student: str
    assignment: str
    path: Path
    problem: str = ""
    notes: list = field(default_factory=list)
    version: int = 0                       # resubmission number, to choose among duplicates
    timestamp: str = ""                    # when it was submitted, in nbgrader's format
    user: str = ""                         # the learning platform's own user id, if any
    secret: bytes = b""                    # nbgrader submit's secret, when it came with one


@dataclass
class Skipped:
    path: Path
    reason: str


def shown(path: Path, root: Path) -> str:
    try:
        return readable(str(path.relative_to(root)))
    except ValueError:
        return readable(str(path))


def _is_notebook(path: Path) -> bool:
    return path.suffix.lower() == ".ipynb"


def _not_a_notebook(path: Path, root: Path) -> Skipped:
    kind = "a zip archive: unpack it first" if path.suffix.lower() == ".zip" else \
        "not a notebook (.ipynb) file"
    return Skipped(path, f"{shown(path, root)}: {kind}; not graded")


def _from_name(info: NameInfo, path: Path, root: Path, assignments) -> Submission:
    student = student_id(info.student) if info.student else ""
    sub = Submission(student, info.assignment, path, version=info.version, user=info.user)
    if info.late:
        sub.notes.append(f"{info.platform} marked this submission late")
    if not info.assignment:
        sub.student = student or student_id(path.stem)
        sub.problem = (f"cannot tell the assignment from the file name {shown(path, root)!r}: "
                       f"name files <student>_<assignment>.ipynb with an assignment among "
                       f"{', '.join(assignments)}")
    elif not student:
        sub.student = student_id(path.stem)
        sub.problem = (f"cannot tell the student from the file name {shown(path, root)!r}: "
                       "name files <student>_<assignment>.ipynb")
    return sub


def _timestamp(folder: Path) -> str:
    try:
        with open(folder / TIMESTAMP_FILE, "rb") as handle:
            return readable(handle.read(100).decode("utf-8", "replace")).strip()
    except OSError:
        return ""


def submission_time(sub: Submission) -> str:
    """The submission's time in nbgrader's format: the one ``nbgrader collect`` wrote next to
    it (``sub.timestamp``) when it is readable, else the file's modification time (UTC)."""
    if sub.timestamp:
        # imported only here: importing nbgrader takes half a second, which a folder of
        # notebooks without collect's timestamps need not wait for before its workers start
        from nbgrader.utils import parse_utc

        try:
            parse_utc(sub.timestamp)
            return sub.timestamp
        except (ValueError, OverflowError):
            pass
    try:
        mtime = sub.path.stat().st_mtime
    except OSError:
        return ""
    return datetime.fromtimestamp(mtime, timezone.utc).strftime(TIMESTAMP_FORMAT)


def submission_secret(sub: Submission) -> bytes:
    """The secret ``nbgrader submit`` wrote next to the submission (nbgrader's
    ``<student>/<assignment>/`` layout), else b""."""
    submitted = sub.path if sub.path.is_dir() else sub.path.parent
    return read_secret(submitted / SECRET_FILE) if submitted.name == sub.assignment else b""


def read_secret(path: Path) -> bytes:
    """A secret file's bytes, else b"" (missing, unreadable, empty or too large)."""
    try:
        if path.is_file() and 0 < path.stat().st_size <= MAX_SECRET_BYTES:
            return path.read_bytes()
    except OSError:
        pass
    return b""


def _from_folder(student: str, folder: Path, root: Path, assignments) -> Submission:
    assignment = folder.name
    if assignment not in assignments:
        return Submission(student, readable(assignment), folder,
                          problem=f"unknown assignment folder {shown(folder, root)!r}; expected "
                                  f"one of {', '.join(assignments)}")
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    notebooks = [p for p in entries if p.is_file() and _is_notebook(p)]
    others = [p for p in entries if p not in notebooks and p.name not in NBGRADER_FILES]
    stamp = _timestamp(folder)
    expected = folder / f"{assignment}.ipynb"
    if not notebooks:
        return Submission(student, assignment, folder, timestamp=stamp,
                          problem=f"no notebook in {shown(folder, root)}/: expected "
                                  f"{assignment}.ipynb")
    chosen = expected if expected in notebooks else max(notebooks, key=lambda p: p.stat().st_mtime)
    sub = Submission(student, assignment, chosen, timestamp=stamp)
    if chosen != expected:
        sub.notes.append(f"the notebook is called {readable(chosen.name)!r}, not "
                         f"{assignment}.ipynb")
    rest = [p for p in notebooks if p != chosen]
    if rest:
        sub.notes.append(f"{len(notebooks)} notebooks in {shown(folder, root)}/: graded "
                         f"{readable(chosen.name)!r}; not graded: "
                         + ", ".join(repr(readable(p.name)) for p in rest))
    if others:
        sub.notes.append("also in the folder, not graded: "
                         + ", ".join(repr(readable(p.name)) for p in others[:5])
                         + (" ..." if len(others) > 5 else ""))
    return sub


def _holds_assignments(folder: Path, assignments) -> bool:
    try:
        return any(d.is_dir() and d.name in assignments for d in folder.iterdir())
    except OSError:
        return False


def _student_folder(entry: Path, root: Path, assignments, skipped: list) -> list[Submission]:
    moodle = moodle_folder(entry.name)
    student = student_id(moodle.student if moodle else entry.name)
    found = []
    children = sorted(p for p in entry.iterdir() if not p.name.startswith("."))
    folders = [d for d in children if d.is_dir()]
    for child in children:
        if child.is_file() and _is_notebook(child):
            info = parse_flat(child.stem, assignments)
            if not info.assignment:
                skipped.append(Skipped(child, f"{shown(child, root)}: cannot tell which "
                                              "assignment this notebook is; not graded"))
                continue
            sub = Submission(student, info.assignment, child, version=info.version,
                             user=moodle.user if moodle else "")
            if not moodle:
                sub.notes.append(f"{shown(child, root)} lies in the student's folder, not in an "
                                 "assignment folder")
            found.append(sub)
        elif child.is_file():
            skipped.append(_not_a_notebook(child, root))
    for folder in folders:
        if folder.name not in assignments and any(
                _holds_assignments(d, assignments) for d in folder.iterdir() if d.is_dir()):
            skipped.append(Skipped(folder, f"{shown(folder, root)}/ holds student folders: it "
                                           "looks like a folder of submissions one level too "
                                           f"deep; grade it with SUBMISSIONS = {shown(folder, root)}"))
            continue
        found.append(_from_folder(student, folder, root, assignments))
    if not found and not any(s.path.parent == entry for s in skipped):
        skipped.append(Skipped(entry, f"{shown(entry, root)}/ holds no assignment folder and no "
                                      "notebook; not graded"))
    return found


def _disambiguate(subs: list[Submission]) -> None:
    """Two platform users whose names normalise alike keep apart: their ids get the user id."""
    users: dict[str, set] = {}
    for sub in subs:
        if sub.user:
            users.setdefault(sub.student, set()).add(sub.user)
    for sub in subs:
        if sub.user and len(users.get(sub.student, ())) > 1:
            sub.student = f"{sub.student}_{sub.user}"


def _newest_first(subs: list[Submission]) -> list[Submission]:
    def key(sub):
        try:
            mtime = sub.path.stat().st_mtime
        except OSError:
            mtime = 0.0
        return (sub.version, mtime, str(sub.path))
    return sorted(subs, key=key, reverse=True)


def _one_per_student(subs: list[Submission], root: Path) -> list[Submission]:
    """One submission per student and assignment: the newest; the row names the others."""
    groups: dict[tuple, list[Submission]] = {}
    for sub in subs:
        groups.setdefault((sub.student, sub.assignment), []).append(sub)
    chosen = []
    for (_, assignment), group in groups.items():
        if len(group) == 1 or not assignment:
            chosen += group
            continue
        ordered = _newest_first([s for s in group if not s.problem]) or _newest_first(group)
        best = ordered[0]
        others = [s for s in group if s is not best]
        best.notes.insert(0, f"{len(group)} files for this student and assignment: graded "
                             f"{shown(best.path, root)!r} (the newest); not graded: "
                             + ", ".join(repr(shown(s.path, root)) for s in others))
        chosen.append(best)
    return chosen


def discover(root: Path, assignments=course.ASSIGNMENTS) -> tuple[list[Submission],
                                                                  list[Skipped]]:
    """The submissions under ``root`` (one per student and assignment) and what was skipped."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder of submissions")
    found: list[Submission] = []
    skipped: list[Skipped] = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_file() and _is_notebook(entry):
            found.append(_from_name(parse_flat(entry.stem, assignments), entry, root, assignments))
        elif entry.is_file():
            skipped.append(_not_a_notebook(entry, root))
        elif entry.is_dir():
            found += _student_folder(entry, root, assignments, skipped)
    _disambiguate(found)
    chosen = _one_per_student(found, root)
    for sub in chosen:                     # read once, here; carried in the record from now on
        if sub.assignment in assignments:
            sub.timestamp, sub.secret = submission_time(sub), submission_secret(sub)
    return chosen, skipped
