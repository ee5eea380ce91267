"""An administrator sets up keys, rotates them, backs up and restores, from the CLI."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_at_rest import _values, scan_for_values, write_records

pytestmark = pytest.mark.store

PASS = "staple battery horse correct"
NEW_PASS = "the next long passphrase for rotation"
NO_KEY = ("APPLIANCE_KEY_FILE", "APPLIANCE_PASSPHRASE")


def cli(*args: str, data_dir: Path, passphrase: str | None = PASS, **kw):  # type: ignore[no-untyped-def]
    env = {"APPLIANCE_PASSPHRASE": passphrase} if passphrase else {}
    env.update(kw.pop("env", {}))
    return run_cli(*args, data_dir=data_dir, env=env, unset=NO_KEY, **kw)


def ok(proc):  # type: ignore[no-untyped-def]
    assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture
def records(tmp_path: Path) -> list[Path]:
    return write_records(tmp_path / "records")


def _documents(data: Path, passphrase: str = PASS) -> list[dict]:  # type: ignore[type-arg]
    return json.loads(
        ok(cli("documents", "list", "--json", data_dir=data, passphrase=passphrase)).stdout
    )


def test_init_with_a_new_key_file_remembers_it(tmp_path: Path) -> None:
    data, key = tmp_path / "data", tmp_path / "secrets" / "kek.key"
    proc = ok(cli("init", "--key-file", str(key), "--new-key-file", data_dir=data, passphrase=None))
    assert "key file" in proc.stdout and oct(key.stat().st_mode & 0o777) == "0o600"
    config = tomllib.loads((data / "appliance.toml").read_text())
    assert config["key_file"] == str(key.resolve())
    status = json.loads(ok(cli("keys", "status", "--json", data_dir=data, passphrase=None)).stdout)
    assert status["kek_source"] == "key_file" and status["kek_version"] == 1
    moved = tmp_path / "elsewhere.key"
    key.rename(moved)
    proc = cli("keys", "status", data_dir=data, passphrase=None)
    assert proc.returncode == 7 and f"key file expected at {key.resolve()}" in proc.stderr


def test_without_a_key_commands_say_how_to_give_one(tmp_path: Path) -> None:
    proc = cli("init", data_dir=tmp_path / "data", passphrase=None)
    assert proc.returncode == 7
    assert "APPLIANCE_PASSPHRASE" in proc.stderr and "Traceback" not in proc.stderr


def test_a_wrong_passphrase_is_one_clear_line(tmp_path: Path, records: list[Path]) -> None:
    data = tmp_path / "data"
    ok(cli("ingest", str(records[0]), data_dir=data))
    proc = cli("documents", "list", data_dir=data, passphrase="a wrong but long passphrase")
    assert proc.returncode == 7
    assert proc.stderr.strip().startswith("error: the passphrase (APPLIANCE_PASSPHRASE) does not")
    assert "Traceback" not in proc.stderr


def test_an_interrupted_rotation_resumes_and_then_only_the_new_secret_works(
    tmp_path: Path, records: list[Path]
) -> None:
    data = tmp_path / "data"
    ok(cli("ingest", *map(str, records), data_dir=data))
    crashed = cli(
        "keys",
        "rotate",
        "--batch",
        "1",
        data_dir=data,
        env={"APPLIANCE_NEW_PASSPHRASE": NEW_PASS, "APPLIANCE_CRASH_AT": "rotation"},
    )
    assert crashed.returncode == 137
    assert len(_documents(data)) == 2  # still readable with the old secret
    status = json.loads(ok(cli("keys", "status", "--json", data_dir=data)).stdout)
    assert status["rotation_pending"] and status["rotation_remaining"] >= 1
    wrong = cli("keys", "rotate", data_dir=data, env={"APPLIANCE_NEW_PASSPHRASE": PASS + "!"})
    assert wrong.returncode == 7 and "same new key" in wrong.stderr
    ok(cli("keys", "rotate", data_dir=data, env={"APPLIANCE_NEW_PASSPHRASE": NEW_PASS}))
    assert cli("documents", "list", data_dir=data).returncode == 7
    assert len(_documents(data, NEW_PASS)) == 2
    hits = json.loads(
        ok(
            cli(
                "retrieve",
                "Where does Wilhelmina live?",
                "--json",
                "--reveal",
                data_dir=data,
                passphrase=NEW_PASS,
            )
        ).stdout
    )["hits"]
    assert any("Larkspur" in h["text"] for h in hits)


@pytest.mark.one_backend  # backups are of SQLite appliances (a server's are its own)
def test_a_restored_backup_does_not_bring_back_what_was_deleted_since(
    tmp_path: Path, records: list[Path]
) -> None:
    data, archive = tmp_path / "data", tmp_path / "backups" / "monday.bak"
    ok(cli("ingest", *map(str, records), data_dir=data))
    ok(cli("backup", "create", "--out", str(archive), data_dir=data))
    assert scan_for_values(archive.parent, _values()) == []
    gone = next(d for d in _documents(data) if d["source"].endswith("record-1.txt"))
    ok(cli("documents", "delete", gone["id"], data_dir=data))

    # Into the live directory (moved aside) and into a fresh one with the shred log.
    refused = cli("backup", "restore", str(archive), data_dir=data)
    assert refused.returncode == 8 and "--force" in refused.stderr
    ok(cli("backup", "restore", str(archive), "--force", data_dir=data))
    assert [d["source"].rsplit("/", 1)[1] for d in _documents(data)] == ["record-0.txt"]
    fresh = tmp_path / "fresh"
    ok(
        cli(
            "backup",
            "restore",
            str(archive),
            "--shred-log",
            str(data / "shredded.jsonl"),
            data_dir=fresh,
        )
    )
    assert len(_documents(fresh)) == 1
    unguarded = cli("backup", "restore", str(archive), data_dir=tmp_path / "fresh2")
    assert unguarded.returncode == 0 and "were NOT re-applied" in unguarded.stderr
    hits = json.loads(
        ok(
            cli(
                "retrieve",
                "Who is Bartholomew Szczepanski-Ndlovu?",
                "--json",
                "--reveal",
                data_dir=fresh,
            )
        ).stdout
    )["hits"]
    assert all("Szczepanski" not in h["text"] for h in hits)
    assert scan_for_values(fresh, _values()) == []


@pytest.mark.one_backend
def test_restore_with_a_wrong_secret_or_a_damaged_archive_touches_nothing(
    tmp_path: Path, records: list[Path]
) -> None:
    data, archive = tmp_path / "data", tmp_path / "b.bak"
    ok(cli("ingest", str(records[0]), data_dir=data))
    ok(cli("backup", "create", "--out", str(archive), data_dir=data))
    target = tmp_path / "target"
    wrong = cli("backup", "restore", str(archive), data_dir=target, passphrase="not it, but long")
    assert wrong.returncode == 7 and "does not open this backup (made on" in wrong.stderr
    damaged = tmp_path / "damaged.bak"
    raw = bytearray(archive.read_bytes())
    raw[-100] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    broken = cli("backup", "restore", str(damaged), data_dir=target)
    assert broken.returncode == 6 and "integrity check" in broken.stderr
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if "restore" in p.name] == []
    inside = cli("backup", "create", "--out", str(data / "b.bak"), data_dir=data)
    assert inside.returncode == 8 and "inside the data directory" in inside.stderr
    info = json.loads(
        ok(cli("backup", "info", str(archive), data_dir=data, passphrase=None)).stdout
    )
    assert info["documents"] == 1 and "wrapped_key" not in info
