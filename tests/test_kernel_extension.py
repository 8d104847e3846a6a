"""The grading kernels' extension: matplotlib and pyplot run on their first use, each once, and are
then the usual modules."""
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from grader.run.execute import execute
from grader.run.limits import Limits

# Run in a new interpreter, so that nothing this test process imported counts.
DEFERRED = """
import json, sys, types
from grader.run import kernel_extension
kernel_extension.install()
import matplotlib.pyplot as plt
import matplotlib.pyplot as again                 # as course_lib.plots imports it a second time
from matplotlib import pyplot
before = {"deferred": type(plt).__name__, "package": type(sys.modules["matplotlib"]).__name__,
          "package_ran": "matplotlib.rcsetup" in sys.modules,
          "figure_module": "matplotlib.figure" in sys.modules,
          "same": plt is again is pyplot is sys.modules["matplotlib.pyplot"]}
from matplotlib.pyplot import subplots
fig, ax = subplots()
ax.plot([0, 1], [1, 0])
fig.savefig(sys.argv[1])
print(json.dumps({"before": before, "after": type(plt).__name__, "backend": plt.get_backend(),
                  "figures": plt.get_fignums(), "names": sorted(dir(plt))}))
"""
PLAIN = """
import json, matplotlib.pyplot as plt
print(json.dumps(sorted(dir(plt))))
"""


def _python(code: str, *args: str) -> str:
    env = {**os.environ, "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-c", code, *args], env=env, check=True,
                          capture_output=True, text=True).stdout


def test_pyplot_is_not_run_until_used_and_is_then_the_usual_pyplot(tmp_path):
    picture = tmp_path / "drawn.png"
    seen = json.loads(_python(DEFERRED, str(picture)))
    assert seen["before"] == {"deferred": "DeferredModule", "package": "DeferredModule",
                              "package_ran": False, "figure_module": False, "same": True}
    assert seen["after"] == "module"
    assert seen["backend"].lower() == "agg" and seen["figures"] == [1]
    assert picture.stat().st_size > 1000
    assert seen["names"] == json.loads(_python(PLAIN))


# Other ways to reach matplotlib after the notebook's import: each prints what it saw, and at the
# end every matplotlib module must exist once (a module run twice would have two copies).
OTHER_WAYS = {
    "a submodule the package imports itself": (
        "import matplotlib.colors as colors\n"
        "print(type(sys.modules['matplotlib']).__name__, colors is matplotlib.colors,\n"
        "      colors.__spec__.origin.endswith('colors.py'), colors.to_hex('red'))",
        "module True True #ff0000"),
    "a submodule the package does not import": (
        "from matplotlib.patches import Circle\nimport matplotlib.sankey\n"
        "print(type(Circle((0, 0))).__name__, type(matplotlib.sankey.Sankey).__name__)",
        "Circle type"),
    "names from the package": (
        "from matplotlib import cm, colors\nimport matplotlib as mpl\n"
        "mpl.rcParams['lines.linewidth'] = 3\nfig, ax = plt.subplots()\n"
        "print(cm is sys.modules['matplotlib.cm'], ax.plot([0, 1])[0].get_linewidth())",
        "True 3.0"),
    "a reload": (
        "import importlib, matplotlib.colors as colors\nimportlib.reload(colors)\n"
        "print(colors is sys.modules['matplotlib.colors'], type(plt).__name__)",
        "True DeferredModule"),
}
OTHER_WAY = """
import gc, sys
from grader.run import kernel_extension
kernel_extension.install()
import matplotlib.pyplot as plt
import matplotlib
{code}
names = [m.__name__ for m in gc.get_objects()
         if isinstance(m, type(sys)) and getattr(m, "__name__", "").startswith("matplotlib")]
print("twice:", sorted({{name for name in names if names.count(name) > 1}}))
"""


@pytest.mark.parametrize("way", sorted(OTHER_WAYS))
def test_other_ways_to_reach_matplotlib_run_each_module_once(way):
    code, seen = OTHER_WAYS[way]
    lines = _python(OTHER_WAY.format(code=code)).splitlines()
    assert lines == [seen, "twice: []"]


def test_modules_not_deferred_are_imported_as_usual():
    code = ("from grader.run import kernel_extension\nkernel_extension.install()\n"
            "import json, numpy\nprint(type(json).__name__, type(numpy).__name__)")
    assert _python(code).split() == ["module", "module"]


def test_a_grading_kernel_defers_pyplot_and_draws_with_it(scratch_root):
    """In the sandbox, with the kernel's command line naming the extension: pyplot is not run by
    the import, and a cell that draws gets the real thing (the grader keeps each cell's error, which
    carries what the cell saw)."""
    sources = ["import sys, matplotlib.pyplot as plt\n"
               "raise RuntimeError(f\"seen {type(plt).__name__} {'matplotlib.figure' in sys.modules}\")",
               "fig, ax = plt.subplots()\nax.plot([0, 1])\nfig.savefig('drawn.png')\n"
               "import os\nraise RuntimeError(f'seen {type(plt).__name__} {plt.get_backend()} '\n"
               "                   f'{os.path.getsize(\"drawn.png\") > 1000}')"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    execution = execute(nb, scratch_root / "scratch", Limits(), "ex1_softmax")
    assert "seen DeferredModule False" in execution.errors[0]
    assert "seen module agg True" in execution.errors[1].replace("Agg", "agg")
