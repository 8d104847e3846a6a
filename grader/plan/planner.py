"""From a submitted file to the notebook the grader executes.

The instructor's source notebook is the truth for everything but the answers, and the grader
runs what a top-to-bottom run of the student's notebook would run:

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

import ast
import codecs
import json
import re
from dataclasses import dataclass, field


from grader.nbgrader.notebooks import nbgrader_meta

SKIP_TAG = "skip-grading"
MAX_BYTES = 50 * 1024 * 1024
MAX_CELLS = 5_000                 # a notebook with more is not a submission
MAX_PARSED_CELL = 100_000         # characters of one cell that are parsed to find its names
MAX_PARSED = 2_000_000            # characters parsed per submission in all
CHECK_CALL = re.compile(r"^\s*(check|check_hidden)\(\s*\"(\w+)\"\s*,\s*(.+?)\s*\)\s*$")


# JSON may be UTF-16 or UTF-32 (RFC 8259 names them); some Windows editors save with their mark
UNICODE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class Rejected(Exception):
    """The file cannot be graded; the message says why and what to do."""


# --- reading a submission ----------------------------------------------------------------------

def check_size(size: int, max_bytes: int = MAX_BYTES) -> None:
    """Raise ``Rejected`` for an empty file or one over ``max_bytes``."""
    if size == 0:
        raise Rejected("the file is empty: save the notebook in Jupyter and submit it again")
    if size > max_bytes:
        raise Rejected(f"the file is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB "
                       "limit: clear the outputs (Edit > Clear Outputs of All Cells), save and "
                       "submit again")


def parse_submission(raw: bytes, max_bytes: int = MAX_BYTES) -> tuple[list[dict], list[str]]:
    """The cells of a submitted notebook (its bytes) as plain dicts, and notes about what was
    unusual.

    Accepts nbformat 3 and 4, any editor's metadata, sources stored as strings or lists. Raises
    ``Rejected`` with a reason a person can act on for anything that is not a notebook.
    """
    check_size(len(raw), max_bytes)
    notes = []
    encoding = next((name for bom, name in UNICODE_BOMS if raw.startswith(bom)), "utf-8")
    if encoding != "utf-8":
        notes.append(f"the file was saved as {encoding.upper()}; it was read as such (Jupyter "
                     "saves UTF-8)")
    try:
        text = raw.decode(encoding if encoding != "utf-8" else "utf-8-sig")
    except UnicodeDecodeError:
        raise Rejected(f"not a notebook: the file is binary, not text (it starts with bytes "
                       f"{raw[:4].hex(' ')}); submit the .ipynb file itself") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise Rejected(f"not a notebook: invalid JSON at line {error.lineno}, column "
                       f"{error.colno} ({error.msg}); the file was cut off or edited outside "
                       "Jupyter: open it in Jupyter, or submit an earlier copy") from None
    if not isinstance(data, dict):
        raise Rejected("not a notebook: the JSON holds no notebook (no 'cells')")
    major = data.get("nbformat")
    if major == 3 or "worksheets" in data:
        import nbformat

        try:
            data = json.loads(nbformat.writes(nbformat.reads(text, as_version=4)))
            notes.append("converted from the old notebook format 3")
        except Exception as error:  # noqa: BLE001
            raise Rejected(f"an old notebook format that cannot be converted: {error}") from None
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise Rejected("not a notebook: the JSON has no list of 'cells'")
    if len(cells) > MAX_CELLS:
        raise Rejected(f"the notebook has {len(cells):,} cells, more than the {MAX_CELLS:,} that "
                       "can be graded: submit the exercise's notebook itself")
    clean = []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(str(part) for part in source)
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        clean.append({"cell_type": cell.get("cell_type", "code"), "source": str(source),
                      "id": cell.get("id"), "metadata": metadata})
    return clean, notes


# --- the instructor's side ---------------------------------------------------------------------

def defined_names(source: str, parse: bool = True) -> set[str]:
    """Top-level functions and variables a cell defines (for matching cells without metadata).

    With ``parse`` False (the caller's parsing budget is spent) or for code that does not parse,
    the names come from ``def name(`` and ``name =`` at the start of lines."""
    try:
        if not parse or len(source) > MAX_PARSED_CELL:
            raise SyntaxError("not parsed")
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set(re.findall(r"^def (\w+)\(", source, flags=re.M)) | \
            set(re.findall(r"^(\w+)\s*=[^=]", source, flags=re.M))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return names


def check_calls(test_source: str) -> list[tuple[str, str, str]]:
    """``(check_name, variant, expression)`` for every check call in a source test cell."""
    calls = []
    for line in test_source.splitlines():
        match = CHECK_CALL.match(line)
        if match:
            function, name, expression = match.groups()
            calls.append((name, "hidden" if function == "check_hidden" else "visible",
                          expression))
    return calls


@dataclass
class TestCell:
    grade_id: str
    points: float
    calls: list            # (check name, variant, expression)


@dataclass
class Blueprint:
    """What grading an assignment needs from its source notebook."""
    assignment: str
    cells: list                                   # source cells as dicts, in order
    answers: dict = field(default_factory=dict)   # grade id -> defined names (code answers)
    manual: dict = field(default_factory=dict)    # grade id -> points (hand-graded answers)
    tests: dict = field(default_factory=dict)     # grade id -> TestCell
    stubs: dict = field(default_factory=dict)     # grade id -> release stub source
    released: dict = field(default_factory=dict)  # grade id -> the cell as students get it

    @property
    def max_score(self) -> float:
        return sum(t.points for t in self.tests.values())


def blueprint(assignment: str, source_notebook, release_notebook) -> Blueprint:
    """The blueprint of ``assignment`` from its source and release notebooks (each a path or an
    open text file)."""
    import nbformat

    source = json.loads(nbformat.writes(nbformat.read(source_notebook, as_version=4)))["cells"]
    release = json.loads(nbformat.writes(nbformat.read(release_notebook, as_version=4)))["cells"]
    for cells in (source, release):
        for cell in cells:
            if isinstance(cell["source"], list):
                cell["source"] = "".join(cell["source"])
    released = {nbgrader_meta(c).get("grade_id"): c["source"] for c in release
                if nbgrader_meta(c).get("grade_id")}
    stubs = {gid: text for gid, text in released.items()
             if gid in {nbgrader_meta(c).get("grade_id") for c in release
                        if nbgrader_meta(c).get("solution")}}
    plan = Blueprint(assignment, source, stubs=stubs, released=released)
    for cell in source:
        meta = nbgrader_meta(cell)
        gid = meta.get("grade_id")
        if meta.get("grade") and not meta.get("solution"):
            calls = check_calls(cell["source"])
            if not calls:
                raise ValueError(f"{assignment}: test cell {gid} of the source notebook holds no "
                                 "check(...) call")
            plan.tests[gid] = TestCell(gid, float(meta.get("points", 0)), calls)
        elif meta.get("solution") and cell["cell_type"] == "code":
            plan.answers[gid] = defined_names(cell["source"])
        elif meta.get("solution"):
            plan.manual[gid] = float(meta.get("points", 0)) if meta.get("grade") else 0.0
    return plan


# --- matching a submission to the blueprint ----------------------------------------------------

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


# --- the notebook to execute ---------------------------------------------------------------

def _kernel_case(case: dict) -> list:
    """What the kernel gets of a stored case: its seed, the stand-ins' results and, where the
    check has them, the course's fallback functions (never the expected result)."""
    return [case["seed"], case.get("stand_ins", {}), *(
        [case["fallbacks"]] if "fallbacks" in case else [])]


def harvest_source(plan: Blueprint, test: TestCell, nonce: str, stored: dict) -> str:
    """The cell that replaces a test cell: it runs the student's objects on each case (made from
    the case's own seed, never the course's hidden seed) and hands the records over."""
    cases = [[_kernel_case(case) for case in stored["checks"][name][variant]]
             for name, variant, _ in test.calls]
    calls = ",\n    ".join(f"({name!r}, {variant!r}, _grader_cases[{i}], lambda: ({expression}))"
                           for i, (name, variant, expression) in enumerate(test.calls))
    return (f"import json as _grader_json\n"
            f"from course_lib.exercises import harvest as _grader_harvest\n"
            f"_grader_cases = _grader_json.loads({json.dumps(cases)!r})\n"
            f"_grader_harvest({plan.assignment!r}, {nonce!r}, {test.grade_id!r}, [\n    {calls},\n])\n"
            f"del _grader_cases")


def grading_notebook(plan: Blueprint, matched: Matched, nonce: str, stored: dict
                     ) -> tuple[nbformat.NotebookNode, list[dict]]:
    """The notebook to execute, and for each of its cells what it is (for error reports)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    roles = []

    def add(source: str, role: dict):
        nb.cells.append(nbformat.v4.new_code_cell(source))
        roles.append(role)

    for slot in [-1] + list(range(len(plan.cells))):
        if slot >= 0:
            cell = plan.cells[slot]
            meta = nbgrader_meta(cell)
            gid = meta.get("grade_id")
            tags = cell.get("metadata", {}).get("tags", [])
            if cell["cell_type"] == "code" and SKIP_TAG not in tags:
                if gid in plan.tests:
                    add(harvest_source(plan, plan.tests[gid], nonce, stored),
                        {"kind": "test", "grade_id": gid, "position": slot + 1})
                elif gid in plan.answers:
                    for source, position in matched.answers[gid]:
                        add(source, {"kind": "answer", "grade_id": gid, "position": position})
                else:
                    add(cell["source"], {"kind": "given", "grade_id": gid,
                                         "position": slot + 1})
        for source, position in matched.extra.get(slot, []):
            add(source, {"kind": "extra", "grade_id": None, "position": position})
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb, roles
