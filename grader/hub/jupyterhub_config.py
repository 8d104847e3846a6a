"""JupyterHub's configuration of the course's hub, from the settings `python -m grader hub` writes
(``$NN_HUB_SETTINGS``, a JSON file): PAM login for the roster, each person's own server as
themselves, the Formgrader as a service for the instructors' group, and the idle culler.
JupyterHub loads it through ``<state>/jupyterhub_config.py``; docs/hub.md explains each part."""
import json
import os
from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when JupyterHub loads this file
s = json.loads(Path(os.environ["NN_HUB_SETTINGS"]).read_text())
state, course_id, bin_dir = Path(s["state"]), s["course_id"], Path(s["bin"])
user_bin = Path(s["user_bin"])          # the Python the users' servers run (hub/environment.py)
formgraders = f"formgrade-{course_id}"      # nbgrader's name for the group of a course's graders

c.JupyterHub.bind_url = f"http://{s['ip']}:{s['port']}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = s["hub_port"]
c.ConfigurableHTTPProxy.command = [s["proxy"]]
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{s['proxy_api_port']}"
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.cleanup_servers = True          # stopping the hub stops everyone's server

# Who logs in: the roster's people, with their system passwords (PAM).
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set(s["students"]) | set(s["instructors"])
c.JupyterHub.load_groups = {formgraders: {"users": s["instructors"]},
                            f"nbgrader-{course_id}": {"users": s["students"]}}

# Each person's own server, run as themselves in their home (0700), with the student's view:
# the Assignments tab on the shared exchange, no Formgrader, no Create Assignment.
path = os.pathsep.join([str(user_bin), "/usr/local/bin", "/usr/bin", "/bin"])
common = {"PATH": path, "NN_COURSE_ID": course_id, "NN_COURSE_EXCHANGE": s["exchange"],
          "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [str(user_bin / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.environment = {**common, "JUPYTER_CONFIG_PATH": s["user_config"]}
c.Spawner.start_timeout = 300                # a busy machine starts a server slowly
c.Spawner.http_timeout = 300

# The Formgrader: one Jupyter server as the grader account in the course folder, reached at
# /services/<course>/ by the instructors' group only (nbgrader's "one class, several graders").
c.JupyterHub.services = [
    {
        "name": course_id,
        "url": f"http://127.0.0.1:{s['service_port']}",
        "command": [str(user_bin / "jupyterhub-singleuser")],
        "user": s["grader_account"],
        "cwd": s["course_dir"],
        "oauth_no_confirm": True,
        "timeout": 300,                      # a busy machine starts a server slowly (hub 6)
        "environment": {**common, "JUPYTER_CONFIG_PATH": s["instructor_config"],
                        "JUPYTERHUB_DEFAULT_URL": "/lab"},
    },
    {
        "name": "idle-culler",
        "command": [str(bin_dir / "jupyterhub-idle-culler"), f"--timeout={s['cull_idle']}"],
    },
]
c.JupyterHub.load_roles = [
    {
        "name": formgraders,
        "groups": [formgraders],
        "scopes": [f"access:services!service={course_id}", "list:services",
                   f"read:services!service={course_id}"],
    },
    {
        "name": "idle-culler",
        "services": ["idle-culler"],
        "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    },
]
