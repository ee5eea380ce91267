"""A real OpenLDAP server (Debian's ``slapd``) for the tests, on a free loopback port.

:func:`start_slapd` writes a ``slapd.conf`` (mdb database, the core, cosine,
inetorgperson and nis schemas, the ppolicy overlay), a CA and a server certificate
made here with ``cryptography``, and a directory loaded with ``slapadd``; the server
listens with StartTLS on ``ldap://127.0.0.1:PORT`` and with TLS on
``ldaps://127.0.0.1:PORT``. scripts/install-ldap (``make setup``) installs slapd.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import secrets
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SLAPD = Path("/usr/sbin/slapd")
SLAPADD = Path("/usr/sbin/slapadd")
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")

SUFFIX = "dc=example,dc=org"
ROOT_DN = f"cn=admin,{SUFFIX}"
SERVICE_DN = f"cn=appliance,ou=services,{SUFFIX}"


def available() -> bool:
    return SLAPD.is_file() and SLAPADD.is_file() and (SCHEMA_DIR / "core.schema").is_file()


def ssha(password: str) -> str:
    """``{SSHA}`` as slapd checks it: SHA-1 of password + salt, then the salt."""
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def make_ca(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path, Path]:
    """A CA and a server certificate for ``host`` (IP and DNS names) signed by it:
    (ca.pem, server.pem, server.key)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test directory CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    try:
        names.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    ca_pem, cert_pem, key_pem = folder / "ca.pem", folder / "server.pem", folder / "server.key"
    ca_pem.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_pem.chmod(0o600)
    return ca_pem, cert_pem, key_pem


@dataclass
class Slapd:
    folder: Path
    ca_file: Path
    ldap_port: int
    ldaps_port: int
    root_password: str
    service_password: str
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.folder / "slapd.log"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://127.0.0.1:{self.ldaps_port}"

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.ldap_port}"

    @property
    def misnamed_url(self) -> str:
        """TLS on another loopback address, which the certificate does not name."""
        return f"ldaps://127.0.0.2:{self.ldaps_port}"

    def start(self) -> None:
        urls = f"{self.ldap_url}/ {self.ldaps_url}/ {self.misnamed_url}/"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(SLAPD), "-d", "0", "-f", str(self.folder / "slapd.conf"), "-h", urls],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"slapd exited at start: {self.log.read_text()[-3000:]}")
            if _listening(self.ldap_port) and _listening(self.ldaps_port):
                return
            time.sleep(0.05)
        raise RuntimeError(f"slapd did not listen within 30 s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def write_config(folder: Path, ca: Path, cert: Path, key: Path, root_password: str) -> Path:
    db = folder / "db"
    db.mkdir(parents=True, exist_ok=True)
    schemas = "\n".join(
        f"include {SCHEMA_DIR / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")
    )
    conf = f"""{schemas}
modulepath {MODULE_DIR}
moduleload back_mdb
moduleload ppolicy
pidfile {folder / "slapd.pid"}
argsfile {folder / "slapd.args"}
TLSCACertificateFile {ca}
TLSCertificateFile {cert}
TLSCertificateKeyFile {key}
loglevel none

database mdb
maxsize 16777216
suffix "{SUFFIX}"
rootdn "{ROOT_DN}"
rootpw {ssha(root_password)}
directory {db}
overlay ppolicy
# Passwords: each user binds with their own; nobody reads them.
access to attrs=userPassword
    by self =xw
    by anonymous auth
    by * none
# The appliance's service account reads users and groups; users read themselves.
access to *
    by dn.exact="{SERVICE_DN}" read
    by self read
    by * none
"""
    path = folder / "slapd.conf"
    path.write_text(conf)
    return path


def load(folder: Path, ldif: str) -> None:
    """``slapadd`` the entries into the (stopped) server's database."""
    source = folder / "data.ldif"
    source.write_text(ldif)
    done = subprocess.run(
        [str(SLAPADD), "-q", "-f", str(folder / "slapd.conf"), "-l", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"slapadd failed: {done.stderr}")


def start_slapd(folder: Path, ldif: str, *, service_password: str, root_password: str) -> Slapd:
    """Write the configuration and the directory into ``folder`` and start slapd."""
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    ca, cert, key = make_ca(folder / "tls")
    write_config(folder, ca, cert, key, root_password)
    load(folder, ldif)
    server = Slapd(folder, ca, free_port(), free_port(), root_password, service_password)
    server.start()
    return server


def admin(server: Slapd) -> Any:
    """An ldap3 connection bound as the directory's root (over verified TLS), to
    change the directory during a test."""
    import ssl

    from ldap3 import Connection, Server, Tls

    tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(server.ca_file))
    conn = Connection(
        Server(server.ldaps_url, tls=tls, connect_timeout=5),
        ROOT_DN,
        server.root_password,
        auto_bind=True,
        receive_timeout=5,
    )
    return conn
