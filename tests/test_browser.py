"""The course in a real browser: Playwright for Python driving the system's Chromium (Debian's
``chromium``; Playwright downloads no browser here) against real ``jupyter lab`` servers, each
started by the test on a free port with a random token and always stopped again.

The student's side, a JupyterLab started as ``python3 course.py lab`` starts it
(``course.lab_options("student")``), on a temporary working folder that holds each student
notebook filled with the solutions (``grader.build.submissions.filled_release``; nothing is written
into ``notebooks/``) and one copy of ex1 with a typical mistake:

* nbgrader's Formgrader and Create Assignment do not show, nor do the Assignment List, the
  Course List and the Nbgrader menu (a self-learner has no exchange), nor Jupyter's news prompt;
  Validate does; ``/formgrader`` does not exist;
* ex1 to ex4 each run whole (*Run > Run All Cells*) without an error output; ex3 and ex4 train
  on MNIST in full, with a generous timeout (it took under two minutes on a loaded 2-core machine);
* moving the sliders of ex1's softmax explorer redraws its plot, and the probability of the
  target it plots moves the right way;
* a failing check shows its message once and no course_lib frame, in the notebook (on
  stderr, without stopping Run All) and in nbgrader's Validate dialog; Validate passes the
  correct notebook.

The instructor's side, a JupyterLab started as ``python3 course.py instructor`` starts it
(``course.lab_options("instructor")``), on a temporary copy of the course (as
tests/test_formgrader.py does): the Nbgrader menu has the Formgrader and Create Assignment;
the Formgrader lists the four assignments and, after ``python -m grader autograde``, the
submission in Manual Grading; the feedback page of ``python -m grader feedback`` renders its
MathML (a ``math`` element laid out as MathML, with a visible bounding box, and a fraction's
numerator above its denominator).

A screenshot of each step goes to a folder that the run prints at its end (``$NN_SCREENSHOTS``,
else a new ``nn-course-screenshots-*`` folder in the system's temporary directory). Skipped,
with the reason, only where Chromium is not installed. No step depends on
timing: every wait is for a condition, with timeouts far above what it takes on a busy 2-core
machine.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import course
from grader.build import submissions
from grader.build.mutants import mutants_of
from browser_helpers import (COMMAND_TIMEOUT, PAGE_TIMEOUT, SECOND, browser, expect,  # noqa: F401
                             need_chromium, shots)
from browser_helpers import open_page as _page
from jupyter_helpers import jupyter_env, jupyter_server

ROOT = course.ROOT
ASSIGNMENTS = ["ex1_softmax", "ex2_backprop", "ex3_mnist", "ex4_deep"]
need_chromium()

RUN_TIMEOUT = {"ex1_softmax": 240 * SECOND, "ex2_backprop": 420 * SECOND,
               "ex3_mnist": 900 * SECOND, "ex4_deep": 900 * SECOND}   # ex3, ex4 train on MNIST
MISTAKE = mutants_of("ex1_softmax")[0]            # sigmoid that overflows at -1000
MISTAKE_NOTEBOOK = "mistake/ex1_softmax.ipynb"
FAILED_LINE = "FAILED sigmoid:"                   # the first line of its check's message
STUDENT = "alice"

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"   # the notebook shown
# Run All has finished (every code cell ran, or an error stopped the run): no cell is running
# or queued, some cell ran, and the kernel is idle. (Before the click takes effect no cell has
# run: each test opens a notebook without outputs in a new kernel.)
RUN_FINISHED = """() => {
  const panel = document.querySelector('%s');
  if (!panel) return false;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
      .map(p => p.textContent.trim());
  return prompts.some(p => /\\[\\d+\\]/.test(p)) && !prompts.some(p => p.includes('*')) &&
      !!panel.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
}""" % NOTEBOOK
# The notebook's kernel is connected and idle. The indicator says "idle" also before a kernel
# exists (and Run All then asks which kernel to start), so it counts only once the server has a
# session with a kernel for the notebook (which the page asks for after it shows "initializing")
# and the toolbar names the kernel (it says "No Kernel" until then). The page is read after the
# server's answer: before it, it may still show the first "idle".
# (Playwright's wait_for_function takes a promise for true, so the request is synchronous.)
KERNEL_READY = """([path, token]) => {
  const request = new XMLHttpRequest();
  request.open('GET', '/api/sessions', false);
  request.setRequestHeader('Authorization', 'token ' + token);
  request.send();
  const sessions = request.status === 200 ? JSON.parse(request.responseText) : [];
  if (!sessions.some(s => s.path === path && s.kernel)) return false;
  const panel = document.querySelector('%s');
  const indicator = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
  const kernel = panel && panel.querySelector(
      '[data-jp-item-name="kernelName"] .jp-ToolbarButtonComponent-label');
  return !!indicator && indicator.dataset.status === 'idle' && !!kernel &&
      kernel.textContent.trim() !== 'No Kernel';
}""" % NOTEBOOK
# JupyterLab renders an error output as text with the mime type of stderr
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


# --- fixtures ------------------------------------------------------------------------------------

def _quiet_lab(tmp: Path) -> None:
    """JupyterLab user settings of a test server (its own JUPYTER_CONFIG_DIR, see jupyter_env):
    every cell rendered (no windowing, so the test sees them all). (No news prompt: that is
    jupyter-config/'s work, which the tests check.)"""
    settings = tmp / "jupyter-config" / "lab" / "user-settings" / "@jupyterlab"
    for plugin, text in (("notebook-extension/tracker", '{"windowingMode": "none"}'),):
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _as_course_py(variables: dict) -> dict:
    """The variables course.py sets for JupyterLab besides the role's: one BLAS thread, as
    `course.environment` gives every command (two kernels would fight over the cores else)."""
    threads = course.environment(interactive=True)["OPENBLAS_NUM_THREADS"]
    return {"OPENBLAS_NUM_THREADS": threads, **variables}


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    """The student's JupyterLab, as `python3 course.py lab` starts it, on a working folder of
    filled-in notebooks (and one with a mistake)."""
    tmp = tmp_path_factory.mktemp("student")
    work = tmp / "work"
    for assignment in ASSIGNMENTS:
        submissions.write(submissions.filled_release(assignment),
                          work / assignment / f"{assignment}.ipynb")
    submissions.write(submissions.filled_release("ex1_softmax", MISTAKE.overrides),
                      work / MISTAKE_NOTEBOOK)
    _quiet_lab(tmp)
    options, variables = course.lab_options("student", work)
    with jupyter_server(ROOT, tmp, args=options, env=_as_course_py(variables),
                        name="student") as server:
        server.work = work
        yield server


class Course:
    """A temporary copy of the course for the instructor's side; grades one submission once."""

    def __init__(self, tmp: Path):
        self.tmp, self.root = tmp, tmp / "course-copy"
        for folder in ("solutions", "notebooks", "grader/expected"):
            shutil.copytree(ROOT / folder, self.root / folder)
        shutil.copy(ROOT / "nbgrader_config.py", self.root)
        # the course's nbgrader settings, and the Formgrader's templates beside them
        settings = self.root / "grader" / "nbgrader"
        shutil.copytree(ROOT / "grader" / "nbgrader" / "templates", settings / "templates")
        shutil.copy(ROOT / "grader" / "nbgrader" / "nbgrader_config.py", settings)
        self.output = self.root / "course"
        self.submissions = tmp / "submissions"
        submissions.write(submissions.filled_release("ex1_softmax", MISTAKE.overrides),
                          self.submissions / f"{STUDENT}_ex1_softmax.ipynb")
        self.graded = False

    def grader(self, *args) -> str:
        done = subprocess.run([sys.executable, "-m", "grader", *args, "--output",
                               str(self.output)], cwd=ROOT, env=jupyter_env(self.tmp),
                              capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=COMMAND_TIMEOUT)
        assert done.returncode == 0, f"grader {args} exited {done.returncode}:\n" \
                                     f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        return done.stdout

    def autograde(self) -> None:
        if not self.graded:
            self.grader("autograde", str(self.submissions))
            self.graded = True


@pytest.fixture(scope="module")
def instructor(tmp_path_factory):
    """The instructor's JupyterLab, as `python3 course.py instructor` starts it, on a copy of
    the course."""
    tmp = tmp_path_factory.mktemp("instructor")
    copy = Course(tmp)
    _quiet_lab(tmp)
    options, variables = course.lab_options("instructor")
    with jupyter_server(copy.root, tmp, args=options, env=_as_course_py(variables),
                        name="instructor") as server:
        server.course = copy
        yield server


# --- helpers -------------------------------------------------------------------------------------

def _open(page, server, path: str = ""):
    """JupyterLab in ``page``, at ``path`` (a notebook: once its kernel is idle), in an empty
    workspace, so that no tab of an earlier page is restored beside it. (The saved workspace is
    deleted first: ``?reset`` and new workspaces were seen to close the notebook just opened,
    when the layout they restore arrives after it.)"""
    status, text = server.request("DELETE", "/lab/api/workspaces/default")
    assert status in (204, 404), f"could not delete the saved workspace: {status} {text[:300]}"
    page.goto(f"{server.url}/lab{'/tree/' + path if path else ''}?token={server.token}")
    page.wait_for_selector("#jp-main-dock-panel")
    if path.endswith(".ipynb"):
        page.wait_for_function(KERNEL_READY, arg=[path, server.token], polling=500)
    return page


def _menu(page, menu: str) -> list[str]:
    """Open a menu of the menu bar; the labels of its visible items."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    items = page.locator(".lm-Menu:visible .lm-Menu-item:visible .lm-Menu-itemLabel")
    items.first.wait_for()
    return [label.strip() for label in items.all_inner_texts() if label.strip()]


def _choose(page, menu: str, item: str) -> None:
    _menu(page, menu)
    page.locator(".lm-Menu:visible .lm-Menu-itemLabel",
                 has_text=re.compile(f"^{re.escape(item)}$")).click()


def _run_all(page, timeout: float) -> None:
    _choose(page, "Run", "Run All Cells")
    page.wait_for_function(RUN_FINISHED, timeout=timeout, polling=500)


def _save(page) -> None:
    _choose(page, "File", "Save Notebook")
    page.wait_for_selector(".lm-TabBar-tab.lm-mod-current:not(.jp-mod-dirty)")


def _saved_errors(server, path: str) -> list[str]:
    """The error outputs of the notebook as saved: 'cell n: ename: evalue'."""
    model = server.get_json(f"/api/contents/{path}?content=1&type=notebook")
    return [f"cell {n}: {output['ename']}: {output['evalue'][:300]}"
            for n, cell in enumerate(model["content"]["cells"]) if cell["cell_type"] == "code"
            for output in cell.get("outputs", []) if output["output_type"] == "error"]


def _validate_button(page):
    """nbgrader's Validate button in the notebook's toolbar."""
    return page.locator(f"{NOTEBOOK} .jp-NotebookPanel-toolbar").get_by_role(
        "button", name="Validate", exact=True)


def _all_ran(page) -> None:
    prompts = page.locator(f"{NOTEBOOK} .jp-CodeCell .jp-InputPrompt").all_inner_texts()
    assert prompts and all(re.search(r"\[\d+\]", p) for p in prompts), prompts


def _code_cell(page, text: str):
    return page.locator(f"{NOTEBOOK} .jp-CodeCell",
                        has=page.locator(".jp-InputArea", has_text=text)).first


# --- the student's side --------------------------------------------------------------------------

def test_students_lab_has_no_instructor_tools(browser, student, shots):
    with _page(browser, shots, 'student-lab', student) as page:
        _open(page, student, "ex1_softmax/ex1_softmax.ipynb")
        shots.take(page, "student-lab")
        menus = [label.strip() for label in
                 page.locator(".lm-MenuBar-itemLabel").all_inner_texts()]
        assert "File" in menus and "Nbgrader" not in menus, menus
        # no Assignment List (it said "No courses found": there is no exchange)
        page.keyboard.press("Control+Shift+C")
        page.locator(".lm-CommandPalette-input").fill("Assignment List")
        assert page.locator(".lm-CommandPalette-item:visible",
                            has_text="Assignment List").count() == 0
        page.keyboard.press("Escape")
        assert _validate_button(page).count() == 1
        # the notebook opened as it is saved: not modified
        assert page.locator(".lm-TabBar-tab.lm-mod-current.jp-mod-dirty").count() == 0
        # and Jupyter's news prompt never came (jupyter-config/ disables the announcements)
        assert page.get_by_text("official Jupyter news").count() == 0
        assert page.locator(".lm-TabBar-tab", has_text="Create Assignment").count() == 0
        assert page.locator("#formgrader").count() == 0
    assert student.get("/formgrader")[0] == 404
    assert student.get("/formgrader/api/assignments")[0] == 404


# the explorer's line under its plot: "cross-entropy  E = -log y1 = -log 0.6439 = 0.4402"
TARGET_PROBABILITY = re.compile(r"E = -log y1 = -log (\S+) =")


def _target_probability(explorer) -> float:
    """y1, the plotted probability of the target class (class 1), as the explorer prints it."""
    text = explorer.locator(".widget-output").first.inner_text()
    found = TARGET_PROBABILITY.search(text)
    assert found, f"no cross-entropy line in the explorer's output: {text!r}"
    return float(found.group(1))


def test_ex1_runs_and_its_softmax_explorer_responds(browser, student, shots):
    with _page(browser, shots, 'ex1-explorer', student) as page:
        _open(page, student, "ex1_softmax/ex1_softmax.ipynb")
        _run_all(page, RUN_TIMEOUT["ex1_softmax"])
        explorer = _code_cell(page, "softmax_explorer(")
        plot = explorer.locator(".widget-output img").first
        plot.wait_for()
        explorer.scroll_into_view_if_needed()
        shots.take(page, "ex1-softmax-explorer")
        sliders = explorer.locator(".widget-slider")
        assert sliders.count() == 5                      # z1..z4 and T
        # z1 (the target's score) to its minimum: y1 falls; then T to its maximum: the
        # distribution flattens and y1, now the smallest probability, rises. The handles are
        # moved with the keyboard (Home, End), which noUiSlider supports. The waits find the
        # plot anew each time: a redraw may put a new <img> in place of the old one.
        output = explorer.locator(".widget-output").first
        for index, key, end, direction in ((0, "Home", "-10", -1), (4, "End", "5", +1)):
            before, y1 = plot.get_attribute("src"), _target_probability(explorer)
            handle = sliders.nth(index).locator(".noUi-handle")
            handle.focus()
            handle.press(key)
            expect(handle).to_have_attribute("aria-valuenow", re.compile(rf"^{end}(\.0*)?$"))
            expect(plot).not_to_have_attribute("src", before)
            # the plot and the line under it are redrawn together; wait for the line
            expect(output).not_to_contain_text(f"-log y1 = -log {y1:.4g} =")
            page.wait_for_selector(f"{NOTEBOOK} .jp-Notebook-ExecutionIndicator"
                                   "[data-status='idle']")     # the last redraw is sent
            shots.take(page, f"ex1-softmax-explorer-slider-{index + 1}-moved")
            moved = _target_probability(explorer)
            assert (moved - y1) * direction > 0, \
                f"moving slider {index + 1} took y1 from {y1} to {moved}"
        _save(page)
        assert _saved_errors(student, "ex1_softmax/ex1_softmax.ipynb") == []
        _all_ran(page)


@pytest.mark.parametrize("assignment", ["ex2_backprop", "ex3_mnist", "ex4_deep"])
def test_notebook_runs_without_errors(browser, student, shots, assignment):
    path = f"{assignment}/{assignment}.ipynb"
    with _page(browser, shots, assignment, student) as page:
        _open(page, student, path)
        _run_all(page, RUN_TIMEOUT[assignment])
        _save(page)
        shots.take(page, f"{assignment}-ran")
        assert _saved_errors(student, path) == []
        _all_ran(page)


def _failed_check_text(text: str) -> None:
    """A failing check's message, shown once, with no traceback through course_lib."""
    assert text.count(FAILED_LINE) == 1, text
    assert "course_lib" not in text and "Traceback" not in text and 'File "' not in text, text


def test_a_failing_check_shows_its_message_once(browser, student, shots):
    with _page(browser, shots, 'failing-check', student) as page:
        _open(page, student, MISTAKE_NOTEBOOK)
        _run_all(page, RUN_TIMEOUT["ex1_softmax"])      # goes on past the failing check
        _save(page)
        assert _saved_errors(student, MISTAKE_NOTEBOOK) == []
        _all_ran(page)
        check = page.locator(f"{NOTEBOOK} .jp-CodeCell", has=page.locator(
            ".jp-Cell-outputArea", has_text=FAILED_LINE))
        assert check.count() == 1
        failed = check.locator(STDERR)                  # printed on stderr, shown in red
        assert failed.count() == 1
        failed.scroll_into_view_if_needed()
        shots.take(page, "failing-check-in-the-notebook")
        _failed_check_text(check.locator(".jp-Cell-outputArea").inner_text())

        _validate_button(page).click()
        message = page.locator(".jp-Dialog #validation-message")
        message.wait_for(timeout=RUN_TIMEOUT["ex1_softmax"])
        shots.take(page, "failing-check-in-validate")
        assert "validation-failed" in message.get_attribute("class")
        _failed_check_text(message.inner_text())
        page.locator(".jp-Dialog button", has_text="OK").click()


def test_validate_passes_the_correct_notebook(browser, student, shots):
    with _page(browser, shots, 'validate', student) as page:
        _open(page, student, "ex1_softmax/ex1_softmax.ipynb")
        _validate_button(page).click()
        message = page.locator(".jp-Dialog #validation-message")
        message.wait_for(timeout=RUN_TIMEOUT["ex1_softmax"])
        shots.take(page, "validate-passes")
        assert "validation-success" in message.get_attribute("class"), message.inner_text()
        assert "Success! Your notebook passes all the tests." in message.inner_text()


# --- the instructor's side -----------------------------------------------------------------------

def test_instructors_lab_has_the_formgrader(browser, instructor, shots):
    with _page(browser, shots, 'formgrader', instructor) as page:
        _open(page, instructor)
        items = _menu(page, "Nbgrader")
        shots.take(page, "instructor-nbgrader-menu")
        assert "Formgrader" in items and "Create assignment" in items, items
        assert "Assignment List" in items, items
        page.locator(".lm-Menu:visible .lm-Menu-itemLabel", has_text=re.compile("^Formgrader$")
                     ).click()
        frame = page.frame_locator("#formgrader iframe")
        table = frame.locator("table")
        for assignment in ASSIGNMENTS:
            table.locator("tr", has_text=assignment).first.wait_for()
        shots.take(page, "formgrader-assignments")
        names = [n.strip() for n in table.locator("tbody tr td:first-child").all_inner_texts()]
        assert sorted(names) == ASSIGNMENTS, names
        # no news prompt (jupyter-config/instructor disables the announcements)
        assert page.get_by_text("official Jupyter news").count() == 0

        instructor.course.autograde()
        frame = page.locator("#formgrader iframe").element_handle().content_frame()
        frame.locator("a", has_text="Manual Grading").first.click()
        frame.wait_for_url("**/formgrader/gradebook")
        for url in ("**/gradebook/ex1_softmax", "**/gradebook/ex1_softmax/ex1_softmax"):
            # the assignment, then its notebook
            frame.locator("table tbody tr a", has_text=re.compile("^ex1_softmax$")).first.click()
            frame.wait_for_url(url)
        rows = frame.locator("table tbody tr", has_text="Submission #")
        rows.first.wait_for()
        assert rows.count() == 1, rows.all_inner_texts()
        frame.get_by_text("Show All Names").click()
        frame.locator("table tbody tr", has_text=STUDENT).first.wait_for()
        shots.take(page, "formgrader-manual-grading")


# Requests a page may make: to this machine only (an exam room has no internet).
LOCAL_HOSTS = ("127.0.0.1", "localhost")
LOCAL_MATHJAX = "/static/jupyter_server_mathjax/"     # served by the package jupyter-server-mathjax
# The package ships MathJax's STIX-Web fonts, not its TeX web fonts. The formulas are drawn in
# STIX-Web; only the hidden MathML that MathJax adds for screen readers names a TeX font (e.g.
# for a double-struck R), which the browser asks for, is refused, and does without.
UNSHIPPED_FONTS = LOCAL_MATHJAX + "fonts/HTML-CSS/TeX/"
DERIVATION = "derivation_softmax_ce"                  # ex1's written answer: a LaTeX derivation
# MathJax 2 has started and typeset the page (formgrade.js listens for the same "End" signal)
MATHJAX_DONE = """() => new Promise(done => {
  if (!window.MathJax || !MathJax.Hub || !MathJax.Hub.Startup) return done(false);
  MathJax.Hub.Startup.signal.Interest(m => { if (m === "End") done(true); });
})"""


def _offline(page) -> tuple[list[str], list[str]]:
    """Make ``page`` offline: every request to a host other than this machine is aborted.
    Returns the lists that fill up as the page works: the URLs aborted, and the local requests
    that failed or were answered with an error status (but for the fonts not shipped)."""
    aborted, failed = [], []

    def route(request_route, request):
        host = urlsplit(request.url).hostname
        if urlsplit(request.url).scheme in ("http", "https", "ws", "wss") and \
                host not in LOCAL_HOSTS:
            aborted.append(request.url)
            request_route.abort("internetdisconnected")
        else:
            request_route.continue_()

    def local(url: str) -> bool:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and not parts.path.startswith(UNSHIPPED_FONTS)

    page.route("**/*", route)
    page.on("requestfailed", lambda r: r.url not in aborted and local(r.url) and
            failed.append(f"{r.url} (failed: {r.failure})"))
    page.on("response", lambda r: r.status >= 400 and local(r.url) and
            failed.append(f"{r.url} ({r.status})"))
    return aborted, failed


def test_manual_grading_renders_latex_without_internet(browser, instructor, shots):
    """The Manual Grading view of the submission typesets the task's and the student's LaTeX
    with the MathJax that the instructor's server serves: no request leaves the machine."""
    instructor.course.autograde()
    (submission,) = instructor.get_json("/formgrader/api/submitted_notebooks/ex1_softmax/"
                                        "ex1_softmax")
    with _page(browser, shots, "formgrader-latex-offline", instructor) as page:
        aborted, failed = _offline(page)
        page.goto(f"{instructor.url}/formgrader/submissions/{submission['id']}/"
                  f"?token={instructor.token}")
        page.wait_for_function(MATHJAX_DONE)
        answer = page.locator(".nbgrader_cell", has=page.locator(f"#{DERIVATION}"))
        answer.wait_for()
        answer.scroll_into_view_if_needed()
        shots.take(page, "formgrader-manual-grading-latex")

        assert aborted == [], f"the page asked for other hosts: {aborted}"
        assert failed == [], f"local requests that failed: {failed}"
        mathjax = page.evaluate("() => [...document.scripts].map(s => s.src)"
                                ".filter(s => s.includes('MathJax.js'))")
        assert len(mathjax) == 1 and urlsplit(mathjax[0]).path.startswith(LOCAL_MATHJAX), mathjax
        assert page.evaluate("() => MathJax.version").startswith("2."), "formgrade.js needs 2"

        # the student's derivation: typeset, displayed and inline, and no TeX left as text
        displayed = answer.locator(".MathJax_Display")
        assert displayed.count() >= 1 and answer.locator(".MathJax").count() >= 4
        box = displayed.first.bounding_box()
        assert box and box["width"] > 50 and box["height"] > 10, box
        text = answer.locator(".rendered_html").inner_text()
        assert "chain rule" in text, text[:300]
        for tex in ("$", "\\partial", "\\frac", "\\sum"):
            assert tex not in text, f"{tex!r} is shown as text: {text[:500]}"
        # the whole page: every formula typeset, none failed
        # (code spans are text on purpose, e.g. ex1's "type maths as `$$...$$`")
        shown = page.evaluate("""() => {
            const code = [...document.querySelectorAll('#notebook-container code, '
                                                       + '#notebook-container pre')];
            code.forEach(element => { element.dataset.display = element.style.display;
                                      element.style.display = 'none'; });
            const text = document.querySelector('#notebook-container').innerText;
            code.forEach(element => { element.style.display = element.dataset.display; });
            return text; }""")
        assert "\\partial" not in shown and "$$" not in shown, shown[:500]
        assert page.locator(".MathJax_Error, .merror").count() == 0
        formulas = page.locator("#notebook-container script[type^='math/tex']").count()
        assert formulas > 10 and page.locator("#notebook-container .MathJax").count() == formulas


def test_feedback_page_renders_its_mathml(browser, instructor, shots):
    instructor.course.autograde()
    instructor.course.grader("feedback")
    page_file = (instructor.course.output / "feedback" / STUDENT / "ex1_softmax" /
                 "ex1_softmax.html")
    assert page_file.exists()
    with _page(browser, shots, 'feedback') as page:
        page.goto(page_file.as_uri())
        maths = page.locator("math")
        assert maths.count() > 0
        maths.first.scroll_into_view_if_needed()
        shots.take(page, "feedback-page")
        box = maths.first.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, box
        assert maths.first.is_visible()
        display = maths.first.evaluate("m => getComputedStyle(m).display")
        assert "math" in display, f"<math> is laid out as {display!r}, not as MathML"
        # a fraction laid out as one: its numerator above its denominator (as plain inline
        # text they would sit side by side)
        fraction = page.locator("math mfrac").first
        fraction.scroll_into_view_if_needed()
        top, bottom = (fraction.locator(":scope > *").nth(i).bounding_box() for i in (0, 1))
        assert top["y"] + top["height"] <= bottom["y"] + 1, (top, bottom)


def test_feedback_equations_scroll_sideways_only(browser, shots, tmp_path):
    """A displayed equation of a feedback page has no vertical scrollbar: its MathML is as tall
    as its box (Chromium gave overflow-x: auto an overflow-y: auto too, and fractions overflowed
    by a few pixels), and a wide one still scrolls sideways."""
    from grader.report.page import render_page
    from grader.report.task_text import _release_cells
    from grader.results import GRADED, CellResult, SubmissionResult

    tests = [meta["grade_id"] for _, _, meta in _release_cells("ex2_backprop")
             if str(meta.get("grade_id", "")).startswith("test_")]
    result = SubmissionResult("alice", "ex2_backprop", "/x/alice.ipynb", "", GRADED, score=0,
                              max_score=2 * len(tests),
                              cells=[CellResult(gid, 2, 0, False, "failed") for gid in tests])
    path = tmp_path / "feedback.html"
    path.write_text(render_page(result), encoding="utf-8")
    with _page(browser, shots, "feedback-equations") as page:
        page.goto(path.as_uri())
        boxes = page.evaluate("""() => [...document.querySelectorAll('math[display=block]')]
            .map(m => [m.scrollHeight, m.clientHeight, getComputedStyle(m).overflowY,
                       getComputedStyle(m).overflowX])""")
        shots.take(page, "feedback-equations", full_page=True)
    assert len(boxes) >= 5, boxes
    for scroll_height, height, overflow_y, overflow_x in boxes:
        assert overflow_y in ("hidden", "visible", "clip") and overflow_x == "auto", boxes
        assert scroll_height <= height, boxes
