"""Similar submissions: pairs of students whose own code in an assignment's answer cells shares
long passages, found with copydetect's winnowing fingerprints (the method of MOSS), run here on
text in memory. No I/O: ``class_report`` reads the notebooks and the release.

A student's *own code* is what they typed into the answer cells (nbgrader ``solution: true``):
each line that is also in the release's text of that cell (the stub, ``raise
NotImplementedError()``) or in the course's reference solution of that cell is left out, and so
is every fingerprint of those two texts (so a reformatted stub line or a canonical one-liner with
other names does not count). The reference solution counts as common ground because short
numerical functions have one natural form: ``1 / (1 + np.exp(-z))`` written by two students
says nothing. (The price: two students who both handed in the reference solution verbatim are
not flagged here.)

copydetect compares *filtered* code: every name becomes ``V``, every function name ``F``, every
string ``S``, whitespace and comments are dropped; renaming variables or reordering functions
does not hide a copied passage. A pair's similarity is the share of each student's own code that
lies in passages both have (``compare_files``); the pair is listed when the smaller of the two
shares reaches ``THRESHOLD`` and both students wrote at least ``MIN_TOKENS`` tokens of own code
(below that, matching is what independent correct answers do).
"""
from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass

import numpy as np
from copydetect import CodeFingerprint, compare_files

# Tuned on tests/test_class_report.py's class and the fairness corpus (docs/instructors.md): a
# verbatim copy scores 1.00, one with renamed variables and reordered helpers 0.74; independent
# correct answers written differently 0.00-0.19 (0.33 for two float32 variants by one author);
# the same small mistake made twice up to 0.60, but with under 45 tokens of own code.
THRESHOLD = 0.6
MIN_TOKENS = 60
NOISE = 25                    # copydetect's k: matching filtered characters below this are noise
GUARANTEE = 30                # a match this long is always found (window = GUARANTEE - NOISE + 1)
MAX_CELL_CHARS = 20_000       # an answer cell longer than this is left out (generated, pasted data)
MAX_PASSAGES = 12             # shared passages shown per pair
MAX_PASSAGE_CHARS = 2_000


@dataclass(frozen=True)
class Passage:
    first: str                # the passage in the first student's code
    second: str               # the matching one in the second's


@dataclass(frozen=True)
class SimilarPair:
    first: str
    second: str
    similarity: float         # min of the two shares
    shares: tuple[float, float]
    passages: tuple[Passage, ...]


@dataclass(frozen=True)
class Similarity:
    pairs: tuple[SimilarPair, ...]     # flagged, most similar first
    compared: int                      # students with enough own code to compare
    too_little: tuple[str, ...]        # students left out: fewer than MIN_TOKENS own tokens
    highest_unflagged: float | None    # the largest similarity of a pair not listed


def own_code(answers: dict[str, str], common: dict[str, list[str]]) -> str:
    """A student's own code of an assignment: each answer cell (grade id -> source), in grade-id
    order, without the lines that ``common`` (grade id -> texts everyone has) holds and without
    cells over ``MAX_CELL_CHARS``."""
    parts = []
    for gid in sorted(answers):
        source = answers[gid] or ""
        if len(source) > MAX_CELL_CHARS:
            continue
        known = {line.strip() for text in common.get(gid, ()) for line in text.splitlines()}
        lines = [line for line in source.splitlines()
                 if line.strip() and line.strip() not in known]
        if lines:
            parts.append("\n".join(lines))
    return "\n\n".join(parts) + ("\n" if parts else "")


def token_count(code: str) -> int:
    """Python tokens of ``code`` that carry meaning (no comments, newlines or indentation)."""
    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENDMARKER}
    try:
        return sum(1 for token in tokenize.generate_tokens(io.StringIO(code).readline)
                   if token.type not in skip)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return len(code.split())


def _fingerprint(code: str, boilerplate=None, window: int | None = None) -> CodeFingerprint:
    return CodeFingerprint("answer.py", NOISE, window or GUARANTEE - NOISE + 1,
                           boilerplate=boilerplate, language="python", fp=io.StringIO(code))


def boilerplate_hashes(common: dict[str, list[str]]) -> np.ndarray:
    """Every fingerprint of the text everyone has (window 1: all of them)."""
    hashes: set = set()
    for texts in common.values():
        for text in texts:
            if text.strip():
                hashes |= set(_fingerprint(text, window=1).hashes)
    return np.array(sorted(hashes))


def _passages(code1: str, code2: str, slices) -> tuple[Passage, ...]:
    starts1, ends1 = slices[0]
    starts2, ends2 = slices[1]
    out = []
    for i in range(min(len(starts1), len(starts2), MAX_PASSAGES)):
        out.append(Passage(code1[int(starts1[i]):int(ends1[i])][:MAX_PASSAGE_CHARS],
                           code2[int(starts2[i]):int(ends2[i])][:MAX_PASSAGE_CHARS]))
    return tuple(out)


def similar_pairs(answers: dict[str, dict[str, str]], common: dict[str, list[str]],
                  threshold: float = THRESHOLD, min_tokens: int = MIN_TOKENS,
                  scores: dict | None = None) -> Similarity:
    """Pairs of students (student -> {grade id -> answer source}) whose own code is alike.
    ``common``: grade id -> the texts every student has for that cell (the release's, the
    reference solution's). ``scores``, when given, receives every compared pair's similarity
    (for tuning)."""
    boilerplate = boilerplate_hashes(common)
    codes = {student: own_code(cells, common) for student, cells in sorted(answers.items())}
    enough = {s: c for s, c in codes.items() if token_count(c) >= min_tokens}
    prints = {s: _fingerprint(c, boilerplate) for s, c in enough.items()}
    students = sorted(prints)
    pairs, highest = [], None
    for i, first in enumerate(students):
        for second in students[i + 1:]:
            overlap, shares, slices = compare_files(prints[first], prints[second])
            value = float(min(shares)) if overlap else 0.0
            if scores is not None:
                scores[(first, second)] = value
            if overlap and value >= threshold:
                pairs.append(SimilarPair(first, second, value,
                                         (float(shares[0]), float(shares[1])),
                                         _passages(enough[first], enough[second], slices)))
            elif highest is None or value > highest:
                highest = value
    pairs.sort(key=lambda p: (-p.similarity, p.first, p.second))
    return Similarity(tuple(pairs), len(students),
                      tuple(s for s in codes if s not in enough), highest)
