"""Sealed archives (backups): a file readable only with the data directory's secret.

Layout: a magic line, a JSON header (the KEK version's KDF parameters and
verifier, the archive's own random key wrapped under that KEK, and whatever
the caller adds), then the payload as an AEAD stream bound to the archive id.
Restoring needs the passphrase or key file that was current when the archive
was made, and nothing else: not the database, not the data directory.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO

from appliance.crypto import aead
from appliance.crypto.kek import KeySource, derive_kek
from appliance.crypto.keyring import KekRecord, Keyring, _check_verifier
from appliance.errors import CryptoError, TamperedData, WrongPassphrase

MAGIC = b"APPLIANCE-SEALED-ARCHIVE 1\n"
_HEADER_LEN = struct.Struct(">I")
_MAX_HEADER = 1 << 20


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def write_archive(
    keyring: Keyring, header: dict[str, Any], payload: BinaryIO, dst: BinaryIO
) -> str:
    """Seal ``payload`` into ``dst``; returns the archive id."""
    record = keyring.current_record()
    archive_id = uuid.uuid4().hex
    archive_key = aead.new_key()
    full = {
        **header,
        "archive_id": archive_id,
        "kek": {
            "version": record.version,
            "kind": record.kind,
            "params": record.params,
            "verifier": _b64(record.verifier),
        },
        "wrapped_key": _b64(keyring.seal_with_kek(archive_key, "archive-key", archive_id)),
    }
    raw = json.dumps(full, sort_keys=True).encode("utf-8")
    dst.write(MAGIC + _HEADER_LEN.pack(len(raw)) + raw)
    aead.seal_stream(archive_key, payload, dst, ("archive", archive_id, _header_digest(raw)))
    return archive_id


def _header_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


def read_header(src: BinaryIO) -> tuple[dict[str, Any], bytes]:
    if src.read(len(MAGIC)) != MAGIC:
        raise CryptoError("not an appliance backup (the file does not start with its marker).")
    size = src.read(_HEADER_LEN.size)
    if len(size) != _HEADER_LEN.size or _HEADER_LEN.unpack(size)[0] > _MAX_HEADER:
        raise TamperedData("backup header is damaged.")
    raw = src.read(_HEADER_LEN.unpack(size)[0])
    try:
        return json.loads(raw), raw
    except ValueError:
        raise TamperedData("backup header is damaged.") from None


def open_archive(source: KeySource, src: BinaryIO) -> tuple[dict[str, Any], Iterator[bytes]]:
    """Check ``source`` against the header, then stream the payload's plaintext.

    A wrong secret raises :class:`WrongPassphrase` before any payload is read.
    """
    header, raw = read_header(src)
    try:
        kek_info = header["kek"]
        record = KekRecord(
            kek_info["version"],
            kek_info["kind"],
            kek_info["params"],
            base64.b64decode(kek_info["verifier"]),
            "archive",
        )
        archive_id = header["archive_id"]
        wrapped = base64.b64decode(header["wrapped_key"])
    except (KeyError, ValueError, TypeError):
        raise TamperedData("backup header is damaged (fields missing).") from None
    try:
        kek = derive_kek(source, record.params)
    except (KeyError, ValueError, TypeError):
        raise TamperedData("backup header is damaged (key parameters).") from None
    try:
        _check_verifier(kek, record, source)
    except WrongPassphrase:
        raise WrongPassphrase(
            f"{source.describe()} does not open this backup (made on "
            f"{header.get('created_at', '?')} under key version {record.version}). Give the "
            "passphrase or key file that was in use then (`--key-file` for a key file)."
        ) from None
    archive_key = aead.open_sealed(kek, wrapped, ("archive-key", archive_id))
    return header, aead.open_stream(archive_key, src, ("archive", archive_id, _header_digest(raw)))
