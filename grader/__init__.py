"""The course grader, built on nbgrader (see README)."""
import os
import sys

# Every grader process imports nbformat (through nbgrader and nbclient), which imports jsonschema,
# whose format checkers import rfc3987_syntax if it is installed: that builds IRI grammars and
# costs a second or more per process. Neither nbformat nor nbgrader validates formats (no
# FormatChecker), so the grader's processes go without it: jsonschema then has no "iri" checker.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

# One BLAS thread in the grader's own processes, as in the kernels it starts (an explicit setting
# is kept). The expected results that `python -m grader build` computes include float32 training,
# whose sums come out in another order with more threads: `build --check` reported them out of
# date on a machine with several cores, though nothing had changed.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")
