"""The Formgrader's MathJax comes from this machine (issue 24): the course's nbgrader settings
put grader/nbgrader/templates ahead of nbgrader's own template folder, and its
formgrade/mathjax.html.j2 makes nbgrader's Manual Grading page load the MathJax 2 that the package
jupyter-server-mathjax ships and the Jupyter server serves. The student's feedback page is left
as it was. (tests/test_browser.py opens the page in Chromium with every other host blocked.)"""
import importlib.util
import re
import shutil
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from nbconvert.exporters import HTMLExporter
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parents[1]
OURS = ROOT / "grader" / "nbgrader" / "templates"
NOTEBOOK = ROOT / "solutions" / "ex1_softmax" / "ex1_softmax.ipynb"   # LaTeX in its markdown


def _package_dir(name: str) -> Path:
    return Path(importlib.util.find_spec(name).origin).parent


NBGRADER_TEMPLATES = _package_dir("nbgrader") / "server_extensions" / "formgrader" / "templates"


def _config(folder: Path):
    return PyFileConfigLoader("nbgrader_config.py", path=str(folder)).load_config()


def _scripts(config, template: str) -> list[str]:
    config.HTMLExporter.template_name = template
    html, _ = HTMLExporter(config=config).from_filename(
        str(NOTEBOOK), resources={"base_url": "/base", "index": 0, "total": 1})
    return re.findall(r'<script[^>]*src="([^"]+)"', html)


def test_the_course_puts_its_templates_ahead_of_nbgraders():
    basedirs = _config(ROOT).HTMLExporter.extra_template_basedirs
    assert basedirs == [str(OURS), str(NBGRADER_TEMPLATES)]
    assert (NBGRADER_TEMPLATES / "formgrade").is_dir() and (NBGRADER_TEMPLATES / "feedback").is_dir()
    assert sorted(p.name for p in OURS.iterdir()) == ["formgrade"]   # the feedback is nbgrader's


def test_a_course_copied_without_the_templates_takes_the_grader_packages(tmp_path):
    """A course copied with its settings only (tests/test_install.py's COURSE_FILES) uses the
    templates of the installed grader package."""
    settings = tmp_path / "grader" / "nbgrader"
    settings.mkdir(parents=True)
    shutil.copy(OURS.parent / "nbgrader_config.py", settings)
    package = _package_dir("grader") / "nbgrader" / "templates"
    assert _config(settings).HTMLExporter.extra_template_basedirs == [
        str(package), str(NBGRADER_TEMPLATES)]


def test_the_manual_grading_page_loads_the_local_mathjax():
    scripts = [s for s in _scripts(_config(ROOT), "formgrade") if "MathJax" in s]
    assert len(scripts) == 1 and not urlsplit(scripts[0]).netloc, scripts
    # nbgrader serves the page at <base_url>/formgrader/submissions/<id>/
    url = urlsplit(urljoin("http://127.0.0.1:8888/base/formgrader/submissions/abc123/",
                           scripts[0]))
    assert url.path == "/base/static/jupyter_server_mathjax/MathJax.js"
    # which jupyter-server-mathjax serves from its static folder, with the configuration named
    static = _package_dir("jupyter_server_mathjax") / "static"
    assert (static / "MathJax.js").is_file()
    for name in re.search(r"config=([^&]+)", url.query).group(1).split(","):
        assert (static / "config" / f"{name}.js").is_file(), name
    assert 'MathJax.version="2.' in (static / "MathJax.js").read_text()   # formgrade.js: 2


def _macro_file(config, template: str) -> Path:
    """The file that the ``template``'s pages take the mathjax() macro from."""
    config.HTMLExporter.template_name = template
    return Path(HTMLExporter(config=config).environment.get_template("mathjax.html.j2").filename)


def test_the_students_feedback_page_is_unchanged():
    """nbgrader's feedback template (nbgrader generate_feedback, the Formgrader's Generate
    Feedback) still finds its own files and nbconvert's mathjax() macro."""
    assert _macro_file(_config(ROOT), "formgrade") == OURS / "formgrade" / "mathjax.html.j2"
    feedback = _config(ROOT)
    assert _macro_file(feedback, "feedback").parent.name == "base"   # nbconvert's
    config = _config(ROOT)
    config.HTMLExporter.template_name = "feedback"
    found = HTMLExporter(config=config).environment.get_template("index.html.j2").filename
    assert Path(found) == NBGRADER_TEMPLATES / "feedback" / "index.html.j2"
