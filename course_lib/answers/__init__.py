"""The reference answers of the exercises, the hints that recognise typical mistakes, and the
special judges: everything that knows what a right answer is.

The grader's sandbox leaves this package out (with the top-level modules an assignment asks
students to write), so no answer can call a reference. Each module defines:

* ``REFERENCES``: check name -> the right answer in the notebook's own form (the function the
  student writes, or the value of a graded variable);
* ``ALTERNATIVES``: check name -> [(reference, note)], other results that are right too (an
  equivalent convention), with the note the feedback shows when one of them is matched;
* ``HINTS``: check name -> [Hint], tried in order when a result is wrong;
* ``STAND_IN_CALLS``: check name -> {function: inputs(*args) -> [inner inputs]}, the calls the
  answer is expected to make to earlier functions of the notebook (see ``Check.stand_ins``);
* ``JUDGES``: check name -> judge(exercise, check, case, record, args, hidden=, failed=), for
  answers judged by more than equality.
* ``FALLBACKS`` (where a check has ``Check.fallbacks``): function name -> the course's version
  in the notebook's form, needing nothing but NumPy and the other fallbacks, because its source
  runs in the student's kernel.
"""
