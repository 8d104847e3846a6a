"""Control groups on the three kinds of host, on simulated hierarchies (this machine has only one
kind): where run groups go, what limits they get, and finding a batch's groups to remove them."""
import os

from grader.run import cgroups


def write(path, text=""):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_cgroup_v2_as_root(tmp_path):
    write(tmp_path / "cgroup.controllers", "cpuset cpu io memory pids")
    write(tmp_path / "cgroup.subtree_control", "")
    write(tmp_path / "nn-grader" / "cgroup.controllers", "cpu memory pids")
    write(tmp_path / "nn-grader" / "cgroup.subtree_control", "")
    host = cgroups.detect(tmp_path)
    assert host.kind == "v2" and host.parent == tmp_path / "nn-grader"
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+pids +memory +cpu"
    groups = cgroups.create(host, "nn-grader-batch1-run1", 64, 2**30, root=tmp_path)
    assert groups == [tmp_path / "nn-grader" / "nn-grader-batch1-run1"]
    assert (groups[0] / "pids.max").read_text() == "64"
    assert (groups[0] / "memory.max").read_text() == str(2**30)
    assert (groups[0] / "cpu.max").read_text() == "100000 100000"
    assert cgroups.batch_groups(host, "batch1", root=tmp_path) == groups
    assert cgroups.batch_groups(host, "other", root=tmp_path) == []
    assert "cgroup v2" in cgroups.describe(host)


def test_cgroup_v2_without_a_writable_root_or_delegation(tmp_path, monkeypatch):
    write(tmp_path / "cgroup.controllers", "cpu memory pids")
    write(tmp_path / "cgroup.subtree_control", "")
    os.chmod(tmp_path / "cgroup.subtree_control", 0o444)
    monkeypatch.setattr(os, "access", lambda path, mode: not str(path).endswith(
        "subtree_control") and os.path.exists(path))
    host = cgroups.detect(tmp_path)
    assert host.kind == "" and "Delegate=yes" in host.reason
    assert cgroups.create(host, "nn-grader-b-r", 64, 2**30, root=tmp_path) == []
    assert "counts each run's processes" in cgroups.describe(host)


def test_cgroup_v1(tmp_path):
    for controller in ("pids", "memory", "cpu"):
        write(tmp_path / controller / "cgroup.procs", "")
    host = cgroups.detect(tmp_path)
    assert host.kind == "v1"
    groups = cgroups.create(host, "nn-grader-b-r", 64, 2**30, root=tmp_path)
    assert [g.parent.name for g in groups] == ["pids", "memory", "cpu"]
    assert (tmp_path / "pids" / "nn-grader-b-r" / "pids.max").read_text() == "64"
    assert (tmp_path / "memory" / "nn-grader-b-r" / "memory.limit_in_bytes").read_text() == \
        str(2**30)
    assert sorted(cgroups.batch_groups(host, "b", root=tmp_path)) == sorted(groups)


def test_no_cgroups_at_all(tmp_path):
    host = cgroups.detect(tmp_path)
    assert host.kind == "" and cgroups.create(host, "x", 1, 1, root=tmp_path) == []
