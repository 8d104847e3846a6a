"""``python -m grader feedback``: one self-contained HTML page per student and assignment.

The pages are made from the saved results (``<output>/results/<assignment>/<student>.json``),
the student version of each notebook and, once the instructor has graded the written answers in
the Formgrader, their points and comments from the gradebook; nothing else: the outcomes of
hidden cases are already redacted when they are saved, test-cell sources are never shown, and
neither the expected results (``grader/expected/``) nor the solutions are read. Everything that
comes from a submission or a person (what it returned, error messages, notes, comments) is
HTML-escaped. The task text of a failed test is the markdown that introduces it in the release
notebook, with its maths converted to MathML here, so a page needs no network and no script: it
opens offline, can be mailed, and prints cleanly.

The pages go where nbgrader puts feedback, ``<output>/feedback/<student>/<assignment>/
<assignment>.html``, next to the ``timestamp.txt`` and ``submission_secret.txt`` of the
submission's autograded folder, so that ``nbgrader release_feedback`` releases them and students
get them with *Fetch Feedback* (``nbgrader fetch_feedback``).
"""
from __future__ import annotations

import functools
import html
import re
import sys
from collections.abc import Callable
from pathlib import Path

from grader.course import SECRET_FILE, TIMESTAMP_FILE, UNKNOWN_ASSIGNMENT, OutputTree
from grader.results import FAILED, CellResult, SubmissionResult
from grader.nbgrader.notebooks import nbgrader_meta, release_path
from grader.record.store import Gradebook, Marks, load_result, replace_file

HIDDEN_CASE = re.compile(r"\s*\(hidden case (\d+) of (\d+)\)$")


# --- writing the pages ---------------------------------------------------------------------------

def feedback_path(output: Path, student: str, assignment: str) -> Path:
    """``<output>/feedback/<student>/<assignment>/<assignment>.html``: nbgrader's layout (the
    page is named after the notebook, which is named after the assignment)."""
    return OutputTree(output).feedback(student, assignment)


def _selected(paths, student: str | None, assignment: str | None, warn) -> list:
    """(page student, page assignment, result) for the readable results that are asked for."""
    chosen = []
    for path in paths:
        # the file's place, not its content, names the page: records.result_path made it safe
        page_student, page_assignment = path.stem, path.parent.name
        result = load_result(path)
        if result is None:
            warn(f"skipped {path}: not a readable result")
            continue
        if student is not None and student not in (result.student, page_student):
            continue
        if assignment is not None and assignment not in (result.assignment, page_assignment):
            continue
        chosen.append((page_student, page_assignment, result))
    return chosen


def _gradebook_marks(db_url: str, results: list, warn) -> dict:
    """The instructor's points and comments from the gradebook; {} when there is none yet."""
    gradebook = Gradebook(db_url)
    try:
        return gradebook.marks(results)
    except Exception as error:  # noqa: BLE001 - pages without the hand-graded part beat none
        warn(f"the gradebook could not be read, so the pages leave out the points and comments "
             f"given by hand: {gradebook.describe(error)}")
        return {}


def _copy_submission_files(output: Path, student: str, assignment: str, target: Path,
                           warn) -> None:
    """Put the submission's timestamp and secret next to its page, as nbgrader's
    release_feedback needs them."""
    source = OutputTree(output).autograded(student, assignment)
    missing = []
    for name in (TIMESTAMP_FILE, SECRET_FILE):
        try:
            replace_file(target.parent / name, (source / name).read_bytes())
        except OSError:
            missing.append(name)
    if missing and assignment != UNKNOWN_ASSIGNMENT:
        warn(f"{target}: no {' or '.join(missing)} in {source}, so `nbgrader release_feedback` "
             "cannot release this page: run `python -m grader autograde` again")


def write_feedback(output: Path, student: str | None = None, assignment: str | None = None, *,
                   db_url: str = "", warn: Callable[[str], None] | None = None) -> list[Path]:
    """Write a page for every saved result under ``output/results`` (only those of ``student``
    and/or ``assignment`` when given) to ``feedback_path(...)``, with the points and comments
    given in the Formgrader from the gradebook (``db_url``, default ``output/gradebook.db``);
    return the pages written. Unreadable result files are reported through ``warn`` and
    skipped."""
    warn = warn or (lambda text: print(text, file=sys.stderr))
    output = Path(output)
    chosen = _selected(OutputTree(output).result_files(), student, assignment, warn)
    marks = _gradebook_marks(db_url or OutputTree(output).gradebook_url,
                             [result for _, _, result in chosen], warn)
    written = []
    for page_student, page_assignment, result in chosen:
        target = feedback_path(output, page_student, page_assignment)
        replace_file(target, render_page(result, marks.get((result.student, result.assignment))))
        _copy_submission_files(output, page_student, page_assignment, target, warn)
        written.append(target)
    return written


# --- text, markdown and maths --------------------------------------------------------------------

def text(value) -> str:
    """Escape text from a result; `backticked` words (as in hints) become code."""
    escaped = html.escape(str(value), quote=True)
    return re.sub(r"`([^`\n]+)`", r"<code>\1</code>", escaped)


def _points(value) -> str:
    return f"{float(value or 0):g}"


def _plural(value, word: str) -> str:
    return f"{_points(value)} {word}{'' if float(value or 0) == 1 else 's'}"


def latex_to_html(tex: str, display: bool) -> str:
    """MathML for a LaTeX formula, made here (browsers render MathML without any script);
    the LaTeX source in a <code> element when it cannot be converted."""
    try:
        from latex2mathml.converter import convert

        mathml = convert(tex, display="block" if display else "inline")
        if not mathml.startswith("<math"):
            raise ValueError("not MathML")
        # HTML knows the MathML namespace: the attribute is noise (and a URL nobody should fetch)
        mathml = re.sub(r'^<math xmlns="[^"]*"', "<math", mathml, count=1)
        return _VARIANT_TOKEN.sub(_styled_token, mathml)
    except Exception:  # noqa: BLE001 - a formula the converter cannot handle must not stop a page
        delimiter = "$$" if display else "$"
        return f'<code class="tex">{html.escape(delimiter + tex + delimiter)}</code>'


# Chromium renders MathML Core, which ignores mathvariant="bold" and the like: a bold vector
# would look like a scalar. So styled letters become the Unicode mathematical letters (U+1D400...).
_VARIANT_TOKEN = re.compile(r'<(mi|mn|mo|mtext)((?:\s+[\w-]+="[^"]*")*?)\s+mathvariant="([\w-]+)"'
                            r'((?:\s+[\w-]+="[^"]*")*)>([^<]*)</\1>')
_VARIANT_NAMES = {"bold": "BOLD", "italic": "ITALIC", "bold-italic": "BOLD ITALIC",
                  "double-struck": "DOUBLE-STRUCK", "script": "SCRIPT",
                  "bold-script": "BOLD SCRIPT",
                  "fraktur": "FRAKTUR", "bold-fraktur": "BOLD FRAKTUR", "sans-serif": "SANS-SERIF",
                  "bold-sans-serif": "SANS-SERIF BOLD", "monospace": "MONOSPACE"}
_LETTERLIKE = {"ITALIC SMALL H": "PLANCK CONSTANT", "FRAKTUR CAPITAL C": "BLACK-LETTER CAPITAL C",
               "FRAKTUR CAPITAL H": "BLACK-LETTER CAPITAL H",
               "FRAKTUR CAPITAL I": "BLACK-LETTER CAPITAL I",
               "FRAKTUR CAPITAL R": "BLACK-LETTER CAPITAL R",
               "FRAKTUR CAPITAL Z": "BLACK-LETTER CAPITAL Z"}


def _styled_char(char: str, style: str) -> str:
    import unicodedata

    name = unicodedata.name(char, "")
    rest = re.sub(r"^(LATIN|GREEK) (CAPITAL|SMALL) LETTER ", r"\2 ", name)
    if rest == name and not name.startswith("DIGIT "):
        return char
    for candidate in (f"MATHEMATICAL {style} {rest}", f"{style} {rest}",
                      _LETTERLIKE.get(f"{style} {rest}", "")):
        try:
            return unicodedata.lookup(candidate) if candidate else char
        except KeyError:
            continue
    return char


def _styled_token(match: re.Match) -> str:
    tag, before, variant, after, content = match.groups()
    style = _VARIANT_NAMES.get(variant)
    if style is None:
        return match.group(0)
    styled = "".join(_styled_char(c, style) for c in html.unescape(content))
    if styled == html.unescape(content):
        return match.group(0)
    return f"<{tag}{before}{after}>{html.escape(styled, quote=False)}</{tag}>"


_MATH_OR_CODE = re.compile(
    r"(?P<fence>^[ \t]*(?P<mark>`{3,}|~{3,}).*?^[ \t]*(?P=mark)[ \t]*$)"    # fenced code block
    r"|(?P<code>(?P<ticks>`+).+?(?P=ticks))"                                 # code span
    r"|(?P<escaped>\\\$)"                                                    # a literal dollar
    r"|\$\$(?P<display>.+?)\$\$"                                             # display maths
    r"|\$(?P<inline>[^\s$](?:[^$\n]|\n(?![ \t]*\n))*?(?<![\s\\]))\$",        # inline maths
    re.S | re.M)
_PLACEHOLDER = re.compile(r"MATHPLACEHOLDER(\d+)X")


@functools.lru_cache(maxsize=1)
def _markdown_renderer():
    import mistune

    # escape=False: the markdown is the instructor's (release notebook), never a student's
    return mistune.create_markdown(escape=False, plugins=["strikethrough", "table"])


def markdown_to_html(source: str) -> str:
    """Markdown with ``$...$`` and ``$$...$$`` maths as MathML. The maths are replaced by
    placeholders before the markdown parser runs (so that ``_``, ``*`` and ``\\`` in formulas
    are not read as markdown), and the MathML is put in afterwards."""
    maths: list[str] = []

    def protect(match: re.Match) -> str:
        if match.group("display") is not None or match.group("inline") is not None:
            display = match.group("display") is not None
            maths.append(latex_to_html((match.group("display") if display
                                        else match.group("inline")).strip(), display))
            return f"MATHPLACEHOLDER{len(maths) - 1}X"
        return match.group(0)                      # code and escaped dollars stay as written

    protected = _MATH_OR_CODE.sub(protect, source)
    rendered = _markdown_renderer()(protected)
    return _PLACEHOLDER.sub(lambda m: maths[int(m.group(1))] if int(m.group(1)) < len(maths)
                            else m.group(0), rendered)


# --- the task of a test, from the release notebook -----------------------------------------------

@functools.lru_cache(maxsize=None)
def _release_cells(assignment: str) -> tuple:
    """(cell type, source, nbgrader metadata) of the student version's cells; () if missing."""
    import nbformat

    path = release_path(assignment)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception:  # noqa: BLE001 - no task text is better than no page
        return ()
    cells = []
    for cell in nb.cells:
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        cells.append((cell.get("cell_type"), str(source), nbgrader_meta(cell)))
    return tuple(cells)


def task_markdown(assignment: str, test_id: str) -> str:
    """The markdown that describes what a test checks, from the release notebook.

    The last run of markdown cells between the previous graded or answer cell and the answer
    cell the test belongs to (``test_X`` checks answer ``X``; otherwise the test cell itself).
    When there is none, several answers share one description: the nearest markdown before.
    Answer cells (solution cells, which hold the student's text) are never included.
    """
    if not assignment:
        return ""
    cells = _release_cells(assignment)
    index = {meta.get("grade_id"): i for i, (_, _, meta) in enumerate(cells)
             if meta.get("grade_id")}
    if test_id not in index:
        return ""
    answer = test_id[len("test_"):] if test_id.startswith("test_") else ""
    anchor = index[answer] if index.get(answer, len(cells)) < index[test_id] else index[test_id]

    def boundary(i: int) -> bool:
        meta = cells[i][2]
        return bool(meta.get("grade") or meta.get("solution"))

    def description(i: int) -> bool:
        kind, source, meta = cells[i]
        return kind == "markdown" and not meta.get("solution") and bool(source.strip())

    start = anchor - 1
    while start >= 0 and not boundary(start):
        start -= 1
    end = anchor - 1                               # the last description cell in (start, anchor)
    while end > start and not description(end):
        end -= 1
    if end == start:                               # nothing in between: a shared description
        end = start
        while end >= 0 and not description(end):
            end -= 1
        if end < 0:
            return ""
    first = end
    # the run of markdown, back to the heading that starts its section (not the cells before it)
    while first - 1 >= 0 and description(first - 1) and \
            not cells[first][1].lstrip().startswith("#"):
        first -= 1
    return "\n\n".join(cells[i][1] for i in range(first, end + 1))


def assignment_title(assignment: str) -> str:
    """The first heading of the release notebook, e.g. "Exercise 1: the sigmoid ..."."""
    for kind, source, _ in _release_cells(assignment) if assignment else ():
        if kind == "markdown":
            heading = re.match(r"\s*#+\s+(.+)", source)
            return heading.group(1).strip() if heading else ""
    return ""


# --- the page ------------------------------------------------------------------------------------

CSS = """
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --soft: #f6f8fa;
        --good: #1a7f37; --good-bg: #dafbe1; --bad: #cf222e; --bad-bg: #ffebe9;
        --warn: #9a6700; --warn-bg: #fff8c5; --note-bg: #ddf4ff; --note: #0969da; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.5;
       font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
       sans-serif; }
main { max-width: 52rem; margin: 0 auto; padding: 2rem 1.25rem 3rem; }
h1 { font-size: 1.6rem; margin: .2rem 0 .3rem; line-height: 1.25; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; padding-bottom: .25rem;
     border-bottom: 1px solid var(--line); }
h3 { font-size: 1.05rem; margin: 0 0 .5rem; }
code, pre, .value { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
                    font-size: .88em; }
code { background: var(--soft); padding: .05em .3em; border-radius: 4px; }
.kicker { text-transform: uppercase; letter-spacing: .06em; font-size: .78rem;
          color: var(--muted); margin: 0; }
.meta { color: var(--muted); margin: 0 0 1rem; }
.score { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: baseline;
         padding: .9rem 1.1rem; border: 1px solid var(--line); border-radius: 8px;
         background: var(--soft); }
.score .total { font-size: 1.5rem; font-weight: 700; }
.score .total small { font-size: .95rem; font-weight: 400; color: var(--muted); }
.manual { margin: .6rem 0 0; padding: 0; list-style: none; width: 100%; }
.manual li { margin: .15rem 0; }
.grand-total { margin: .4rem 0 0; width: 100%; }
.comment { white-space: pre-wrap; overflow-wrap: anywhere; }
.box { border: 1px solid; border-left-width: 6px; border-radius: 6px; padding: .8rem 1rem;
       margin: 1.2rem 0; }
.box > :first-child { margin-top: 0; }
.box > :last-child { margin-bottom: 0; }
.box.bad { border-color: var(--bad); background: var(--bad-bg); }
.box.warn { border-color: var(--warn); background: var(--warn-bg); }
.box.note { border-color: var(--note); background: var(--note-bg); }
.box h2 { border: 0; margin: 0 0 .4rem; padding: 0; font-size: 1.1rem; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line);
         vertical-align: top; }
th { font-size: .85rem; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
.badge { display: inline-block; padding: 0 .5em; border-radius: 999px; font-size: .82rem;
         font-weight: 600; white-space: nowrap; }
.badge.passed { color: var(--good); background: var(--good-bg); }
.badge.failed { color: var(--bad); background: var(--bad-bg); }
.test { border: 1px solid var(--line); border-radius: 8px; padding: 1rem 1.1rem; margin: 1rem 0; }
.test > header { display: flex; justify-content: space-between; gap: 1rem; align-items: baseline; }
.task { border-left: 3px solid var(--line); padding: .1rem 0 .1rem .9rem; margin: .6rem 0 1rem;
        color: #31373d; }
.task h1, .task h2, .task h3, .task h4 { font-size: 1rem; border: 0; margin: .6rem 0 .3rem;
                                          padding: 0; }
.label { font-size: .78rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted);
         margin: 0 0 .2rem; }
.outcome { background: var(--soft); border-radius: 6px; padding: .7rem .9rem; margin: .6rem 0; }
.outcome p { margin: 0 0 .4rem; }
.outcome dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem .9rem;
              margin: .3rem 0; }
.outcome dt { color: var(--muted); font-size: .9rem; }
.outcome dd { margin: 0; min-width: 0; }
.value { white-space: pre-wrap; overflow-wrap: anywhere; }
.hint { border-top: 1px dashed var(--line); padding-top: .4rem; margin-top: .4rem; }
.hint.shared { border: 0; background: var(--warn-bg); border-radius: 6px; padding: .6rem .9rem; }
.cases { color: var(--muted); font-size: .9rem; }
.passed-list { list-style: none; padding: 0; margin: 0; }
.passed-list li { padding: .2rem 0; }
.ok { color: var(--good); font-weight: 700; }
math[display="block"] { display: block; margin: .6rem 0; overflow-x: auto; }
code.tex { color: var(--bad); }
footer { margin-top: 2.5rem; color: var(--muted); font-size: .85rem;
         border-top: 1px solid var(--line); padding-top: .6rem; }
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .box, .test, .outcome, tr { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  .score, .outcome, .box, .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""

WHAT_TO_DO_FAILED = ("Fix the problem described above, make sure the notebook opens in Jupyter "
                     "and runs from top to bottom (Kernel &rarr; Restart Kernel and Run All "
                     "Cells), save it, and submit the <code>.ipynb</code> file again. If you "
                     "think the grader is wrong, contact your instructor.")
WHAT_TO_DO_STOPPED = ("The tests after this point could not run and scored 0. Look at that cell: "
                      "a loop that never ends, or work that takes too long or uses too much "
                      "memory. Then check that the whole notebook runs (Kernel &rarr; Restart "
                      "Kernel and Run All Cells) before you submit again.")


def render_page(result: SubmissionResult, marks: Marks | None = None) -> str:
    """The whole feedback page of one result, as a string of HTML; ``marks`` (from the
    gradebook) add the written answers' points and the instructor's comments."""
    assignment = result.assignment or ""
    title = assignment_title(assignment)
    marks = marks or Marks.of_result(result)
    parts = [_header(result, title, marks)]
    if result.status == FAILED:
        parts.append(f'<section class="box bad" role="alert"><h2>This submission could not be '
                     f'graded</h2><p>{text(result.reason or "no reason was recorded")}</p>'
                     f'<p><strong>What to do:</strong> {WHAT_TO_DO_FAILED}</p></section>')
    else:
        if result.reason:
            parts.append(f'<section class="box warn" role="alert"><h2>The grader stopped '
                         f'running your notebook</h2><p>{text(result.reason)}</p>'
                         f'<p><strong>What to do:</strong> {WHAT_TO_DO_STOPPED}</p></section>')
    if result.notes:
        items = "".join(f"<li>{text(note)}</li>" for note in result.notes)
        parts.append(f'<section class="box note"><h2>Notes from the grader</h2><ul>{items}'
                     f'</ul></section>')
    others = {gid: comment for gid, comment in marks.comments.items() if gid not in result.manual}
    if others:
        items = "".join(f"<li><code>{text(gid)}</code>: {_comment(comment)}</li>"
                        for gid, comment in others.items())
        parts.append(f'<section class="box note"><h2>Comments from your instructor</h2>'
                     f'<ul>{items}</ul></section>')
    if result.status != FAILED:
        parts.append(_table(result.cells))
        failed = [c for c in result.cells if not c.passed]
        if failed:
            parts.append("<section><h2>What went wrong</h2>"
                         + "".join(_failed_cell(assignment, c) for c in failed) + "</section>")
        passed = [c for c in result.cells if c.passed]
        if passed:
            parts.append('<section><h2>Passed</h2><ul class="passed-list">'
                         + "".join(_passed_cell(c) for c in passed) + "</ul></section>")
    parts.append(_footer(result, marks))
    heading = " &ndash; ".join(text(x) for x in (assignment or "submission", result.student))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<title>Feedback: {heading}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(parts) + "\n</main>\n</body>\n</html>\n")


def _comment(comment: str) -> str:
    return f'<span class="comment">{text(comment)}</span>'


def _written_answer(gid: str, info: dict, marks: Marks) -> str:
    """One written answer's line: the points given by hand, or what it waits for."""
    points = _plural(info.get("points", 0), "point")
    if gid in marks.manual_scores:
        state = (f"<strong>{_points(marks.manual_scores[gid])} / {points}</strong>, graded by "
                 "your instructor")
    elif not info.get("answered"):
        state = f"up to {points}, graded by your instructor &middot; <strong>not answered</strong> (0 points)"
    else:
        state = f"up to {points}, graded by your instructor &middot; answered: waiting for your instructor"
    comment = marks.comments.get(gid)
    return (f"<li><code>{text(gid)}</code>: {state}"
            + (f'<br>Comment: {_comment(comment)}' if comment else "") + "</li>")


def _header(result: SubmissionResult, title: str, marks: Marks) -> str:
    name = result.assignment or "unknown assignment"
    lines = ['<header>', '<p class="kicker">Feedback on your submission</p>',
             f'<h1>{text(name)}{": " + text(title) if title else ""}</h1>']
    file = Path(result.file).name if result.file else ""
    lines.append(f'<p class="meta">Student: <strong>{text(result.student)}</strong>'
                 + (f" &middot; file: <code>{text(file)}</code>" if file else "") + "</p>")
    if result.status == FAILED:
        total = '<span class="total">not graded</span>'
    else:
        total = (f'<span class="total">{_points(result.score)} / '
                 f'{_plural(result.max_score, "point")} <small>autograded</small></span>')
    manual = ""
    if result.manual and result.status != FAILED:
        items = "".join(_written_answer(gid, info, marks) for gid, info in result.manual.items())
        so_far = "so far, written answers still to be graded" if marks.pending else \
            "tests and written answers"
        manual = (f'<ul class="manual">{items}</ul><p class="grand-total">Total: <strong>'
                  f'{_points(marks.total)} / {_plural(marks.max_score, "point")}</strong> '
                  f'<small>({so_far})</small></p>')
    lines.append(f'<div class="score">{total}{manual}</div>')
    lines.append("</header>")
    return "\n".join(lines)


def _status(cell: CellResult) -> str:
    if cell.passed:
        return '<span class="badge passed">passed</span>'
    label = "not run" if cell.reason.startswith("not run") else "failed"
    return f'<span class="badge failed">{label}</span>'


def _table(cells: list[CellResult]) -> str:
    rows = []
    for cell in cells:
        gid = text(cell.grade_id)
        name = gid if cell.passed else f'<a href="#{gid}">{gid}</a>'
        rows.append(f"<tr><td><code>{name}</code></td><td class=\"num\">{_points(cell.score)} / "
                    f"{_points(cell.points)}</td><td>{_status(cell)}</td></tr>")
    return ('<section><h2>Tests</h2><table><thead><tr><th>test</th><th class="num">points</th>'
            '<th>result</th></tr></thead><tbody>' + "".join(rows) + "</tbody></table></section>")


def _group(outcomes: list[dict]) -> list[tuple[dict, list]]:
    """Failed outcomes that say the same thing, merged: [(outcome, [case labels])]."""
    groups: dict[tuple, tuple[dict, list]] = {}
    for outcome in outcomes:
        tested = str(outcome.get("tested", ""))
        hidden = HIDDEN_CASE.search(tested)
        base = HIDDEN_CASE.sub("", tested)
        key = (outcome.get("check"), base, outcome.get("expected"), outcome.get("got"),
               outcome.get("detail"), outcome.get("hint"))
        entry = groups.setdefault(key, ({**outcome, "tested": base}, []))
        entry[1].append((int(hidden.group(1)), int(hidden.group(2))) if hidden else None)
    return list(groups.values())


def _cases_label(cases: list) -> str:
    visible = [c for c in cases if c is None]
    hidden = sorted(c for c in cases if c is not None)
    parts = []
    if visible:
        parts.append("the example case from the notebook" if len(visible) == 1
                     else f"{len(visible)} example cases from the notebook")
    if hidden:
        numbers = ", ".join(str(i) for i, _ in hidden)
        parts.append(f"hidden case{'s' if len(hidden) > 1 else ''} {numbers} of {hidden[0][1]}")
    return " and ".join(parts)


def _outcome(outcome: dict, cases: list, with_hint: bool = True) -> str:
    rows = []
    if outcome.get("expected"):
        rows.append(f'<dt>expected</dt><dd class="value">{text(outcome["expected"])}</dd>')
    if outcome.get("got"):
        rows.append(f'<dt>you returned</dt><dd class="value">{text(outcome["got"])}</dd>')
    if outcome.get("detail"):
        rows.append(f'<dt>details</dt><dd>{text(outcome["detail"])}</dd>')
    hint = (f'<p class="hint"><strong>Hint:</strong> {text(outcome["hint"])}</p>'
            if outcome.get("hint") and with_hint else "")
    return (f'<div class="outcome"><p><strong>Tested:</strong> {text(outcome.get("tested", ""))}'
            f' <span class="cases">(<code>{text(outcome.get("check", ""))}</code>, '
            f'{text(_cases_label(cases))})</span></p>'
            + (f"<dl>{''.join(rows)}</dl>" if rows else "") + hint + "</div>")


def _failed_cell(assignment: str, cell: CellResult) -> str:
    gid = text(cell.grade_id)
    parts = [f'<article class="test" id="{gid}"><header><h3><code>{gid}</code></h3>'
             f'<span>{_points(cell.score)} / {_plural(cell.points, "point")} {_status(cell)}'
             f'</span></header>']
    task = task_markdown(assignment, cell.grade_id)
    if task:
        parts.append(f'<div class="task"><p class="label">The task</p>{markdown_to_html(task)}'
                     f'</div>')
    outcomes = [o for o in cell.outcomes if isinstance(o, dict)]
    failed = [o for o in outcomes if not o.get("passed")]
    if not failed:
        parts.append(f'<p>{text(cell.reason or "this test did not pass")}</p>')
    groups = _group(failed)
    hints = {str(outcome.get("hint") or "") for outcome, _ in groups}
    shared = hints.pop() if len(groups) > 1 and len(hints) == 1 else ""
    for outcome, cases in groups:
        parts.append(_outcome(outcome, cases, with_hint=not shared))
    if shared:
        parts.append(f'<p class="hint shared"><strong>Hint:</strong> {text(shared)}</p>')
    passed = len(outcomes) - len(failed)
    if outcomes:
        parts.append(f'<p class="cases">{passed} of {len(outcomes)} cases passed; the test '
                     f'scores its points only when all of them pass.</p>')
    parts.append("</article>")
    return "\n".join(parts)


def _passed_cell(cell: CellResult) -> str:
    tested = sorted({HIDDEN_CASE.sub("", str(o.get("tested", ""))) for o in cell.outcomes
                     if isinstance(o, dict)})
    what = f": {text('; '.join(tested))}" if tested else ""
    return (f'<li><span class="ok" aria-hidden="true">&#10003;</span> <code>{text(cell.grade_id)}'
            f'</code> &middot; {_points(cell.score)} / {_plural(cell.points, "point")}{what}</li>')


def _footer(result: SubmissionResult, marks: Marks) -> str:
    bits = ["Made by the course's autograder from your submitted notebook."]
    if result.sha256:
        bits.append(f"File fingerprint (SHA-256) <code>{text(result.sha256[:12])}</code>.")
    if result.seconds:
        bits.append(f"Grading took {result.seconds:.1f} s.")
    if marks.pending and result.status != FAILED:
        bits.append("The points for your written answers are added once your instructor has "
                    "graded them.")
    return f"<footer>{' '.join(bits)}</footer>"
