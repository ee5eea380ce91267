"""What an operator meets in a terminal: readable server logs that still hide personal
values, a busy port that names the fix, commands that find the models and refuse
to search an empty collection, key files created only when usable, an honest
`doctor`, and an audit bundle verified as downloaded."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import socket
import zipfile
from pathlib import Path

import pytest

from appliance.rag.logfilter import install_log_filter
from tests.conftest import REPO, run_cli

NAME = "Wilhelmina Quatermass-Oyelaran"


# -- logs ------------------------------------------------------------------------------


def _uvicorn_lines(app, emit) -> str:  # type: ignore[no-untyped-def]
    """What uvicorn's own (coloured) formatter prints for the records ``emit`` logs,
    with the appliance's privacy filter installed as `appliance serve` installs it."""
    from uvicorn.logging import DefaultFormatter

    logger = logging.getLogger("uvicorn.error")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(DefaultFormatter("%(levelprefix)s %(message)s", use_colors=True))
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)  # clears the logger cache (a plain assignment does not)
    install_log_filter(app.privacy, app.settings.log_policy, "uvicorn")
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        for f in list(logger.filters):
            logger.removeFilter(f)
    return stream.getvalue()


def test_server_logs_keep_their_arguments_and_errors_but_never_a_value(app) -> None:
    import click

    def emit(logger: logging.Logger) -> None:
        # As uvicorn logs them (uvicorn/server.py, uvicorn/main.py).
        logger.info(
            "Started server process [%d]",
            4242,
            extra={
                "color_message": "Started server process [" + click.style("%d", fg="cyan") + "]"
            },
        )
        logger.info(
            "Uvicorn running on %s://%s:%d (Press CTRL+C to quit)",
            "http",
            "127.0.0.1",
            8080,
            extra={
                "color_message": "Uvicorn running on "
                + click.style("%s://%s:%d", bold=True)
                + " (Press CTRL+C to quit)"
            },
        )
        logger.error(
            "[Errno 98] error while attempting to bind on address ('127.0.0.1', 8080): "
            "address already in use"
        )
        logger.error(
            "could not read %s",
            f"the referral of {NAME}",
            extra={"color_message": "could not read %s"},
        )

    text = click.unstyle(_uvicorn_lines(app, emit))
    assert "Started server process [4242]" in text
    assert "Uvicorn running on http://127.0.0.1:8080 (Press CTRL+C to quit)" in text
    assert "address already in use" in text and "withheld" not in text
    assert "%s" not in text and "%d" not in text
    assert "could not read the referral of" in text and NAME not in text
    assert "Quatermass" not in text


def test_a_busy_port_names_the_setting_and_flag_that_choose_another(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        proc = run_cli("serve", "--port", str(port), data_dir=tmp_path / "data", timeout=120)
    assert proc.returncode == 8, proc.stdout + proc.stderr
    assert f"port {port} on 127.0.0.1 is already in use" in proc.stderr
    assert "--port" in proc.stderr and "`port" in proc.stderr and "APPLIANCE_PORT" in proc.stderr
    assert "withheld" not in proc.stdout + proc.stderr


# -- commands on a fresh data directory ------------------------------------------------------


def test_the_models_of_the_checkout_are_found_without_the_makefiles_setting(
    tmp_path: Path, monkeypatch
) -> None:
    from appliance.config import load_settings

    monkeypatch.delenv("APPLIANCE_MODEL_DIR", raising=False)
    settings = load_settings(tmp_path / "data")
    assert settings.models_path == REPO / ".models"
    # The data directory's own models folder, when there is one, comes first.
    (tmp_path / "data" / "models").mkdir(parents=True)
    assert load_settings(tmp_path / "data").models_path == tmp_path / "data" / "models"
    # A new shell, no APPLIANCE_MODEL_DIR: the PII model is found.
    proc = run_cli(
        "pii",
        "analyze",
        data_dir=tmp_path / "fresh",
        stdin=f"Call {NAME} on +49 30 901820",
        unset=("APPLIANCE_MODEL_DIR",),
    )
    assert proc.returncode == 0, proc.stderr
    assert "PERSON" in proc.stdout


def test_retrieve_refuses_an_empty_collection_instead_of_answering_nothing(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    assert run_cli("init", data_dir=data).returncode == 0
    assert run_cli("collections", "create", "hr", data_dir=data).returncode == 0
    proc = run_cli("retrieve", "CCTV retention", "-k", "5", "--json", data_dir=data)
    assert proc.returncode == 4 and proc.stdout == ""
    assert "'default' holds no documents" in proc.stderr and "--collection" in proc.stderr
    proc = run_cli("ask", "How long do we keep CCTV footage?", "-c", "hr", data_dir=data)
    assert proc.returncode == 4 and "'hr' holds no documents" in proc.stderr


def test_init_never_creates_a_key_file_it_then_refuses(tmp_path: Path) -> None:
    key = tmp_path / "keys" / "kek.key"
    data = tmp_path / "data"
    # With a passphrase in the environment: refused before anything is written.
    proc = run_cli(
        "init",
        "--key-file",
        str(key),
        "--new-key-file",
        data_dir=data,
        env={"APPLIANCE_PASSPHRASE": "correct horse battery staple"},
        unset=("APPLIANCE_KEY_FILE",),
    )
    assert proc.returncode == 8 and "APPLIANCE_PASSPHRASE" in proc.stderr
    assert not key.exists() and not (data / "appliance.db").exists()
    # An existing data directory: refused, pointing at key rotation, nothing created.
    assert run_cli("init", data_dir=data).returncode == 0
    proc = run_cli("init", "--key-file", str(key), "--new-key-file", data_dir=data)
    assert proc.returncode == 8 and "keys rotate --new-key-file" in proc.stderr
    assert not key.exists()
    # A new data directory: created and unlocked by the key file.
    fresh = tmp_path / "fresh"
    proc = run_cli(
        "init",
        "--key-file",
        str(key),
        "--new-key-file",
        data_dir=fresh,
        unset=("APPLIANCE_KEY_FILE",),
    )
    assert proc.returncode == 0, proc.stderr
    assert key.stat().st_mode & 0o777 == 0o600
    assert run_cli("keys", "status", data_dir=fresh, unset=("APPLIANCE_KEY_FILE",)).returncode == 0


# -- doctor and models -------------------------------------------------------------------


def test_doctor_judges_what_the_appliance_reaches_not_the_default_route(tmp_path: Path) -> None:
    from appliance.config import load_settings
    from appliance.doctor import network_check

    routes = ["0.0.0.0/0 via eth0", "10.0.0.0/24 via eth0"]
    check = network_check(load_settings(tmp_path / "data"), routes)
    assert (
        check.ok and "nothing off this machine" in check.detail and "default route" in check.detail
    )
    remote = load_settings(
        tmp_path / "data", database_url="postgresql+psycopg://app@db.internal:5432/appliance"
    )
    assert "database db.internal" in network_check(remote, routes).detail
    local = load_settings(tmp_path / "data", chroma_host="127.0.0.1")
    assert "nothing off this machine" in network_check(local, []).detail
    signin_and_nodes = load_settings(
        tmp_path / "data",
        oidc_issuer="https://login.example.eu/realms/bank",
        oidc_client_id="appliance",
        inference_backend="remote",
        llama_server_urls=["http://10.0.0.7:8080", "http://127.0.0.1:8081"],
    )
    detail = network_check(signin_and_nodes, []).detail
    assert "OpenID provider login.example.eu:443" in detail
    assert "inference node 10.0.0.7:8080" in detail and "8081" not in detail


def test_auto_backend_sizes_slots_to_cores_and_memory_and_doctor_says_which(
    tmp_path: Path,
) -> None:
    """The default backend ("auto"): doctor says whether the web server will supervise
    llama-server, with how many slots and how much KV cache, or answer in-process and
    how to change that; the slots are 4 per core, at most 16, and no more than fit a
    quarter of the memory (the default GGUF's header: 30 layers x 3 KV heads x
    (64 + 64) x 2 bytes = 23,040 bytes a token)."""
    from appliance.config import Settings, load_settings
    from appliance.doctor import backend_check
    from appliance.llm.engine import default_threads
    from appliance.llm.gguf import read_gguf
    from appliance.llm.registry import llama_server_slots

    assert Settings.model_fields["inference_backend"].default == "auto"
    data = tmp_path / "data"
    auto = {"inference_backend": "auto"}  # the suite pins in-process (conftest)
    missing = load_settings(data, llama_server_binary=tmp_path / "no" / "llama-server", **auto)
    check = backend_check(missing)
    assert check.ok and "answers in-process" in check.detail
    assert "scripts/build-llama-server" in check.detail
    binary = tmp_path / "llama-server"
    binary.write_bytes(b"")  # found is enough for the line; nothing is started
    found = load_settings(data, llama_server_binary=binary, n_ctx=4096, **auto)
    assert read_gguf(found.chat_model_path).kv_bytes_per_token == 30 * 3 * (64 + 64) * 2
    cores = min(16, 4 * default_threads())
    assert llama_server_slots(found, memory_bytes=64 * 2**30) == cores
    # 1 GiB: a quarter is 256 MiB, 2 slots of 4096 tokens x 23,040 bytes (90 MiB each).
    assert llama_server_slots(found, memory_bytes=2**30) == min(cores, 2)
    assert llama_server_slots(found, memory_bytes=2**20) == 1
    pinned = load_settings(data, llama_server_binary=binary, llama_server_slots=3, **auto)
    assert llama_server_slots(pinned, memory_bytes=2**20) == 3  # the administrator's word
    detail = backend_check(found).detail
    slots = llama_server_slots(found)
    assert f"supervises llama-server ({binary}), {slots} slots x n_ctx=4096" in detail
    assert f"KV cache {slots * 4096 * 23040 / 2**30:.1f} GiB" in detail
    assert "one-shot commands answer in-process" in detail
    # A running web server whose child did not start says what it does instead.
    fell_back = backend_check(found, "in-process").detail
    assert "this web server answers in-process" in fell_back and "llama-server.log" in fell_back


def test_llama_server_args_reach_the_child_but_cannot_override_the_appliances(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """llama_server_args (appliance.toml or APPLIANCE_LLAMA_SERVER_ARGS as JSON) end the
    supervised child's command line; its address, key, model and sizes stay the
    appliance's, and an attempt to give one names the setting to use instead."""
    from appliance.config import load_settings
    from appliance.errors import ConfigError
    from appliance.llm.llama_server import LlamaServerProcess

    monkeypatch.setenv("APPLIANCE_LLAMA_SERVER_ARGS", '["--poll", "0", "--cache-type-k", "q8_0"]')
    settings = load_settings(tmp_path / "data")
    assert settings.llama_server_args == ["--poll", "0", "--cache-type-k", "q8_0"]
    child = LlamaServerProcess(
        binary=tmp_path / "llama-server",
        model_path=tmp_path / "m.gguf",
        slots=2,
        ctx_per_slot=1024,
        threads=1,
        alias="x",
        log_path=tmp_path / "log",
        extra_args=tuple(settings.llama_server_args),
    )
    assert child.command()[-4:] == ["--poll", "0", "--cache-type-k", "q8_0"]
    for owned in (["--port", "9000"], ["--api-key=k"], ["-c", "99"]):
        monkeypatch.setenv("APPLIANCE_LLAMA_SERVER_ARGS", json.dumps(owned))
        with pytest.raises(ConfigError, match="is set by the appliance"):
            load_settings(tmp_path / "data")


def test_doctor_says_not_checked_and_lists_one_line_per_model(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("init", data_dir=data).returncode == 0
    # No key at hand: the audit trail cannot be verified, and doctor says so.
    proc = run_cli("doctor", data_dir=data, unset=("APPLIANCE_KEY_FILE",))
    lines = proc.stdout.splitlines()
    audit = [line for line in lines if "audit trail" in line]
    assert audit and "not checked" in audit[0] and " ok " not in audit[0], proc.stdout
    report = json.loads(
        run_cli("doctor", "--json", data_dir=data, unset=("APPLIANCE_KEY_FILE",)).stdout
    )
    (trail,) = [c for c in report["checks"] if c["name"] == "audit trail"]
    assert trail["checked"] is False
    models = [c for c in report["checks"] if re.match(r"\S+ model ", c["name"])]
    # chat, two embedders (the default and the multilingual option), PII (spaCy en, fr)
    assert len(models) == 5, [c["name"] for c in models]
    listing = run_cli("models", "verify", "--quick", data_dir=data).stdout.splitlines()
    assert len([line for line in listing if line.startswith("  ")]) == 5, listing


# -- audit bundles -------------------------------------------------------------------------


def test_a_bundle_is_verified_as_downloaded_zip_folder_or_inner_folder(app, tmp_path: Path) -> None:
    from appliance.audit import verify_bundle
    from appliance.audit.export import AuditExportError
    from appliance.caller import Caller

    app.audit.append("test.event", **Caller.local().audit_fields())
    bundle = tmp_path / "audit-bundle"
    app.audit.export_as(Caller.local(), bundle, "bundle")
    archive = Path(
        shutil.make_archive(
            str(tmp_path / "download"), "zip", root_dir=tmp_path, base_dir=bundle.name
        )
    )
    unpacked = tmp_path / "unpacked"
    zipfile.ZipFile(archive).extractall(unpacked)
    for path in (bundle, archive, unpacked):
        assert verify_bundle(path).ok, path
    proc = run_cli("audit", "verify", "--bundle", str(archive), data_dir=tmp_path / "none")
    assert proc.returncode == 0 and "intact" in proc.stdout, proc.stderr
    # An archive that was altered is not.
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(archive) as src, zipfile.ZipFile(forged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("records.jsonl"):
                data = data.replace(b"test.event", b"test.evenx")
            dst.writestr(info, data)
    assert not verify_bundle(forged).ok
    with pytest.raises(AuditExportError, match="neither a bundle folder nor a ZIP"):
        verify_bundle(_not_zip(tmp_path))


def _not_zip(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not an archive")
    return path
