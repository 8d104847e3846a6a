"""What travels with a grading task, as bytes: the instructor's material for the assignment and
the submitted file.

A worker grades from these alone. It never reads the solutions, the expected results or the
submission from a disk (a worker on another machine need not see the coordinator's files, and a
folder that students can write to is never trusted), and the digest of the material names it, so
that a result says which version of the assignment it was graded against.
"""
from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from grader.intake.reading import MAX_BYTES, Rejected, check_size
from grader.nbgrader.notebooks import release_path, source_path
from grader.plan.blueprint import Blueprint, blueprint
from grader import course
from grader.text import readable


@dataclass(frozen=True)
class Material:
    """The instructor's files of one assignment: the nbgrader source notebook (solutions and
    hidden tests), the release students were given, and the expected results of every check."""
    assignment: str
    source: bytes
    release: bytes
    expected: bytes

    @classmethod
    def from_course(cls, assignment: str) -> "Material":
        """Read from the course (``settings``): the coordinator's own, instructor-only files."""
        expected = course.EXPECTED_DIR / f"{assignment}.json"
        if not expected.exists():
            raise FileNotFoundError(f"{expected} is missing: run `python -m grader build`")
        return cls(assignment, source_path(assignment).read_bytes(),
                   release_path(assignment).read_bytes(), expected.read_bytes())

    @functools.cached_property
    def fingerprint(self) -> str:
        """Changes whenever the source notebook or the expected results change (what a saved
        grade depends on; the release only tells the stubs apart from answers)."""
        return hashlib.sha256(self.source + self.expected).hexdigest()[:16]

    @functools.cached_property
    def digest(self) -> str:
        """Names this exact material (all three files)."""
        digest = hashlib.sha256()
        for part in (self.assignment.encode(), self.source, self.release, self.expected):
            digest.update(hashlib.sha256(part).digest())
        return digest.hexdigest()


@functools.lru_cache(maxsize=16)
def _blueprint(digest: str, material: Material) -> Blueprint:
    return blueprint(material.assignment, material.source.decode("utf-8"),
                     material.release.decode("utf-8"))


@functools.lru_cache(maxsize=16)
def _expected(digest: str, material: Material) -> dict:
    return json.loads(material.expected)


def blueprint_of(material: Material) -> Blueprint:
    """The assignment's blueprint (parsed once per process and material)."""
    return _blueprint(material.digest, material)


def expected_of(material: Material) -> dict:
    """The expected results (parsed once per process and material). Callers must not change it."""
    return _expected(material.digest, material)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class Submitted:
    """A submitted file as read by the coordinator: its name for the row, its SHA-256, and its
    bytes, or instead of them why it cannot be graded (empty, too large, unreadable)."""
    file: str
    sha256: str
    data: bytes | None = None
    problem: str = ""

    @classmethod
    def read(cls, path: Path, max_bytes: int = MAX_BYTES) -> "Submitted":
        """Read ``path`` once; a file over ``max_bytes`` is hashed but never held in memory."""
        name = readable(str(path))
        try:
            with open(path, "rb") as handle:
                size = handle.seek(0, 2)
                handle.seek(0)
                try:
                    check_size(size, max_bytes)
                    data = handle.read(max_bytes + 1)
                    check_size(len(data), max_bytes)      # it may have grown since
                except Rejected as rejected:
                    return cls(name, file_sha256(path), problem=str(rejected))
        except OSError as error:
            return cls(name, "", problem=f"the file cannot be read: {error.strerror or error}")
        return cls(name, hashlib.sha256(data).hexdigest(), data)
