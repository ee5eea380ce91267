"""The CLI contract other tools depend on: init, retrieve --json, ask --json, models, doctor."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, run_cli


@pytest.fixture(scope="module")
def cli_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli") / "data"
    proc = run_cli("ingest", str(SAMPLES), data_dir=data)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return data


def test_init_is_idempotent_and_private(tmp_path: Path) -> None:
    data = tmp_path / "new" / "data"
    for _ in range(2):
        proc = run_cli("init", data_dir=data)
        assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.rglob("*"):
        if path.is_file():
            assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    proc = run_cli("--data-dir", str(tmp_path / "flag"), "init", data_dir=data)
    assert proc.returncode == 0 and (tmp_path / "flag" / "appliance.db").is_file()


def test_retrieve_json_contract(cli_data: Path) -> None:
    proc = run_cli(
        "retrieve", "How long are CCTV recordings kept?", "-k", "3", "--json", data_dir=cli_data
    )
    assert proc.returncode == 0, proc.stderr
    hits = json.loads(proc.stdout)["hits"]
    assert 1 <= len(hits) <= 3
    for hit in hits:
        assert {"source", "page", "chunk_id", "score", "text"} <= hit.keys()
        assert Path(hit["source"]).is_file()
        assert hit["page"] is None or isinstance(hit["page"], int)
    assert hits[0]["source"].endswith(".pdf") and isinstance(hits[0]["page"], int)


def test_retrieve_reads_questions_from_stdin(cli_data: Path) -> None:
    questions = "How long are CCTV recordings kept?\nWho approves disclosures to third parties?\n"
    proc = run_cli("retrieve", "-", "--json", data_dir=cli_data, stdin=questions)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 2
    assert all("hits" in json.loads(line) for line in lines)


def test_ask_json_contract(cli_data: Path) -> None:
    proc = run_cli("ask", "How long are CCTV recordings kept?", "--json", data_dir=cli_data)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["answer"].strip()
    assert out["citations"]
    for c in out["citations"]:
        assert {"n", "source", "page"} <= c.keys()
    assert [c["n"] for c in out["citations"]] == list(range(1, len(out["citations"]) + 1))


def test_ask_with_nothing_relevant(cli_data: Path) -> None:
    proc = run_cli(
        "ask", "What is the airspeed velocity of an unladen swallow?", "--json", data_dir=cli_data
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["citations"] == [] and out["found"] is False
    assert "found nothing in the documents" in out["answer"]


def test_unknown_collection_is_a_clear_error(cli_data: Path) -> None:
    proc = run_cli("retrieve", "anything", "--collection", "nope", data_dir=cli_data)
    assert proc.returncode == 4
    assert "no collection named 'nope'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_models_lists_and_verifies(tmp_path: Path) -> None:
    proc = run_cli("models", data_dir=tmp_path / "d")
    assert proc.returncode == 0, proc.stderr
    # One line per model: chat, the two embedders (English, multilingual), PII (en, fr).
    assert proc.stdout.count(" ok") == 5
    assert "use-multilingual-v3/ (2 files)" in proc.stdout


def test_models_missing_are_reported(tmp_path: Path) -> None:
    proc = run_cli(
        "models",
        "verify",
        data_dir=tmp_path / "d",
        env={"APPLIANCE_MODEL_DIR": str(tmp_path / "empty")},
    )
    assert proc.returncode == 1
    assert "missing" in proc.stdout and "appliance models install" in proc.stderr


def test_ask_with_missing_model_names_the_file(cli_data: Path, tmp_path: Path) -> None:
    proc = run_cli(
        "ask",
        "How long are CCTV recordings kept?",
        data_dir=cli_data,
        env={"APPLIANCE_CHAT_MODEL": str(tmp_path / "gone.gguf")},
    )
    assert proc.returncode == 8
    assert "gone.gguf" in proc.stderr and "not found" in proc.stderr


def test_doctor_reports_hardware_and_recommends(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run_cli("init", data_dir=data)
    proc = run_cli("doctor", "--json", data_dir=data)
    report = json.loads(proc.stdout)
    assert report["cores_logical"] >= 1 and report["ram_gib"] > 0
    assert "Llama-3.2" in report["recommendation"] or "SmolLM2" in report["recommendation"]
    assert proc.returncode == (0 if report["ok"] else 1)
    assert any(c["name"] == "data directory" and c["ok"] for c in report["checks"])
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["key-encryption key"]["ok"]  # the session's key file, outside the data
    assert checks["audit trail"]["ok"] and checks["audit trail"]["detail"].startswith("intact")
    assert "outbound network" in checks  # loopback only inside `make test`
    # The default n_gpu_layers = 0 is right for a CPU-only build; advice on a GPU one.
    assert checks["n_gpu_layers"]["ok"]
    assert report["gpu_offload_supported"] == (
        "set n_gpu_layers = -1" in checks["n_gpu_layers"]["detail"]
    )


def test_doctor_advises_on_n_gpu_layers_for_the_build() -> None:
    from appliance.doctor import gpu_layers_check, gpu_offload_supported

    # This machine's llama-cpp-python, as it is: asked for every layer on the GPU.
    offload = gpu_offload_supported()
    check = gpu_layers_check(-1, offload)
    if offload:
        assert check.ok and "GPU offload supported" in check.detail
    else:  # the CPU-only build `make setup` installs
        assert not check.ok and "-1 has no effect" in check.detail
        assert "CPU-only" in check.detail
    # What the check says for each answer of llama_supports_gpu_offload().
    gpu = gpu_layers_check(0, True)
    assert gpu.ok and "set n_gpu_layers = -1" in gpu.detail
    assert not gpu_layers_check(20, False).ok
    assert gpu_layers_check(0, False).ok and gpu_layers_check(-1, True).ok


def test_bad_setting_names_itself(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "appliance.toml").write_text("[llm]\nn_ctx = 'big'\n")
    proc = run_cli("init", data_dir=data)
    assert proc.returncode == 8
    assert "n_ctx" in proc.stderr and "appliance.toml" in proc.stderr


def test_corrupt_database_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert run_cli("init", data_dir=data).returncode == 0
    db = data / "appliance.db"
    for extra in ("-wal", "-shm"):
        Path(str(db) + extra).unlink(missing_ok=True)
    db.write_bytes(b"this is not a database" * 100)
    proc = run_cli("retrieve", "anything", data_dir=data)
    assert proc.returncode == 8
    assert "cannot be read" in proc.stderr and "Traceback" not in proc.stderr


def test_settings_clashes_and_relative_model_dir(tmp_path: Path) -> None:
    from appliance.config import load_settings
    from appliance.errors import ConfigError

    data = tmp_path / "data"
    data.mkdir()
    (data / "appliance.toml").write_text("[llm]\nmax_tokens = 100\n[embed]\nmax_tokens = 5\n")
    with pytest.raises(ConfigError, match="given twice"):
        load_settings(data)
    (data / "appliance.toml").write_text("model_dir = 'models'\n[llm]\nn_ctx = 1024\n")
    import os

    saved = os.environ.pop("APPLIANCE_MODEL_DIR")
    try:
        settings = load_settings(data)
    finally:
        os.environ["APPLIANCE_MODEL_DIR"] = saved
    assert settings.models_path == data.resolve() / "models"
    with pytest.raises(ConfigError, match="max_tokens"):
        load_settings(data, max_tokens=900)
