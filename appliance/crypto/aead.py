"""AES-256-GCM with associated data: the only module that touches nonces.

Every ciphertext is bound to its *place* (what record and field it belongs
to) through the associated data, so a ciphertext copied into another row or
field fails authentication instead of decrypting there.

Field format: ``0x01 || nonce(12) || ciphertext || tag(16)``.

Stream format (files): a header, then segments of at most 1 MiB, each sealed
with its index and a final flag in the associated data, so reordering,
truncation and splicing are all detected.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from appliance.errors import TamperedData

KEY_BYTES = 32
_NONCE = 12
_TAG = 16
_FIELD_VERSION = b"\x01"
_STREAM_MAGIC = b"APPLSEAL1\n"
SEGMENT_BYTES = 1 << 20
_SEGMENT_HEADER = struct.Struct(">I")  # length of the sealed segment


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def _aad(place: tuple[str, ...]) -> bytes:
    # Length-prefixed parts: ("a|b", "c") and ("a", "b|c") never collide.
    return b"".join(struct.pack(">H", len(p.encode())) + p.encode() for p in place)


def _where(place: tuple[str, ...]) -> str:
    return "/".join(place)


class Cipher:
    """AES-256-GCM under one key; the cipher object is built once and reused."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, place: tuple[str, ...]) -> bytes:
        nonce = os.urandom(_NONCE)
        return _FIELD_VERSION + nonce + self._aead.encrypt(nonce, plaintext, _aad(place))

    def open(self, sealed: bytes, place: tuple[str, ...]) -> bytes:
        if len(sealed) < 1 + _NONCE + _TAG or sealed[:1] != _FIELD_VERSION:
            raise TamperedData(f"{_where(place)}: not a sealed value (damaged or replaced).")
        nonce, body = sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :]
        try:
            return self._aead.decrypt(nonce, body, _aad(place))
        except InvalidTag:
            raise TamperedData(
                f"{_where(place)}: failed its integrity check: the record was modified, moved "
                "or damaged on disk. Restore it from a backup."
            ) from None


def seal(key: bytes, plaintext: bytes, place: tuple[str, ...]) -> bytes:
    return Cipher(key).seal(plaintext, place)


def open_sealed(key: bytes, sealed: bytes, place: tuple[str, ...]) -> bytes:
    return Cipher(key).open(sealed, place)


def _segment_place(place: tuple[str, ...], index: int, final: bool) -> tuple[str, ...]:
    return (*place, f"segment:{index}", "final" if final else "more")


def seal_stream(key: bytes, src: BinaryIO, dst: BinaryIO, place: tuple[str, ...]) -> int:
    """Encrypt ``src`` into ``dst`` segment by segment (bounded memory); returns bytes read."""
    cipher = Cipher(key)
    dst.write(_STREAM_MAGIC)
    total = 0
    index = 0
    block = src.read(SEGMENT_BYTES)
    while True:
        following = src.read(SEGMENT_BYTES) if block else b""
        final = not following
        sealed = cipher.seal(block, _segment_place(place, index, final))
        dst.write(_SEGMENT_HEADER.pack(len(sealed)) + sealed)
        total += len(block)
        if final:
            return total
        block, index = following, index + 1


def open_stream(key: bytes, src: BinaryIO, place: tuple[str, ...]) -> Iterator[bytes]:
    """Decrypt a stream written by :func:`seal_stream`, yielding plaintext segments."""
    if src.read(len(_STREAM_MAGIC)) != _STREAM_MAGIC:
        raise TamperedData(f"{_where(place)}: not a sealed file (damaged or replaced).")
    cipher = Cipher(key)
    index = 0
    while True:
        header = src.read(_SEGMENT_HEADER.size)
        if len(header) < _SEGMENT_HEADER.size:
            raise TamperedData(f"{_where(place)}: the sealed file is truncated.")
        (length,) = _SEGMENT_HEADER.unpack(header)
        if length > SEGMENT_BYTES + 64:
            raise TamperedData(f"{_where(place)}: the sealed file is damaged.")
        sealed = src.read(length)
        if len(sealed) != length:
            raise TamperedData(f"{_where(place)}: the sealed file is truncated or damaged.")
        # The final flag is authenticated: try "more" first, then "final".
        try:
            yield cipher.open(sealed, _segment_place(place, index, False))
        except TamperedData:
            yield cipher.open(sealed, _segment_place(place, index, True))
            if src.read(1):
                raise TamperedData(f"{_where(place)}: data follows the final segment.") from None
            return
        index += 1
