"""nbgrader's settings in each user's own server on the course's JupyterHub (`python -m grader hub`
puts this folder on JUPYTER_CONFIG_PATH): the course and its shared exchange, from the variables
the hub sets, so that the Assignments tab fetches, submits and fetches feedback."""
import os

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file
c.CourseDirectory.course_id = os.environ.get("NN_COURSE_ID", "nn-course")
if os.environ.get("NN_COURSE_EXCHANGE"):
    c.Exchange.root = os.environ["NN_COURSE_EXCHANGE"]
c.Exchange.path_includes_course = True      # as the course's own configuration
