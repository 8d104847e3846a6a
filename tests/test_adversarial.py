"""The adversarial corpus (tests/corpora/adversarial.py), graded in one batch by `python -m grader autograde`'s
machinery with a real kernel in the sandbox: every cheating attempt, broken submission and mangled
file gets exactly the score and reason it should, nothing is left running and the batch never
aborts.

Cases whose protection this machine cannot give (no bubblewrap, or no way to limit processes)
are not run at all: running them unprotected would be unsafe (one of them overwrites every
gradebook it can find) and would prove nothing.
"""
import json
import os
import resource
from pathlib import Path

import pytest

from grader.run import cgroups
from corpora import adversarial as corpus
from grader.run import sandbox
from grader import course
from grader.autograde import Options, autograde
from grader.run.cgroups import cgroup_host
from grader.run.limits import Limits
from grader.grade import FAILED
from grader.run.launch import BATCH_VARIABLE, TAG_VARIABLE

AVAILABLE = {"": True, "sandbox": sandbox.describe()[0] == "bubblewrap"}
RUNNABLE = [c for c in corpus.CASES if AVAILABLE[c.needs]]


def _processes_named(fragment: str) -> int:
    count = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                if fragment.encode() in handle.read():
                    count += 1
        except OSError:
            continue
    return count


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    before = _processes_named("sleep\x00600")
    corpus.write_corpus(folder / "submissions", RUNNABLE)
    options = Options(jobs=2, force=True, output=folder / "out",
                      limits=Limits(cell_cpu_seconds=15, notebook_cpu_seconds=120,
                                    wall_factor=6))
    results = autograde(folder / "submissions", options, log=lambda line: None)
    batch = os.environ[BATCH_VARIABLE]          # the tag every kernel of this batch carried
    after = {"stats": options.stats,
             "groups": cgroups.batch_groups(cgroup_host(), batch)}
    return {(r.student, r.assignment): r for r in results}, (before, batch), folder, after


def _text(result) -> str:
    """Everything the grader says about a submission."""
    parts = [result.summary(), result.reason, *result.notes]
    for cell in result.cells:
        parts.append(cell.reason)
        for outcome in cell.outcomes:
            parts += [outcome.get("got", ""), outcome.get("hint", ""), outcome.get("detail", "")]
    return " ".join(parts)


def test_the_corpus_is_large_and_covers_every_assignment():
    assert len(corpus.CASES) >= 30
    assert {c.assignment for c in corpus.CASES} >= set(course.ASSIGNMENTS)
    assert len({c.name for c in corpus.CASES}) == len(corpus.CASES)


@pytest.mark.parametrize("case", corpus.CASES, ids=[c.name for c in corpus.CASES])
def test_case_gets_its_score_and_reason(graded, case):
    if not AVAILABLE[case.needs]:
        pytest.skip(f"this machine cannot provide the protection it needs ({case.needs})")
    results, _, _, _ = graded
    result = results.get((case.student_id, case.assignment))
    assert result is not None, "the submission is missing from the results"
    if case.score is None:
        assert result.status == FAILED and result.score is None
    else:
        assert result.status != FAILED, result.reason
        assert result.score == case.score, result.summary()
    assert case.reason in _text(result)
    for phrase in case.absent:
        assert phrase not in _text(result)


def test_every_submission_has_one_result_and_one_csv_row(graded):
    results, _, folder, _ = graded
    assert len(results) == len(RUNNABLE)
    rows = (folder / "out" / "grades.csv").read_text().strip().splitlines()
    assert len(rows) == 1 + len(RUNNABLE)


def test_nothing_is_left_running(graded):
    _, (before, batch), _, _ = graded
    # none more than before (on a shared machine another run's sleeper may have ended meanwhile)
    assert _processes_named("sleep\x00600") <= before
    # every process a submission's run started carries the batch's tag and a run tag (the
    # grader's own helper processes carry only the batch tag)
    assert not [p for p in os.listdir("/proc") if p.isdigit() and _from_a_run(p, batch)]


def test_nothing_is_left_on_disk_and_memory_stays_bounded(graded):
    _, _, _, after = graded
    assert not Path(after["stats"]["scratch"]).exists()       # run folders and sealed copies
    assert after["groups"] == []
    assert 0 < after["stats"]["worker_peak_bytes"] < 2 * 2**30
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 < 2 * 2**30


def test_the_hidden_seed_appears_in_no_result(graded):
    _, _, folder, _ = graded
    seed = str(json.loads((course.EXPECTED_DIR / "ex1_softmax.json").read_text())["hidden_seed"])
    for path in (folder / "out").rglob("*"):
        if path.is_file() and path.suffix in (".json", ".csv", ".html"):
            assert seed not in path.read_text(errors="replace"), path


def _from_a_run(pid: str, batch: str) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            entries = handle.read().split(b"\0")
    except OSError:
        return False
    return (f"{BATCH_VARIABLE}={batch}".encode() in entries
            and any(e.startswith(TAG_VARIABLE.encode() + b"=") for e in entries))


def test_the_docs_table_is_generated_from_the_corpus():
    table = corpus.table_in_page(corpus.TABLE_PAGE.read_text())
    assert table is not None, f"{corpus.TABLE_PAGE} lacks its corpus-table markers"
    assert table.strip() == corpus.markdown_table().strip(), \
        "the table is out of date: run `python tests/corpora/adversarial.py`"


def test_kernels_read_the_course_data_from_the_graders_uncompressed_copy(tmp_path, monkeypatch):
    """The grader keeps the course's data uncompressed in its cache for kernels (the same
    bytes as the shipped files, decompressed); without a usable cache, the course's own folder."""
    import gzip

    shipped = sandbox.COURSE_LIB / "data"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sandbox.course_data.cache_clear()
    try:
        copy = sandbox.course_data()
        assert copy.is_relative_to(tmp_path / "cache")
        compressed = sorted(shipped.rglob("*.gz"))
        assert compressed
        for path in compressed:
            plain = copy / path.relative_to(shipped).with_suffix("")
            assert plain.read_bytes() == gzip.decompress(path.read_bytes())
            assert not plain.with_name(path.name).exists()
        (tmp_path / "not-a-folder").write_text("")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
        sandbox.course_data.cache_clear()
        assert sandbox.course_data() == shipped
    finally:
        sandbox.course_data.cache_clear()
