"""How a submission's cells map onto the instructor's notebook, so that the grader runs what a
top-to-bottom run of the student's notebook would run.

The instructor's source notebook is the truth for everything but the answers:

* answer cells are taken from the submission, matched by their nbgrader grade id (or, when an
  editor dropped the metadata, by the names they define); duplicated answer cells run in
  notebook order (untouched stubs among them are left out); an answer written in another cell
  (an extra cell, or several answers merged into one) counts, and no stub is ever put back over
  it: a missing answer is simply missing;
* test cells are never taken from the submission: each becomes a *harvest* cell that runs the
  student's objects on the check inputs and hands the results over as plain data; the
  student's own code in a test cell or in a copy of one (Jupyter's copy and paste keeps the
  metadata) still runs, after it;
* other instructor code cells run as the instructor wrote them (code a student added to one
  runs after it); those tagged ``skip-grading`` (slow demos, widgets) do not run at all, and a
  demo cell that the student changed is named in the result;
* code cells the student added run after the cell they followed;
* written (hand-graded) answers are the answer cell's text plus any cells the student added
  right after it.

So editing, deleting, duplicating, reordering or retyping cells, or changing points and metadata,
cannot change what is graded or how much it is worth.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from grader.nbgrader.notebooks import nbgrader_meta
from grader.plan.blueprint import SKIP_TAG, Blueprint, defined_names

MAX_PARSED = 2_000_000            # characters parsed per submission in all


@dataclass
class Matched:
    """How a submission's cells map onto the instructor's notebook.

    ``answers`` holds, per answer grade id, the student's cells to run at that answer's place
    (several when the cell was duplicated: they run in notebook order); ``extra`` the student's
    other code, placed after the source cell it followed; ``manual_text`` the written answers.
    """
    answers: dict                 # grade id -> [(source, position)]
    manual_answered: dict         # grade id -> bool (changed from the stub)
    extra: dict                   # index of the source cell to follow -> [(source, position)]
    notes: list
    positions: dict = field(default_factory=dict)   # answer grade id -> cell number (1-based)
    manual_text: dict = field(default_factory=dict)  # grade id -> the written answer, as submitted


def _lines(source: str) -> set[str]:
    return {line.strip() for line in source.splitlines() if line.strip()}


def remainder(source: str, original: str) -> str:
    """The student's own code in a copy of one of the instructor's cells: the lines that are not
    the instructor's, or "" when only the instructor's lines (and comments) are there."""
    theirs = _lines(original)
    kept = [line for line in source.splitlines() if line.strip() not in theirs]
    code = [line for line in kept if line.strip() and not line.strip().startswith("#")]
    return "\n".join(kept).strip("\n") if code else ""


def _is_stub(cell: dict, stub: str) -> bool:
    return cell["source"].strip() == stub.strip()


def match(plan: Blueprint, cells: list[dict]) -> Matched:
    """Map a submission onto the blueprint (see the module docstring for the rules)."""
    notes: list[str] = []
    number = {id(c): i for i, c in enumerate(cells, start=1)}
    slot_of_gid = {nbgrader_meta(c).get("grade_id"): i for i, c in enumerate(plan.cells)
                   if nbgrader_meta(c).get("grade_id")}
    slot_of_id = {c.get("id"): i for i, c in enumerate(plan.cells) if c.get("id")}
    # an editor that drops or duplicates cell ids still keeps the text of the given cells
    slot_of_text = {c["source"].strip(): i for i, c in enumerate(plan.cells)
                    if c["cell_type"] == "code" and c["source"].strip()}
    text_of_markdown = {c["source"].strip() for c in plan.cells if c["cell_type"] != "code"}
    by_gid: dict[str, list[dict]] = {}
    for cell in cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in slot_of_gid:
            by_gid.setdefault(gid, []).append(cell)
    # the one real copy of each test cell: the first that still reads as released, else the last
    real_test = {}
    for gid in plan.tests:
        copies = by_gid.get(gid, [])
        released = plan.released.get(gid, "").strip()
        real_test[gid] = next((c for c in copies if c["source"].strip() == released),
                              copies[-1] if copies else None)
    used: set[int] = set()          # student cells that run as answers (or are answers' text)
    answers, positions = {}, {}
    defined_by: dict[int, set] = {}
    parse_budget = [MAX_PARSED]

    def names_of(cell):
        if id(cell) not in defined_by:
            source = cell["source"] if cell["cell_type"] == "code" else ""
            parse = parse_budget[0] >= len(source)
            parse_budget[0] -= len(source) if parse else 0
            defined_by[id(cell)] = defined_names(source, parse)
        return defined_by[id(cell)]

    for gid, names in plan.answers.items():
        stub = plan.stubs.get(gid, "")
        copies = [c for c in by_gid.get(gid, []) if c["cell_type"] in ("code", "markdown")]
        if len(copies) > 1:
            edited = [c for c in copies if not _is_stub(c, stub)]
            dropped = len(copies) - len(edited) if edited else 0
            notes.append(f"answer cell {gid!r} appears {len(copies)} times; "
                         + ("they run in notebook order" if not dropped else
                            f"the {len(edited)} edited cop{'ies run' if len(edited) > 1 else 'y runs'}"
                            f" in notebook order (the unedited stub{'s' if dropped > 1 else ''} "
                            "left out)"))
            copies = edited or copies[-1:]
        if not copies and names:
            # no cell carries the answer's metadata: a cell that defines its names stands in
            found = next((c for c in cells if c["cell_type"] == "code"
                          and not nbgrader_meta(c).get("grade_id") and names <= names_of(c)), None)
            if found is not None and id(found) in used:
                notes.append(f"answer {gid!r} was found in cell {number[id(found)]}, which also "
                             "holds other answers")
                answers[gid] = []
                continue
            if found is not None:
                copies = [found]
                notes.append(f"answer cell {gid!r} had lost its grading metadata; it was found by "
                             f"the names it defines ({', '.join(sorted(names))})")
            else:
                owner = next((c for c in cells if id(c) in used and names <= names_of(c)), None)
                if owner is not None:
                    notes.append(f"answer {gid!r} was found in cell {number[id(owner)]}, the "
                                 "cell of another answer")
                    answers[gid] = []
                    continue
        if not copies:
            notes.append(f"answer cell {gid!r} is missing from the submission; graded as not "
                         "answered")
            answers[gid] = []
            continue
        for cell in copies:
            if cell["cell_type"] != "code":
                notes.append(f"answer cell {gid!r} was turned into a {cell['cell_type']} cell; "
                             "its text was run as code")
            used.add(id(cell))
        answers[gid] = [(c["source"], number[id(c)]) for c in copies]
        positions[gid] = number[id(copies[-1])]

    manual, manual_text = {}, {}
    extra: dict[int, list[tuple[str, int]]] = {}
    not_run: list[str] = []
    anchored: set[int] = set()          # source slots a given cell of the submission stood for
    anchor, open_manual = -1, None
    for cell in cells:
        gid = nbgrader_meta(cell).get("grade_id")
        source = cell["source"]
        position = number[id(cell)]
        if gid in plan.manual:
            manual_text[gid] = source
            open_manual = gid
            anchor = slot_of_gid[gid]
            continue
        if cell["cell_type"] != "code":
            if gid is None and open_manual and source.strip() and \
                    cell.get("id") not in slot_of_id and source.strip() not in text_of_markdown:
                manual_text[open_manual] += "\n\n" + source
                notes.append(f"your written answer {open_manual!r} continues in cell {position}, "
                             "a cell you added after it: it goes to the instructor with the answer")
            elif gid is not None or cell.get("id") in slot_of_id or \
                    source.strip() in text_of_markdown:
                open_manual = None
            continue
        open_manual = None
        if id(cell) in used:
            anchor = slot_of_gid.get(gid, anchor)
            continue
        if gid in plan.tests:
            original = plan.released.get(gid, "")
            if cell is real_test[gid]:
                anchor = slot_of_gid[gid]
            code = remainder(source, original)
            if code:
                extra.setdefault(anchor, []).append((code, position))
                what = "holds" if cell is real_test[gid] else "is a copy of it with"
                notes.append(f"cell {position} (test {gid!r}) {what} code of your own: that code "
                             "runs after the test, and the test itself is the grader's")
            continue
        slot = slot_of_gid.get(gid) if gid in slot_of_gid else slot_of_text.get(
            source.strip(), slot_of_id.get(cell.get("id")))
        if slot is None or gid in plan.answers:
            if source.strip():
                extra.setdefault(anchor, []).append((source, position))
            continue
        given = plan.cells[slot]
        if slot in anchored:            # a second copy of a given cell: its place is where it is
            code = remainder(source, given["source"]) if given["cell_type"] == "code" else ""
            if code:
                extra.setdefault(anchor, []).append((code, position))
            continue
        anchored.add(slot)
        anchor = slot
        code = remainder(source, given["source"]) if given["cell_type"] == "code" else ""
        if code and SKIP_TAG in given.get("metadata", {}).get("tags", []):
            not_run.append(f"cell {position} (a demo cell that is not run while grading, with "
                           "your changes)")
        elif code:
            extra.setdefault(anchor, []).append((code, position))
    for gid in plan.manual:
        text = manual_text.get(gid)
        manual[gid] = text is not None and text.strip() not in ("", plan.stubs.get(gid, "").strip(),
                                                               "YOUR ANSWER HERE")
    if not_run:
        notes.append("not run while grading: " + ", ".join(not_run) + "; keep code that your "
                     "answers need in your answer cells")
    return Matched(answers, manual, extra, notes, positions, manual_text)
