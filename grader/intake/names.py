"""Reading who and what a submitted file is from its name, as people and learning platforms
name them, and turning any name into a safe, normalised student id.

Recognised flat names (``<stem>.ipynb``):

    alice_ex1_softmax, alice-ex1_softmax, ex1_softmax_alice     student and assignment
    alice_ex1_softmax (1), alice_ex1_softmax-2, ..._v3           browser copies, resubmissions
    lastfirst_12345_67890_ex1_softmax[-1]                       Canvas (user id, submission id)
    lastfirst_LATE_12345_67890_ex1_softmax                      Canvas, submitted late
    Ann Lee_123456_assignsubmission_file_ex1_softmax            Moodle ("download all")

A student id keeps letters (any script), digits and ``_.@-``; white space becomes ``_``; a name
that is not valid UTF-8 (a Latin-1 byte from an old zip tool) is read as Latin-1.
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass

from grader.text import readable

CANVAS = re.compile(r"^(?P<name>[A-Za-z0-9]+?)(?P<late>_LATE)?_(?P<user>\d+)_(?P<submission>\d+)_"
                    r"(?P<rest>.+)$")
MOODLE = re.compile(r"^(?P<name>.+?)_(?P<user>\d+)_assignsubmission_(?:file|onlinetext)_?"
                    r"(?P<rest>.*)$")
COPY = re.compile(r"^(?P<stem>.*?)(?:\s*\((?P<copy>\d+)\)|[-_](?:v|version)?(?P<version>\d{1,3}))$",
                  re.I)
SEPARATOR = r"[_\-\s.]+"


def student_id(name: str) -> str:
    """A normalised student id: NFKC, white space as ``_``, only letters, digits and ``_.@-``,
    never empty and never a path (no ``/``, no leading dot)."""
    text = unicodedata.normalize("NFKC", readable(name)).strip()
    text = re.sub(r"\s+", "_", text)
    text = re.sub(r"[^\w.@\-]", "", text).strip("._-")
    text = text[:80]
    if not text:
        text = "student_" + hashlib.sha256(os.fsencode(name)).hexdigest()[:8]
    return text


@dataclass
class NameInfo:
    """What a flat file name says: the student (as a raw name), the assignment, how many times it
    was resubmitted (0 for the first), the platform's own user id and whether it was late."""
    student: str
    assignment: str = ""
    version: int = 0
    user: str = ""
    late: bool = False
    platform: str = ""


def _version(stem: str) -> tuple[str, int]:
    """Strip a copy or resubmission suffix: 'x (2)' -> ('x', 2), 'x-1' -> ('x', 1)."""
    match = COPY.match(stem)
    if not match or not match.group("stem"):
        return stem, 0
    number = match.group("copy") or match.group("version")
    return match.group("stem"), int(number)


def _split(stem: str, assignments) -> tuple[str, str]:
    """(student, assignment) of '<student><sep><assignment>' or '<assignment><sep><student>'."""
    for assignment in sorted(assignments, key=len, reverse=True):
        escaped = re.escape(assignment)
        match = re.fullmatch(rf"(.+?){SEPARATOR}{escaped}", stem, flags=re.I)
        if match:
            return match.group(1), assignment
        match = re.fullmatch(rf"{escaped}{SEPARATOR}(.+)", stem, flags=re.I)
        if match:
            return match.group(1), assignment
        if stem.lower() == assignment.lower():
            return "", assignment
    return stem, ""


def _assignment_of(rest: str, assignments) -> tuple[str, int]:
    """The assignment named by a platform's 'original file name' part, and its version."""
    rest, version = _version(rest)
    for assignment in sorted(assignments, key=len, reverse=True):
        if rest.lower() == assignment.lower() or re.search(
                rf"(^|{SEPARATOR}){re.escape(assignment)}($|{SEPARATOR})", rest, flags=re.I):
            return assignment, version
    return "", version


def parse_flat(stem: str, assignments) -> NameInfo:
    """Read a flat export's file stem (the name without ``.ipynb``)."""
    stem = readable(stem).strip()
    canvas = CANVAS.match(stem)
    if canvas:
        assignment, version = _assignment_of(canvas.group("rest"), assignments)
        return NameInfo(canvas.group("name"), assignment, version, canvas.group("user"),
                        bool(canvas.group("late")), "Canvas")
    moodle = MOODLE.match(stem)
    if moodle:
        assignment, version = _assignment_of(moodle.group("rest"), assignments)
        return NameInfo(moodle.group("name"), assignment, version, moodle.group("user"),
                        platform="Moodle")
    base, version = _version(stem)
    student, assignment = _split(base, assignments)
    if not assignment:                       # the suffix may belong to the name: 'alice_v2'?
        student, assignment = _split(stem, assignments)
        version = 0 if assignment else version
    return NameInfo(student, assignment, version if assignment else 0)


def moodle_folder(name: str) -> NameInfo | None:
    """A Moodle per-student folder, 'Ann Lee_123456_assignsubmission_file_'."""
    match = MOODLE.match(readable(name))
    if match and not match.group("rest"):
        return NameInfo(match.group("name"), user=match.group("user"), platform="Moodle")
    return None
