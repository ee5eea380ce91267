"""The crypto room: the only place that touches keys, nonces and cipher modes.

Public API:

* :class:`KeySource` and :func:`resolve_key_source`: where the KEK comes from;
* :class:`Keyring`: unlock, per-owner :class:`DataKey` (``seal``/``open``,
  ``seal_file``/``open_file``), ``mac`` for keyed lookups, ``shred``,
  ``rotate``, ``status``;
* :class:`Signer` and :func:`verify_signature`: Ed25519 signatures.
"""

from appliance.crypto.kek import (
    KEY_FILE_ENV,
    PASSPHRASE_ENV,
    KeySource,
    create_key_file,
    resolve_key_source,
)
from appliance.crypto.keyring import (
    DataKey,
    KekRecord,
    Keyring,
    KeyStatus,
    KeyStore,
    ShredEntry,
    ShredLog,
    WrappedKey,
    ephemeral_mac,
)
from appliance.crypto.signing import Signer, fingerprint, public_key_pem, verify_signature

__all__ = [
    "KEY_FILE_ENV",
    "PASSPHRASE_ENV",
    "DataKey",
    "KekRecord",
    "KeySource",
    "KeyStatus",
    "KeyStore",
    "Keyring",
    "ShredEntry",
    "ShredLog",
    "Signer",
    "WrappedKey",
    "create_key_file",
    "ephemeral_mac",
    "fingerprint",
    "public_key_pem",
    "resolve_key_source",
    "verify_signature",
]
