"""A self-signed TLS certificate for the web UI, until an administrator brings one
signed by the organisation's CA (the installer makes one on first install)."""

from __future__ import annotations

import ipaddress
import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from appliance.errors import ConfigError


def _names(hostnames: list[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for name in hostnames:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            out.append(x509.DNSName(name))
    return out


def make_self_signed(
    cert_path: Path, key_path: Path, hostnames: list[str] | None = None, days: int = 825
) -> tuple[Path, Path]:
    """Write an ECDSA P-256 key (mode 0600) and a certificate valid for ``hostnames``
    (default: this host's name, localhost, 127.0.0.1 and ::1)."""
    if cert_path.exists() or key_path.exists():
        raise ConfigError(f"{cert_path} or {key_path} exists already; move it away first.")
    hostnames = hostnames or [socket.gethostname(), "localhost", "127.0.0.1", "::1"]
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0][:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Private AI appliance (self-signed)"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName(_names(hostnames)), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    for path in (cert_path, key_path):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def certificate_expiry(cert_path: Path) -> datetime:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    return cert.not_valid_after_utc
