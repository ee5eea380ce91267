"""The on-prem installer: a signed bundle built from this tree installs into a
prefix with the network closed, serves over TLS, upgrades keeping the data, and a
tampered bundle is refused. (A full bundle carries every dependency's wheel; this
test bundles the appliance's own wheel and takes the dependencies from the test's
environment with --deps-from, to stay within CI's time.)"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES, run_in_group
from tests.test_at_rest import PEOPLE, scan_for_values, write_records

TOOLS = ("openssl", "sha256sum", "tar", "curl")
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS), reason=f"needs {', '.join(TOOLS)}"
)


def _env() -> dict[str, str]:
    """No APPLIANCE_* of the test session: the installed appliance uses its own."""
    return {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, check: bool = True):  # type: ignore[no-untyped-def]
    # In a process group of its own: a server the installer starts dies with it, also
    # when the test times out or fails (one was once found running an hour after). An
    # installer that ends by itself must have stopped the server its health check
    # started, and that server its llama-server child (one was left running as root).
    proc = run_in_group(
        [str(a) for a in args], cwd=cwd, env=env or _env(), timeout=600, leaves_nothing=True
    )
    if check:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("bundles")
    key = root / "builder" / "signing.key"
    out = {}
    for version in ("0.1.0", "0.1.1"):
        _run(
            REPO / "installer" / "build-bundle.sh",
            "--out",
            root / "dist",
            "--signing-key",
            key,
            "--deps",
            "none",
            "--models",
            model_dir,
            "--version",
            version,
            cwd=REPO,
            env={**_env(), "PYTHON": sys.executable},
        )
        out[version] = root / "dist" / f"appliance-{version}-{platform.machine()}.tar"
    out["public_key"] = Path(f"{key}.pub.pem")
    out["signing_key"] = key
    return out


def _resign(bundle: Path, work: Path, key: Path, edit: dict[str, str]) -> Path:
    """A copy of ``bundle`` with files replaced (``edit``: path in the bundle -> text),
    its manifest rebuilt and signed again by the builder's own ``key``: what a builder
    would produce, so only the installer's platform checks can refuse it."""
    with tarfile.open(bundle) as tar:
        tar.extractall(work, filter="data")
    root = next(work.glob("appliance-*"))
    for name, text in edit.items():
        (root / name).write_text(text)
    files = sorted(
        f"./{f.relative_to(root)}"
        for f in root.rglob("*")
        if f.is_file() and not f.name.startswith("MANIFEST.sha256")
    )
    (root / "MANIFEST.sha256").write_text(
        "".join(f"{hashlib.sha256((root / f).read_bytes()).hexdigest()}  {f}\n" for f in files)
    )
    _run(
        "openssl", "pkeyutl", "-sign", "-inkey", key, "-rawin",
        "-in", root / "MANIFEST.sha256", "-out", root / "MANIFEST.sha256.sig",
        cwd=work,
    )  # fmt: skip
    out = work / bundle.name
    with tarfile.open(out, "w") as tar:
        tar.add(root, arcname=root.name)
    return out


def _install_args(prefix: Path, port: int) -> list[str | Path]:
    return [
        "--prefix",
        prefix,
        "--no-systemd",
        "--port",
        str(port),
        "--python",
        getattr(sys, "_base_executable", sys.executable),
        "--deps-from",
        sysconfig.get_paths()["purelib"],
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.usefixtures("no_leftover_processes")
def test_a_tampered_bundle_is_refused(bundles, tmp_path: Path) -> None:
    work = tmp_path / "x"
    with tarfile.open(bundles["0.1.0"]) as tar:
        tar.extractall(work, filter="data")
    (work / "appliance-0.1.0" / "policies" / "default.yaml").write_text("name: default\n")
    forged = tmp_path / "appliance-0.1.0.tar"
    with tarfile.open(forged, "w") as tar:
        tar.add(work / "appliance-0.1.0", arcname="appliance-0.1.0")
    prefix = tmp_path / "root"
    proc = _run(
        REPO / "installer" / "install.sh",
        forged,
        "--public-key",
        bundles["public_key"],
        *_install_args(prefix, _free_port()),
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1 and "altered" in proc.stderr and "Refused" in proc.stderr
    assert not (prefix / "opt").exists()
    # Signed by someone else: refused too.
    other = tmp_path / "other.pem"
    _run("openssl", "genpkey", "-algorithm", "ed25519", "-out", other, cwd=tmp_path)
    _run("openssl", "pkey", "-in", other, "-pubout", "-out", f"{other}.pub", cwd=tmp_path)
    proc = _run(
        REPO / "installer" / "install.sh",
        bundles["0.1.0"],
        "--public-key",
        f"{other}.pub",
        *_install_args(prefix, _free_port()),
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1 and "signature does not verify" in proc.stderr


def test_the_bundle_says_which_machine_it_was_built_for(bundles) -> None:
    with tarfile.open(bundles["0.1.0"]) as tar:
        member = tar.extractfile("appliance-0.1.0/PLATFORM")
        assert member is not None
        needs = subprocess.run(
            [REPO / "scripts" / "llama-cpu-args", "--needs"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert member.read().decode() == (
            f"arch={platform.machine()}\nvariant=cpu\ncpu_flags={needs}\n"
        )
    if platform.machine() == "x86_64":  # a portable build: x86-64-v3, not this CPU's own
        assert needs.split() == ["sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"]


def test_the_sbom_lists_what_the_bundle_ships_not_the_builders_tools(bundles) -> None:
    """The SBOM describes the packages the bundle's wheels install (here, --deps none:
    the appliance alone), not the builder's environment with its test and lint tools."""
    with tarfile.open(bundles["0.1.0"]) as tar:
        member = tar.extractfile("appliance-0.1.0/sbom.cdx.json")
        assert member is not None
        sbom = json.loads(member.read())
    assert sbom["bomFormat"] == "CycloneDX"
    names = {
        c["name"].lower() for c in [sbom["metadata"]["component"], *sbom.get("components", [])]
    }
    assert "appliance" in names
    builder_tools = {"pytest", "ruff", "mypy", "playwright", "cyclonedx-bom"}
    assert not names & builder_tools, names & builder_tools


@pytest.mark.usefixtures("no_leftover_processes")
def test_a_bundle_for_another_architecture_or_a_gpu_is_refused(bundles, tmp_path: Path) -> None:
    """Signed by the right builder, but its compiled parts cannot run here: refused with
    what to do, before anything is written."""
    other = "aarch64" if platform.machine() != "aarch64" else "x86_64"
    cases = [
        (f"arch={other}\nvariant=cpu\n", f"built for {other}"),
        # Compiled for instructions this CPU lacks: refused, not "illegal instruction" later.
        (
            f"arch={platform.machine()}\nvariant=cpu\ncpu_flags=sse4_2 made_up_isa\n",
            "CPU lacks: made_up_isa",
        ),
    ]
    if not Path("/dev/nvidiactl").exists():
        cases.append((f"arch={platform.machine()}\nvariant=cuda\n", "no NVIDIA driver"))
    for i, (text, why) in enumerate(cases):
        forged = _resign(
            bundles["0.1.0"], tmp_path / f"w{i}", bundles["signing_key"], {"PLATFORM": text}
        )
        prefix = tmp_path / f"root{i}"
        proc = _run(
            REPO / "installer" / "install.sh",
            forged,
            "--public-key",
            bundles["public_key"],
            *_install_args(prefix, _free_port()),
            cwd=tmp_path,
            check=False,
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert why in proc.stderr and "Nothing was installed" in proc.stderr
        assert "verified" in proc.stdout  # the signature held: the platform check refused
        assert not (prefix / "opt").exists()


@pytest.mark.skipif(
    shutil.which("nvcc", path="/usr/bin:/bin") is not None,
    reason="the CUDA toolkit is in /usr/bin here: it cannot be hidden from the script",
)
def test_the_cuda_variant_needs_the_cuda_toolkit(tmp_path: Path) -> None:
    """Without nvcc (hidden here: a PATH of /usr/bin and /bin only, CUDA_HOME empty) the
    cuda variant stops at once with what is missing, and writes nothing."""
    proc = _run(
        REPO / "installer" / "build-bundle.sh",
        *("--out", tmp_path / "dist", "--signing-key", tmp_path / "k" / "signing.key"),
        *("--deps", "none", "--variant", "cuda"),
        cwd=REPO,
        env={
            **_env(),
            "PATH": "/usr/bin:/bin",
            "PYTHON": sys.executable,
            "CUDA_HOME": str(tmp_path / "none"),
        },
        check=False,
    )
    assert proc.returncode == 2 and "needs the CUDA toolkit (nvcc)" in proc.stderr
    assert not (tmp_path / "dist").exists()


@pytest.mark.usefixtures("no_leftover_processes")
def test_install_serve_upgrade_and_uninstall(bundles, tmp_path: Path) -> None:
    prefix = tmp_path / "root"
    port = _free_port()
    proc = _run(
        REPO / "installer" / "install.sh",
        bundles["0.1.0"],
        "--public-key",
        bundles["public_key"],
        *_install_args(prefix, port),
        cwd=tmp_path,
    )
    assert "one-time password:" in proc.stdout and "installed 0.1.0" in proc.stdout
    etc, data = prefix / "etc" / "appliance", prefix / "var" / "lib" / "appliance"
    assert (data.stat().st_mode & 0o777) == 0o700
    assert (etc / "kek.key").stat().st_mode & 0o777 == 0o600
    unit = (prefix / "etc" / "systemd" / "system" / "appliance.service").read_text()
    for line in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        f"ReadWritePaths={data}",
        "CapabilityBoundingSet=",
        "SystemCallFilter=@system-service",
        "IPAddressDeny=any",
    ):
        assert line in unit
    if shutil.which("systemd-analyze"):
        analysis = _run(
            "systemd-analyze",
            "verify",
            prefix / "etc" / "systemd" / "system" / "appliance.service",
            cwd=tmp_path,
            check=False,
        )
        assert analysis.returncode == 0, analysis.stderr
    app = prefix / "opt" / "appliance" / "current" / "venv" / "bin" / "appliance"
    env = {**_env(), "APPLIANCE_CONFIG": str(etc / "appliance.toml")}
    records = write_records(tmp_path / "records")
    _run(app, "ingest", *records, SAMPLES / "it-acceptable-use.txt", cwd=tmp_path, env=env)
    doctor = _run(app, "doctor", "--json", cwd=tmp_path, env=env, check=False)
    assert '"key-encryption key", "ok": true' in doctor.stdout.replace("\n", "")
    assert "intact" in doctor.stdout
    before = _run(app, "documents", "list", "--json", cwd=tmp_path, env=env).stdout

    # A release that cannot start (here: its dependencies missing) is rolled back,
    # program and data, and the old one runs again.
    broken = [
        a if a != sysconfig.get_paths()["purelib"] else tmp_path / "nothing"
        for a in _install_args(prefix, port)
    ]
    proc = _run(
        REPO / "installer" / "install.sh",
        "--upgrade",
        bundles["0.1.1"],
        *broken,
        cwd=tmp_path,
        check=False,
    )
    assert proc.returncode == 1 and "rolled back" in proc.stderr, proc.stdout + proc.stderr
    assert (prefix / "opt" / "appliance" / "current").resolve().name == "0.1.0"
    assert _run(app, "documents", "list", "--json", cwd=tmp_path, env=env).stdout == before
    assert _run(app, "audit", "verify", cwd=tmp_path, env=env).returncode == 0

    proc = _run(
        REPO / "installer" / "install.sh",
        "--upgrade",
        bundles["0.1.1"],
        *_install_args(prefix, port),
        cwd=tmp_path,
    )
    assert "upgraded to 0.1.1" in proc.stdout
    assert (prefix / "opt" / "appliance" / "current").resolve().name == "0.1.1"
    assert _run(app, "documents", "list", "--json", cwd=tmp_path, env=env).stdout == before
    assert _run(app, "audit", "verify", cwd=tmp_path, env=env).returncode == 0
    backups = list((prefix / "var" / "backups" / "appliance").glob("before-0.1.1-*.bak"))
    assert len(backups) == 2  # the failed attempt's and this one's
    values = [p["name"] for p in PEOPLE] + [p["iban"] for p in PEOPLE]
    assert not scan_for_values(data, values) and not scan_for_values(backups[0].parent, values)

    _run(REPO / "installer" / "uninstall.sh", "--prefix", prefix, "--no-systemd", cwd=tmp_path)
    assert not (prefix / "opt" / "appliance").exists() and data.exists()
    _run(
        REPO / "installer" / "uninstall.sh",
        "--prefix",
        prefix,
        "--no-systemd",
        "--shred-data",
        cwd=tmp_path,
    )
    assert not data.exists() and not etc.exists()


def test_a_command_that_times_out_leaves_no_process_behind(tmp_path: Path) -> None:
    """The helper the installer tests run through: a background child (an installer's
    server) dies with the command when it times out."""
    import psutil

    script = tmp_path / "starts-a-server.sh"
    script.write_text('#!/bin/sh\nsleep 300 &\necho $! > "$1"\nsleep 300\n')
    script.chmod(0o755)
    pid_file = tmp_path / "child.pid"
    with pytest.raises(subprocess.TimeoutExpired):
        run_in_group([str(script), str(pid_file)], cwd=tmp_path, timeout=3)
    child = int(pid_file.read_text())
    try:
        gone = psutil.Process(child).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        gone = True
    assert gone, "the background child outlived the command"
