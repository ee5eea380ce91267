"""The crypto room: sealing bound to place, streams, the keyring, rotation, signatures."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from appliance.crypto import (
    Keyring,
    KeySource,
    ShredLog,
    Signer,
    aead,
    create_key_file,
    resolve_key_source,
    verify_signature,
)
from appliance.crypto.signing import rotation_entries
from appliance.errors import (
    ConfigError,
    CryptoError,
    KeyShredded,
    KeyUnavailable,
    TamperedData,
    WrongPassphrase,
)
from appliance.store.database import Database
from appliance.store.keys import SqlKeyStore

PASSPHRASE = "a long and private passphrase"


def _open_keyring(folder: Path, source: KeySource) -> Keyring:
    db = Database(f"sqlite:///{folder / 'appliance.db'}")
    db.open()
    return Keyring.unlock(SqlKeyStore(db), source, ShredLog(folder / "shredded.jsonl"))


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- sealing -------------------------------------------------------------------


def test_a_sealed_value_opens_only_in_its_own_place() -> None:
    key = aead.new_key()
    sealed = aead.seal(key, b"Jane Roe, born 1970", ("chunk", "doc1:0", "text"))
    assert aead.open_sealed(key, sealed, ("chunk", "doc1:0", "text")) == b"Jane Roe, born 1970"
    with pytest.raises(TamperedData, match="chunk/doc1:1/text"):
        aead.open_sealed(key, sealed, ("chunk", "doc1:1", "text"))  # moved to another row
    with pytest.raises(TamperedData):
        aead.open_sealed(key, sealed, ("chunk", "doc1:0", "section"))  # another field
    flipped = bytearray(sealed)
    flipped[20] ^= 1
    with pytest.raises(TamperedData, match="integrity check"):
        aead.open_sealed(key, bytes(flipped), ("chunk", "doc1:0", "text"))
    with pytest.raises(TamperedData, match="not a sealed value"):
        aead.open_sealed(key, b"plain text", ("chunk", "doc1:0", "text"))


def test_place_parts_cannot_be_regrouped() -> None:
    key = aead.new_key()
    sealed = aead.seal(key, b"x", ("a|b", "c"))
    with pytest.raises(TamperedData):
        aead.open_sealed(key, sealed, ("a", "b|c"))


def _stream(monkeypatch: pytest.MonkeyPatch, data: bytes) -> tuple[bytes, bytes]:
    monkeypatch.setattr(aead, "SEGMENT_BYTES", 1024)
    key = aead.new_key()
    out = io.BytesIO()
    aead.seal_stream(key, io.BytesIO(data), out, ("blob", "d1"))
    return key, out.getvalue()


def test_sealed_streams_round_trip_in_segments(monkeypatch: pytest.MonkeyPatch) -> None:
    for size in (0, 1, 1024, 5000):
        data = os.urandom(size)
        key, sealed = _stream(monkeypatch, data)
        assert b"".join(aead.open_stream(key, io.BytesIO(sealed), ("blob", "d1"))) == data


def test_truncated_reordered_or_extended_streams_are_detected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = os.urandom(3000)  # three segments
    key, sealed = _stream(monkeypatch, data)
    header = len(b"APPLSEAL1\n")
    seg = 4 + 1 + 12 + 1024 + 16
    first, second = sealed[header : header + seg], sealed[header + seg : header + 2 * seg]

    def read(blob: bytes) -> bytes:
        return b"".join(aead.open_stream(key, io.BytesIO(blob), ("blob", "d1")))

    with pytest.raises(TamperedData):
        read(sealed[: header + 2 * seg])  # last segment cut off
    with pytest.raises(TamperedData):
        read(sealed[:header] + second + first + sealed[header + 2 * seg :])
    with pytest.raises(TamperedData, match="follows the final"):
        read(sealed + sealed[header : header + seg])
    with pytest.raises(TamperedData):
        b"".join(aead.open_stream(key, io.BytesIO(sealed), ("blob", "d2")))


# -- key sources ------------------------------------------------------------------


def test_key_files_must_exist_be_private_and_live_outside_the_data_directory(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.raises(KeyUnavailable, match=str(tmp_path / "missing.key")):
        KeySource.key_file(tmp_path / "missing.key", data_dir)
    loose = create_key_file(tmp_path / "loose.key")
    loose.chmod(0o644)
    with pytest.raises(KeyUnavailable, match="chmod 600"):
        KeySource.key_file(loose, data_dir)
    inside = create_key_file(data_dir / "kek.key")
    with pytest.raises(KeyUnavailable, match="inside the data directory"):
        KeySource.key_file(inside, data_dir)
    short = tmp_path / "short.key"
    short.write_text("too short")
    short.chmod(0o600)
    with pytest.raises(KeyUnavailable, match="at least 32 are needed"):
        KeySource.key_file(short, data_dir)
    with pytest.raises(KeyUnavailable, match="already exists"):
        create_key_file(loose)


def test_key_source_resolution_is_explicit(tmp_path: Path) -> None:
    key_file = create_key_file(tmp_path / "k.key")
    env = {"APPLIANCE_PASSPHRASE": PASSPHRASE}
    assert resolve_key_source(None, None, env=env).kind == "passphrase"
    assert resolve_key_source(key_file, None, env={}).kind == "key_file"
    with pytest.raises(ConfigError, match="keep one"):
        resolve_key_source(key_file, None, env=env)
    with pytest.raises(KeyUnavailable, match="APPLIANCE_PASSPHRASE"):
        resolve_key_source(None, None, env={})
    assert resolve_key_source(None, None, prompt=lambda: PASSPHRASE, env={}).origin == "typed"


# -- the keyring -------------------------------------------------------------------


def test_a_wrong_passphrase_is_refused_and_touches_nothing(tmp_path: Path) -> None:
    ring = _open_keyring(tmp_path, KeySource.passphrase(PASSPHRASE))
    sealed = ring.data_key("document", "d1").seal("secret", "f")
    before = _digest(tmp_path / "appliance.db")
    with pytest.raises(WrongPassphrase, match="Nothing was changed"):
        _open_keyring(tmp_path, KeySource.passphrase("not the passphrase at all"))
    with pytest.raises(WrongPassphrase, match="locked with a passphrase"):
        _open_keyring(tmp_path, KeySource.key_file(create_key_file(tmp_path / "k/k.key")))
    assert _digest(tmp_path / "appliance.db") == before
    again = _open_keyring(tmp_path, KeySource.passphrase(PASSPHRASE))
    assert again.data_key("document", "d1").open_text(sealed, "f") == "secret"


def test_a_new_passphrase_must_be_long_enough(tmp_path: Path) -> None:
    with pytest.raises(KeyUnavailable, match="12 characters"):
        _open_keyring(tmp_path, KeySource.passphrase("short"))


def test_shredded_keys_are_gone_for_good(tmp_path: Path) -> None:
    ring = _open_keyring(tmp_path, KeySource.passphrase(PASSPHRASE))
    sealed = ring.data_key("subject", "s1").seal("jane.roe@example.org", "email")
    assert ring.shred("subject", "s1")
    with pytest.raises(KeyShredded):
        ring.data_key("subject", "s1", create=False)
    # A fresh key for the same owner does not open the old ciphertext.
    with pytest.raises(TamperedData):
        ring.data_key("subject", "s1").open(sealed, "email")
    entries = ring.shred_log.entries()
    assert [(e.scope, e.owner) for e in entries] == [("subject", "s1")]
    assert oct((tmp_path / "shredded.jsonl").stat().st_mode & 0o777) == "0o600"


def test_keyed_hashes_are_stable_per_purpose(tmp_path: Path) -> None:
    ring = _open_keyring(tmp_path, KeySource.passphrase(PASSPHRASE))
    assert ring.mac("source", "a.pdf") == ring.mac("source", "a.pdf")
    assert ring.mac("source", "a.pdf") != ring.mac("content", "a.pdf")
    assert ring.mac("source", "a.pdf") != hashlib.sha256(b"a.pdf").hexdigest()


def test_rotation_keeps_everything_readable_and_retires_the_old_secret(tmp_path: Path) -> None:
    ring = _open_keyring(tmp_path, KeySource.passphrase(PASSPHRASE))
    sealed = {f"d{i}": ring.data_key("document", f"d{i}").seal(f"text {i}", "t") for i in range(7)}
    signer = Signer.load_or_create(ring, tmp_path / "keys", "audit")
    signature = signer.sign(b"checkpoint")
    new = KeySource.key_file(create_key_file(tmp_path / "kek/new.key"))
    assert ring.rotate(new, secrets=rotation_entries(tmp_path / "keys"), batch=3) == 2
    with pytest.raises(WrongPassphrase):
        _open_keyring(tmp_path, KeySource.passphrase(PASSPHRASE))
    rotated = _open_keyring(tmp_path, new)
    for owner, blob in sealed.items():
        assert rotated.data_key("document", owner).open_text(blob, "t").startswith("text")
    reloaded = Signer.load_or_create(rotated, tmp_path / "keys", "audit")
    assert reloaded.public_raw == signer.public_raw
    assert verify_signature(reloaded.public_raw, b"checkpoint", signature)
    assert not verify_signature(reloaded.public_raw, b"checkpoint!", signature)
    status = rotated.status()
    assert (status.kek_version, status.kek_kind, status.rotation_pending) == (2, "key_file", False)


def test_a_key_made_by_a_process_from_before_a_rotation_is_refused(tmp_path: Path) -> None:
    old = _open_keyring(tmp_path, KeySource.passphrase(PASSPHRASE))
    other = _open_keyring(tmp_path, KeySource.passphrase(PASSPHRASE))
    other.rotate(KeySource.passphrase("the next long passphrase"))
    with pytest.raises(CryptoError, match="restart the appliance"):
        old.data_key("document", "new-one")


def test_a_typed_passphrase_creates_keys_only_when_confirmed(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'appliance.db'}")
    db.open()
    typed = KeySource.passphrase(PASSPHRASE, "typed")
    with pytest.raises(KeyUnavailable, match="run `appliance init` first"):
        Keyring.unlock(SqlKeyStore(db), typed, ShredLog(tmp_path / "s.jsonl"), create=False)
    assert Keyring.unlock(SqlKeyStore(db), typed, ShredLog(tmp_path / "s.jsonl")).kek_version == 1
