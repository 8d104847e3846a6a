"""The Python the hub's users run (grader/hub/environment.py), without root: which folders hide
a Python from other users, and the one line said when no Python every user can run exists."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

from grader.hub import environment


@pytest.fixture
def open_folder():
    """A folder everyone may pass through (pytest's own tmp folders are root's only)."""
    folder = Path(tempfile.mkdtemp(prefix="nn-hub-env-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_folder_others_cannot_enter_hides_what_is_below(open_folder):
    hidden = open_folder / "home"
    inside = hidden / "pyenv" / "bin"
    inside.mkdir(parents=True)
    os.chmod(hidden, 0o700)
    assert environment.hidden_folder(inside) == hidden.resolve()
    os.chmod(hidden, 0o711)                        # others may pass through: nothing hides it
    assert environment.hidden_folder(inside) is None


def test_without_a_python_for_everyone_one_line_names_the_fix(monkeypatch):
    monkeypatch.setattr(environment, "CANDIDATES", ())
    monkeypatch.setattr(environment.shutil, "which", lambda name: None)
    with pytest.raises(environment.UsersEnvironmentError) as raised:
        environment.python_for_everyone()
    message = str(raised.value)
    assert "\n" not in message and "apt-get install python3 python3-venv" in message


def test_a_python_too_old_or_without_venv_is_not_taken(open_folder, monkeypatch):
    fake = open_folder / "python3"
    fake.write_text("#!/bin/sh\necho 3.9.2\necho /usr\necho /usr/bin/python3.9\n")
    fake.chmod(0o755)
    monkeypatch.setattr(environment, "CANDIDATES", (str(fake),))
    monkeypatch.setattr(environment.shutil, "which", lambda name: None)
    with pytest.raises(environment.UsersEnvironmentError) as raised:
        environment.python_for_everyone()
    assert str(fake) in str(raised.value) and "python3-venv" in str(raised.value)


def test_the_kits_own_venv_is_used_when_everyone_can_run_it(monkeypatch):
    monkeypatch.setattr(environment, "kit_out_of_reach", lambda: "")
    monkeypatch.setattr(environment, "folder_hiding_own_venv", lambda: None)
    made = environment.users_python(say=pytest.fail)
    assert made.bin == Path(sys.executable).parent and made.built_from is None


def test_a_kit_other_users_cannot_reach_is_one_line_naming_the_fix(open_folder, monkeypatch):
    """A checkout inside a private folder (``mktemp -d`` makes one): the users' servers could not
    import the kit, so the hub says so before it creates anything."""
    private = open_folder / "private"
    kit = private / "kit"
    kit.mkdir(parents=True)
    os.chmod(private, 0o700)
    monkeypatch.setattr(environment, "KIT", kit)
    monkeypatch.setattr(environment, "folder_hiding_own_venv", lambda: None)
    with pytest.raises(environment.UsersEnvironmentError) as raised:
        environment.users_python(say=pytest.fail)
    message = str(raised.value)
    assert "\n" not in message and str(private.resolve()) in message and "chmod o+x" in message
    os.chmod(private, 0o711)
    assert environment.kit_out_of_reach() == ""
