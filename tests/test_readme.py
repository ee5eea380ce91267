"""The README's "Using it" commands work as written, in order, each in a new shell
after `make run` (this checkout's virtualenv and models), on a fresh data directory
in a fresh home: no APPLIANCE_* setting but the passphrase the README names."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES

PASSPHRASE = "correct horse battery staple"


def readme_commands() -> list[str]:
    """The command lines of the README's "Using it" block (comment lines skipped)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using it", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "README has no ```sh block under 'Using it'"
    lines = [line.strip() for line in block.group(1).splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _shell_env(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("APPLIANCE_")}
    env.update(
        HOME=str(home),
        APPLIANCE_PASSPHRASE=PASSPHRASE,
        # The one deviation: port 8080 may be taken on a shared test machine.
        APPLIANCE_PORT=str(port),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
    )
    return env


def _serve(activate: str, command: str, env: dict[str, str], port: int, log: Path) -> None:
    """Start `appliance serve`, wait until it answers, stop it as Ctrl-C would."""
    with log.open("w") as out:
        proc = subprocess.Popen(
            ["bash", "-c", f"{activate} && exec {command}"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, f"serve exited: {log.read_text()}"
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"serve did not answer: {log.read_text()}"
            time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    text = log.read_text()
    assert f"Uvicorn running on http://127.0.0.1:{port}" in text, text
    assert "%s" not in text and "%d" not in text and "withheld" not in text, text


@pytest.mark.usefixtures("no_leftover_processes", "model_dir")
def test_the_readme_commands_work_in_order_in_a_new_shell(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "policies").mkdir(parents=True)
    for sample in SAMPLES.iterdir():  # "~/policies": the user's own documents
        if sample.is_file():
            shutil.copy(sample, home / "policies")
    port = _free_port()
    env = _shell_env(home, port)
    commands = readme_commands()
    assert commands[0] == ". .venv/bin/activate"
    activate = commands[0]
    outputs: dict[str, str] = {}
    for command in commands[1:]:
        if command.split("#")[0].strip() == "appliance serve":
            _serve(activate, "appliance serve", env, port, tmp_path / "serve.log")
            continue
        proc = subprocess.run(
            ["bash", "-c", f"{activate} && {command}"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, f"$ {command}\n{proc.stdout}\n{proc.stderr}"
        outputs[command.split("#")[0].strip()] = proc.stdout + proc.stderr
    data = home / ".local" / "share" / "appliance"
    assert (data / "appliance.db").is_file()
    retrieved = next(v for k, v in outputs.items() if k.startswith("appliance retrieve"))
    assert '"hits": [{' in retrieved  # the hr collection, not the empty default one
    exports = home / ".local" / "share" / "appliance-exports"
    assert exports.stat().st_mode & 0o777 == 0o700
    (export,) = exports.glob("subject-access-*.zip")
    assert export.stat().st_mode & 0o777 == 0o600
    # Nothing written into the checkout.
    assert not (REPO / "sar.zip").exists()
