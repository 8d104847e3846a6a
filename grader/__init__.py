"""The course grader, built on nbgrader (see README)."""
