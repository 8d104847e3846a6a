# nbgrader reads this file from the directory it runs in; the course's settings live in grader/nbgrader/.
c = get_config()  # noqa: F821
load_subconfig("grader/nbgrader/nbgrader_config.py")  # noqa: F821
