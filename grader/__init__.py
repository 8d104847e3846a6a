"""The course grader, built on nbgrader (see README)."""
import sys

# Every grader process imports nbformat (through nbgrader and nbclient), which imports jsonschema,
# whose format checkers import rfc3987_syntax if it is installed: that builds IRI grammars and
# costs a second or more per process. Neither nbformat nor nbgrader validates formats (no
# FormatChecker), so the grader's processes go without it: jsonschema then has no "iri" checker.
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)
