"""kwok's jail (bubblewrap): its command line, and the sandbox's processes seen through it."""

from __future__ import annotations

from pathlib import Path

from workshop.sandbox import jail, processes
from workshop.sandbox.layout import Layout


def test_the_jail_binds_the_system_read_only_and_only_the_files_kwok_reads(
    tmp_path: Path,
) -> None:
    root = tmp_path / "host"
    (root / "usr" / "bin").mkdir(parents=True)
    (root / "bin").symlink_to("usr/bin")
    (root / "lib64").mkdir()  # a host without merged /usr
    kubeconfig = tmp_path / "sandbox" / "config" / "kwok.kubeconfig"
    argv = jail.prefix(
        "/usr/bin/bwrap", read=[kubeconfig, kubeconfig], exec_dir=Path("/tmp/x"), root=root
    )
    assert argv[0] == "/usr/bin/bwrap" and argv[-1] == "--"
    text = " ".join(argv)
    assert "--symlink usr/bin /bin" in text and "--ro-bind /lib64 /lib64" in text
    assert "/lib32" not in text  # not on this host
    for namespace in ("pid", "ipc", "uts"):
        assert f"--unshare-{namespace}" in argv
    assert "--unshare-net" not in argv  # the supervisor makes the network (jailnet.py)
    assert text.count(f"--ro-bind {kubeconfig} {kubeconfig}") == 1
    assert "--bind " not in text  # nothing of the machine is writable from the jail
    assert f"--size {jail.TMP_BYTES} --tmpfs /tmp --perms 1777 --dir /tmp/x" in text


def test_a_jailed_kwok_is_still_this_sandboxs_process(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "home")
    kwok = ["/cache/kwok-v0.8.0/kwok", f"--kubeconfig={layout.root}/config/kwok.kubeconfig"]
    jailed = [*jail.prefix("/usr/bin/bwrap", read=[], exec_dir=Path("/tmp/x")), *jail.limits()]
    assert jail.unwrap([*jailed, *kwok]) == kwok
    assert processes.belongs([*jailed, *kwok], layout)
    other = Layout(tmp_path / "other")
    assert not processes.belongs(
        [*jailed, "/cache/kwok-v0.8.0/kwok", f"--kubeconfig={other.root}/config/k"], layout
    )
    assert jail.unwrap(["bwrap", "--ro-bind", "/", "/"]) == ["bwrap", "--ro-bind", "/", "/"]
