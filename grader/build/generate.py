"""``python -m grader build``: regenerate what is derived from the instructor sources.

1. ``grader/expected/<assignment>.json``: the expected results of every check, visible and hidden,
   computed by course_lib's reference implementation (never pasted by hand).
2. ``notebooks/<assignment>/``: the student versions, made by nbgrader's generate_assignment
   (solutions replaced by stubs, hidden tests removed).
3. ``grader/expected/rubrics.json``: the model answer and the rubric of every hand-graded answer,
   read from inside its solution region (so the release never holds them), for the Formgrader's
   view of each submission (``grader.record.formgrader_tree``).

``build --check`` builds into a temporary folder and reports every file that differs from the
committed one, and every source notebook that carries outputs; it changes nothing.
"""
from __future__ import annotations

import filecmp
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import nbformat

from course_lib import __version__ as course_lib_version
from course_lib.checks import HIDDEN, VISIBLE, as_json
from course_lib.exercises import VISIBLE_SEED, load

from grader import course
from grader.nbgrader.api import nbgrader_api
from grader.nbgrader.notebooks import (RUBRICS_FILE, hand_graded_answers, is_hand_graded,
                                       notebook_cells, rubric_problems)

__all__ = ["build", "compute_expected", "kernel_language_info", "saved_form", "source_problems"]


def compute_expected(assignment: str, hidden_seed: int = course.HIDDEN_SEED) -> dict:
    """The stored cases of every check of an assignment (see ``Exercise.case``), keyed by check
    name and variant."""
    exercise = load(assignment)
    checks = {name: {VISIBLE: exercise.cases(name, VISIBLE, VISIBLE_SEED),
                     HIDDEN: exercise.cases(name, HIDDEN, hidden_seed)}
              for name in exercise.checks}
    return {"assignment": assignment, "course_lib_version": course_lib_version,
            "visible_seed": VISIBLE_SEED, "hidden_seed": hidden_seed, "checks": checks}


def shown(path: Path) -> str:
    """A path as people see it: relative to the project when it is inside it."""
    try:
        return str(path.relative_to(course.ROOT))
    except ValueError:
        return str(path)


def source_notebooks(assignment: str) -> list[Path]:
    return sorted((course.SOURCE_DIR / assignment).glob("*.ipynb"))


def source_problems(assignment: str) -> list[str]:
    """Sources must be free of outputs and execution counts, and every hand-graded answer must
    carry a complete rubric (``grader.nbgrader.notebooks.rubric_problems``)."""
    problems = []
    for path in source_notebooks(assignment):
        cells = notebook_cells(path)
        dirty = [i for i, cell in enumerate(cells) if cell.get("cell_type") == "code"
                 and (cell.get("outputs") or cell.get("execution_count") is not None)]
        if dirty:
            problems.append(f"{shown(path)}: cells {dirty} have outputs; "
                            "clear them (Kernel > Restart and Clear Outputs) before committing")
        problems += [f"{shown(path)}: {problem}" for cell in cells if is_hand_graded(cell)
                     for problem in rubric_problems(cell)]
    return problems


def rubrics(assignments=course.ASSIGNMENTS) -> dict:
    """assignment -> grade id -> {"points", "model_answer", "rubric"}: what the Formgrader's
    view shows the marker under each hand-graded answer."""
    found = {}
    for assignment in assignments:
        for path in source_notebooks(assignment):
            found.setdefault(assignment, {}).update(
                hand_graded_answers(notebook_cells(path)))
    return found


def _write_expected(assignment: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{assignment}.json"
    path.write_text(as_json(compute_expected(assignment)) + "\n")
    return path


def kernel_language_info(version: str | None = None) -> dict:
    """``metadata.language_info`` as the course's kernel (ipykernel) reports it, which JupyterLab
    writes into a notebook as soon as its kernel starts; with ``version`` for Python's version
    (default: this Python's)."""
    from ipykernel.ipkernel import IPythonKernel

    info = json.loads(json.dumps(IPythonKernel.language_info))
    if version:
        info["version"] = version
    return info


def saved_form(path: Path, version: str | None = None) -> None:
    """Write the notebook ``path`` as JupyterLab would save it right after opening it, so that
    opening it changes nothing and it does not show as modified: nbformat 4.5 with cell ids,
    written by nbformat as Jupyter's contents manager writes it, with the ``language_info`` that
    JupyterLab takes from the kernel (a release whose ``language_info`` was only ``{"name":
    "python"}`` was modified the moment its kernel started). ``version``: Python's version in
    that ``language_info`` (see ``_language_version``)."""
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    if (nb.nbformat, nb.nbformat_minor) < (4, 5):
        nb = nbformat.v4.upgrade(nb, from_version=nb.nbformat, from_minor=nb.nbformat_minor)
    for cell in nb.cells:
        if not cell.get("id"):
            raise ValueError(f"{shown(path)}: a cell without an id")
    nb.metadata["language_info"] = kernel_language_info(version)
    nbformat.validate(nb)
    nbformat.write(nb, path, version=nbformat.NO_CONVERT)


def _language_version(notebook: Path) -> str | None:
    """Python's version in the committed release's ``language_info``, kept so that a build on
    another Python does not rewrite every release (a student's JupyterLab on another Python
    puts its own there anyway, and ``course.py lab`` puts the kernel's into the working copy);
    None, for this Python's, when there is none yet."""
    try:
        info = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["language_info"]
        return info.get("version") if info.get("codemirror_mode") else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _generate_release(assignment: str, release_dir: Path, db_url: str) -> None:
    api = nbgrader_api(release_directory=str(release_dir), db_url=db_url)
    result = api.generate_assignment(assignment, force=True, create=True)
    if not result.get("success"):
        raise RuntimeError(f"nbgrader could not generate {assignment}:\n"
                           f"{result.get('error') or result.get('log')}")
    for checkpoint in (release_dir / assignment).rglob(".ipynb_checkpoints"):
        shutil.rmtree(checkpoint)
    for notebook in sorted((release_dir / assignment).rglob("*.ipynb")):
        committed = course.RELEASE_DIR / notebook.relative_to(release_dir)
        saved_form(notebook, _language_version(committed))


def _differences(built: Path, committed: Path) -> list[str]:
    """Files that differ between two folders, relative to ``committed``."""
    if not committed.exists():
        return [f"{shown(committed)} is missing"]
    report = []
    # Jupyter's checkpoints and caches are not part of the release (git ignores them too)
    comparison = filecmp.dircmp(built, committed,
                                ignore=filecmp.DEFAULT_IGNORES + [".ipynb_checkpoints"])

    def walk(cmp, prefix):
        for name in cmp.left_only:
            report.append(f"{prefix / name} is missing")
        for name in cmp.right_only:
            report.append(f"{prefix / name} should not be there")
        for name in cmp.diff_files:
            report.append(f"{prefix / name} is out of date")
        for name, sub in cmp.subdirs.items():
            walk(sub, prefix / name)

    walk(comparison, Path(shown(committed)))
    return report


MANIFEST = "releases.json"          # in grader/expected/: what the last build wrote to notebooks/


def release_digests(folder: Path) -> dict[str, str]:
    """SHA-256 of every file of a release folder, by path relative to it (checkpoints aside)."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and ".ipynb_checkpoints" not in path.parts}


def _manifest() -> dict:
    path = course.EXPECTED_DIR / MANIFEST
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def edited_release(assignment: str) -> list[str]:
    """Files of ``notebooks/<assignment>/`` that the last build did not write as they are now
    (a student's edits or new files): a build must not destroy them."""
    folder = course.RELEASE_DIR / assignment
    built = _manifest().get(assignment)
    if built is None or not folder.exists():
        return []
    return [shown(folder / name) for name, digest in release_digests(folder).items()
            if built.get(name) != digest]


def build(*, check: bool = False, force: bool = False, assignments=course.ASSIGNMENTS,
          log=print) -> list[str]:
    """Build (or, with ``check``, verify) expected results and student notebooks.

    Releases are generated in a temporary folder and then copied over ``notebooks/``, except
    where a release holds changes the last build did not make (a student working there): those
    are reported and kept, unless ``force``. Returns the problems found (empty when all is well).
    """
    problems = []
    manifest = _manifest()
    with tempfile.TemporaryDirectory(prefix="grader-build-") as tmp:
        tmp = Path(tmp)
        expected_out = tmp / "expected" if check else course.EXPECTED_DIR
        release_out = tmp / "release"
        db_url = f"sqlite:///{tmp / 'gradebook.db'}"
        for assignment in assignments:
            if not source_notebooks(assignment):
                problems.append(f"{shown(course.SOURCE_DIR / assignment)}/ holds no notebook")
                continue
            problems += source_problems(assignment)
            expected = _write_expected(assignment, expected_out)
            _generate_release(assignment, release_out, db_url)
            built = release_digests(release_out / assignment)
            target = course.RELEASE_DIR / assignment
            if check:
                committed = course.EXPECTED_DIR / expected.name
                if not committed.exists() or json.loads(committed.read_text()) != \
                        json.loads(expected.read_text()):
                    problems.append(f"{shown(committed)} is out of date")
                problems += _differences(release_out / assignment, target)
                if manifest.get(assignment) != built:
                    problems.append(f"{shown(course.EXPECTED_DIR / MANIFEST)} is out of date "
                                    f"for {assignment}")
                continue
            edited = edited_release(assignment)
            if edited and not force:
                problems.append(f"{', '.join(edited)} changed since the last build (a student's "
                                "work?): not replaced; copy it somewhere safe, or run `python -m "
                                "grader build --force` to replace it")
                continue
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(release_out / assignment, target)
            manifest[assignment] = built
            log(f"built {assignment}: {shown(expected)}, {shown(target)}/")
    stored = _stored_rubrics()
    built_rubrics = {**stored, **rubrics(assignments)}
    if check:
        if built_rubrics != stored:
            problems.append(f"{shown(course.EXPECTED_DIR / RUBRICS_FILE)} is out of date")
    else:
        (course.EXPECTED_DIR / MANIFEST).write_text(as_json(manifest) + "\n")
        (course.EXPECTED_DIR / RUBRICS_FILE).write_text(
            json.dumps(built_rubrics, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return problems


def _stored_rubrics() -> dict:
    try:
        return json.loads((course.EXPECTED_DIR / RUBRICS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
