"""Hardware, models and data-directory checks, and a model recommendation."""

from __future__ import annotations

import shutil
import stat
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from appliance.config import Settings
from appliance.llm.llama_server import LlamaServerPool, find_llama_server
from appliance.llm.registry import kv_bytes_per_token, llama_server_slots
from appliance.models import group_statuses, verify_models

_CPU_FLAGS = ("avx", "avx2", "avx512f", "avx512_vnni", "fma", "f16c", "neon", "asimd", "sve")


@dataclass
class Check:
    name: str
    ok: bool
    detail: str
    # False: the check could not run (no key at hand...): shown as "not checked", neither
    # ok nor a failure, and it does not fail the report.
    checked: bool = True

    @property
    def mark(self) -> str:
        return "ok" if self.ok and self.checked else "not checked" if not self.checked else "FAIL"


@dataclass
class Report:
    cores_physical: int
    cores_logical: int
    ram_gib: float
    cpu_flags: list[str]
    gpu: str
    gpu_offload_supported: bool
    recommendation: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.checked)

    def as_json(self) -> dict[str, Any]:
        return asdict(self) | {"ok": self.ok}


def cpu_flags() -> list[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    for line in text.splitlines():
        if line.startswith(("flags", "Features")):
            present = set(line.split(":", 1)[1].split())
            return [f for f in _CPU_FLAGS if f in present]
    return []


def detect_gpu() -> str:
    if shutil.which("nvidia-smi"):
        return "NVIDIA GPU (nvidia-smi present)"
    if Path("/dev/kfd").exists():
        return "AMD GPU (ROCm device present)"
    if Path("/dev/dri").exists() and any(Path("/dev/dri").glob("renderD*")):
        return "GPU render device present (vendor unknown)"
    return "none found"


def gpu_offload_supported() -> bool:
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        return False


def recommend(ram_gib: float, flags: list[str], gpu: bool) -> str:
    """Pick a Llama 3.2 size and quantisation that this machine runs comfortably."""
    if gpu:
        return (
            "Llama-3.2-3B-Instruct Q8_0 with n_gpu_layers = -1 (whole model on the GPU); "
            "GPU offload needs a llama-cpp-python build with CUDA/ROCm/Vulkan."
        )
    if "avx2" not in flags and "neon" not in flags and "asimd" not in flags:
        return (
            "This CPU lacks AVX2/NEON: expect slow generation. Llama-3.2-1B-Instruct Q4_K_M "
            "at most; consider other hardware."
        )
    if ram_gib < 4:
        return "Under 4 GiB RAM: keep the built-in SmolLM2-135M, or Llama-3.2-1B-Instruct Q4_K_M."
    if ram_gib < 8:
        return "Llama-3.2-1B-Instruct Q4_K_M (about 0.8 GB on disk, 1.5 GB in memory)."
    if ram_gib < 16:
        return "Llama-3.2-3B-Instruct Q4_K_M (about 2 GB on disk, 3 GB in memory)."
    return (
        "Llama-3.2-3B-Instruct Q8_0 (about 3.4 GB on disk, 4.5 GB in memory) or Q4_K_M for speed."
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def run_doctor(
    settings: Settings,
    *,
    verify_checksums: bool = False,
    audit: bool = False,
    upkeep: bool = False,
    backend_in_use: str | None = None,
) -> Report:
    flags = cpu_flags()
    ram = psutil.virtual_memory().total / 2**30
    gpu = detect_gpu()
    offload = gpu_offload_supported()
    report = Report(
        cores_physical=psutil.cpu_count(logical=False) or 0,
        cores_logical=psutil.cpu_count() or 0,
        ram_gib=round(ram, 1),
        cpu_flags=flags,
        gpu=gpu,
        gpu_offload_supported=offload,
        recommendation=recommend(ram, flags, gpu != "none found" and offload),
    )
    for group in group_statuses(verify_models(settings.models_path, full=verify_checksums)):
        fix = "" if group.ok else " (run `appliance models install`)"
        report.checks.append(
            Check(
                f"{group.role} model {group.label}", group.ok, f"{group.state}: {group.path}{fix}"
            )
        )
    chat = settings.chat_model_path
    report.checks.append(
        Check(
            "configured chat model",
            chat.is_file(),
            f"{chat} ({'present' if chat.is_file() else 'missing: set chat_model or install it'})",
        )
    )
    data = settings.data_dir
    if data.is_dir():
        mode = _mode(data)
        report.checks.append(
            Check(
                "data directory",
                mode & 0o077 == 0,
                f"{data} mode {mode:o}"
                + ("" if mode & 0o077 == 0 else " (should be 700: chmod 700)"),
            )
        )
        free = shutil.disk_usage(data).free / 2**30
        report.checks.append(Check("free disk", free > 2, f"{free:.1f} GiB free under {data}"))
    else:
        report.checks.append(
            Check("data directory", False, f"{data} missing (run `appliance init`)")
        )
    threads = settings.n_threads or report.cores_physical
    report.checks.append(
        Check(
            "threads",
            threads <= max(report.cores_logical, 1),
            f"n_threads={threads} on {report.cores_physical} physical cores",
        )
    )
    report.checks.append(Check("RAM", ram >= 2, f"{ram:.1f} GiB"))
    report.checks.append(backend_check(settings, backend_in_use))
    if settings.inference_backend in ("auto", "in-process"):
        report.checks.append(gpu_layers_check(settings.n_gpu_layers, offload))
    report.checks.append(_key_check(settings))
    report.checks.append(_ocr_check())
    report.checks.append(network_check(settings, _routes(), attached_gateways(settings)))
    if settings.tls_cert is not None:
        report.checks.append(_certificate_check(settings.tls_cert))
    if settings.ldap_url:
        report.checks.append(directory_check(settings))
    if settings.chroma_host:
        report.checks.append(chroma_check(settings))
    if audit:
        report.checks.append(_audit_check(settings))
    if upkeep:
        report.checks.extend(upkeep_checks(settings))
    return report


def backend_check(settings: Settings, in_use: str | None = None) -> Check:
    """The inference backend in use (``inference_backend``): in-process; the supervised
    llama-server (its binary found, slots and context); the remote nodes, each asked
    ``/health`` once; or "auto", which the web server resolves to the supervised
    llama-server when its binary is found (ok either way; the line says which).
    ``in_use``: what a running web server resolved "auto" to (its admin page), which
    is in-process also when the child did not start."""
    backend = settings.inference_backend
    if backend == "auto" and in_use == "in-process":
        return Check(
            "inference backend",
            True,
            "auto: this web server answers in-process (llama-server was not found or did "
            f"not start: see its start-up warning and {settings.data_dir / 'llama-server.log'})",
        )
    if backend == "auto":
        binary = find_llama_server(settings.llama_server_binary)
        if binary is None:
            return Check(
                "inference backend",
                True,
                "auto: llama-server not found, so the web server answers in-process "
                f"({settings.engine_instances} instance(s), one answer at a time each); "
                "run scripts/build-llama-server to serve many users at once",
            )
        slots = llama_server_slots(settings)
        return Check(
            "inference backend",
            True,
            f"auto: the web server supervises llama-server ({binary}), {slots} slots x "
            f"n_ctx={settings.n_ctx} (--ctx-size {slots * settings.n_ctx}"
            f"{_kv_size(settings, slots)}); one-shot commands answer in-process",
        )
    if backend == "in-process":
        return Check(
            "inference backend",
            True,
            f"in-process (llama-cpp-python), {settings.engine_instances} instance(s), "
            f"n_ctx={settings.n_ctx}",
        )
    if backend == "llama-server":
        binary = find_llama_server(settings.llama_server_binary)
        slots = llama_server_slots(settings)
        where = str(binary) if binary else "binary missing: run scripts/build-llama-server"
        return Check(
            "inference backend",
            binary is not None,
            f"llama-server (supervised on 127.0.0.1), {slots} slots x n_ctx={settings.n_ctx} "
            f"(--ctx-size {slots * settings.n_ctx}{_kv_size(settings, slots)}); {where}",
        )
    key = settings.llama_server_api_key
    pool = LlamaServerPool(
        settings.llama_server_urls,
        key.get_secret_value() if key else None,
        n_ctx=settings.n_ctx,
    )
    try:
        pool.check_health()
        nodes = "; ".join(
            f"{n.url} {'up' if n.up and not n.failures else 'DOWN ' + n.last_error}"
            + (f" ({n.slots} slots, model {n.model_id})" if n.slots else "")
            for n in pool.nodes
        )
        up = sum(1 for n in pool.nodes if n.up and not n.failures)
    finally:
        pool.close()
    return Check("inference backend", up > 0, f"remote llama-server nodes: {nodes}")


def _kv_size(settings: Settings, slots: int) -> str:
    """ ", KV cache N GiB" for ``slots`` slots of ``n_ctx`` tokens, or "" unknown."""
    per_token = kv_bytes_per_token(settings)
    if not per_token:
        return ""
    return f", KV cache {slots * settings.n_ctx * per_token / 2**30:.1f} GiB"


def gpu_layers_check(n_gpu_layers: int, offload: bool) -> Check:
    """Advice on ``n_gpu_layers`` (layers the in-process engine puts on a GPU; -1: all)
    for this llama-cpp-python build; ``offload`` is what
    ``llama_cpp.llama_supports_gpu_offload()`` says (a CUDA, ROCm, Vulkan or Metal
    build). A build with GPU support and 0 layers: advice to set -1 (still ok). A
    CPU-only build with layers asked for: a failure, since the setting does nothing."""
    if offload and n_gpu_layers == 0:
        return Check(
            "n_gpu_layers",
            True,
            "0, but this llama-cpp-python build can offload to a GPU: set n_gpu_layers = -1 "
            "(every layer on the GPU) if the model fits its memory",
        )
    if not offload and n_gpu_layers != 0:
        return Check(
            "n_gpu_layers",
            False,
            f"{n_gpu_layers} has no effect: this llama-cpp-python build is CPU-only; set it "
            "to 0, or install a GPU build (see the admin guide, Choosing and placing a model)",
        )
    build = "GPU offload supported" if offload else "CPU-only build"
    return Check("n_gpu_layers", True, f"{n_gpu_layers} ({build})")


def _key_check(settings: Settings) -> Check:
    """The key-encryption key is present, private, and not stored with the data."""
    import os

    from appliance.crypto import PASSPHRASE_ENV
    from appliance.files import is_inside

    key = settings.key_file
    if key is None:
        source = "APPLIANCE_PASSPHRASE" if os.environ.get(PASSPHRASE_ENV) else "a typed passphrase"
        return Check("key-encryption key", True, f"from {source} (no key file configured)")
    if not key.is_file():
        return Check(
            "key-encryption key", False, f"key file {key} missing: restore it from its copy"
        )
    mode = _mode(key)
    apart = not is_inside(key, settings.data_dir)
    ok = mode & 0o077 == 0 and apart
    detail = f"{key} mode {mode:o}" + ("" if mode & 0o077 == 0 else " (should be 600)")
    detail += "" if apart else " INSIDE the data directory: move it out"
    return Check("key-encryption key", ok, detail)


def _ocr_check() -> Check:
    """Tesseract and the claimed languages; without them scanned pages are reported
    as pages without text rather than read (not a failure: text files still work)."""
    from appliance.ingest import ocr

    have = ocr.available_languages()
    missing = [lang for lang in ocr.OCR_LANGUAGES if lang not in have]
    if not have:
        return Check(
            "OCR", True, "Tesseract not installed: scans are not read (scripts/install-ocr)"
        )
    detail = f"Tesseract with {ocr.languages()}"
    if missing:
        detail += f"; missing {', '.join(missing)} (scripts/install-ocr)"
    return Check("OCR", True, detail)


def _routes() -> list[str]:
    """Routes of this network namespace that lead off the machine (IPv4 and IPv6)."""
    out = []
    try:
        for line in Path("/proc/net/route").read_text().splitlines()[1:]:
            fields = line.split()
            if len(fields) > 7 and fields[0] != "lo":
                dest = ".".join(str(int(fields[1][i : i + 2], 16)) for i in (6, 4, 2, 0))
                bits = bin(int(fields[7], 16)).count("1")
                out.append(f"{dest}/{bits} via {fields[0]}")
    except OSError:
        pass
    try:
        for line in Path("/proc/net/ipv6_route").read_text().splitlines():
            fields = line.split()
            if len(fields) == 10 and fields[9] != "lo" and not fields[0].startswith("fe80"):
                out.append(f"{fields[0][:4]}…/{int(fields[1], 16)} via {fields[9]} (IPv6)")
    except OSError:
        pass
    return out


def configured_endpoints(settings: Settings, gateways: Sequence[tuple[str, str]] = ()) -> list[str]:
    """The hosts the appliance itself is configured to reach: the PostgreSQL server of
    ``database_url``, the Chroma server of ``chroma_host``, the LDAP directory of
    ``ldap_url``, the OpenID provider of ``oidc_issuer``, the inference nodes of
    ``llama_server_urls`` (backend ``remote``) and every external model an administrator
    attached through the hybrid gateway (``gateways``: (target, URL) as
    :func:`attached_gateways` reads them from the database; nothing else: no
    telemetry, no downloads at run time). Loopback and Unix sockets are left out."""
    from sqlalchemy.engine import make_url

    hosts = []
    if settings.database_url:
        try:
            host = make_url(settings.database_url).host
        except Exception:  # an unparsable URL is the database check's business
            host = None
        if host:
            hosts.append(f"database {host}")
    if settings.chroma_host:
        hosts.append(f"Chroma {settings.chroma_host}:{settings.chroma_port}")
    if settings.ldap_url:
        from urllib.parse import urlsplit

        parts = urlsplit(settings.ldap_url.strip())
        if parts.hostname:
            port = parts.port or (636 if parts.scheme.lower() == "ldaps" else 389)
            hosts.append(f"directory {parts.hostname}:{port}")
    if settings.oidc_issuer:
        hosts.append(f"OpenID provider {_host_port(settings.oidc_issuer)}")
    if settings.inference_backend == "remote":
        hosts.extend(f"inference node {_host_port(url)}" for url in settings.llama_server_urls)
    for target, url in gateways:
        hosts.append(f"external model for {target} {_host_port(url)}")
    return [h for h in hosts if not _is_loopback(h.rsplit(" ", 1)[1].rsplit(":", 1)[0])]


def attached_gateways(settings: Settings) -> list[tuple[str, str]]:
    """The external models attached through the hybrid gateway, (target, URL), read
    from the database without a key; empty when it cannot be read (an unreachable
    database is the audit check's business)."""
    from appliance.store.gateways import read_gateway_urls

    try:
        return read_gateway_urls(settings.sqlalchemy_url)
    except Exception:
        return []


def _host_port(url: str) -> str:
    """``host:port`` of a URL (the scheme's default port when none is written)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{parts.hostname or url}:{port}"


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host in ("localhost", "localhost.localdomain", "ip6-localhost") or host.startswith("/"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def network_check(
    settings: Settings, routes: list[str], gateways: Sequence[tuple[str, str]] = ()
) -> Check:
    """What the appliance is configured to reach off this machine. A default route is
    not a fault in itself (most servers have one; the systemd unit denies traffic
    except the networks the installer allowed); it is reported in the detail."""
    default = [r for r in routes if r.startswith("0.0.0.0/0") or r.startswith("0000…/0")]
    remote = configured_endpoints(settings, gateways)
    if remote:
        detail = "configured to reach " + ", ".join(remote) + " (and nothing else)"
    else:
        detail = "configured to reach nothing off this machine"
    if default:
        detail += "; this machine has a default route: keep the firewall closed to the rest"
    elif not routes:
        detail += "; no route off this machine (loopback only)"
    return Check("outbound network", True, detail)


def directory_check(settings: Settings) -> Check:
    """The LDAP directory answers over verified TLS, the service account binds and
    sees ``ldap_user_base`` (at most ``ldap_timeout_seconds`` per connection)."""
    from appliance.accounts.ldap import LdapDirectory
    from appliance.errors import DirectoryUnavailable

    directory = LdapDirectory.from_settings(settings)
    if directory is None:
        return Check("directory (LDAP)", True, "not configured", checked=False)
    try:
        return Check("directory (LDAP)", True, directory.check())
    except DirectoryUnavailable as exc:
        return Check("directory (LDAP)", False, str(exc))


def chroma_check(settings: Settings) -> Check:
    """The Chroma server of ``chroma_host`` answers (its identity route, within 10 s,
    sent no token: the doctor holds no key), and whether a token is sealed in the key
    store. A server that answers without a token while one is set is a fault (the
    proxy in front of it does not require the token; docs/admin-guide.md, "A Chroma
    server"); so is one that requires a token while none is set. One that answers
    without a token, none set, is a fault unless it is on loopback. "Answers" is a
    2xx status; any other but 401/403 (404: not Chroma; 502: the proxy's upstream is
    down) is a fault reported with its status, as is TLS with no CA certificates."""
    from appliance.errors import ConfigError
    from appliance.store.secrets import CHROMA_TOKEN, service_secret_set
    from appliance.store.vectors import PROBE_PATH, ChromaServer

    assert settings.chroma_host
    try:
        server = ChromaServer(
            settings.chroma_host, settings.chroma_port, settings.chroma_ssl, settings.chroma_ca_file
        )
    except ConfigError as exc:  # TLS, and no CA certificates to check the server on
        return Check("Chroma server", False, str(exc))
    token_set = service_secret_set(settings.sqlalchemy_url, CHROMA_TOKEN)
    token = {True: "a token is set", False: "no token set", None: "token: database unreadable"}[
        token_set
    ]
    try:
        status = server.status(None)
    except OSError as exc:
        return Check("Chroma server", False, f"{server.where} did not answer ({exc}); {token}")
    if status in (401, 403):
        if token_set is False:
            fix = "; set it: `appliance chroma token set`"
            return Check("Chroma server", False, f"{server.where} requires a token; none set{fix}")
        return Check(
            "Chroma server",
            True,
            f"{server.where} answers and requires a token (HTTP {status} without one); {token}"
            " (`appliance chroma token status` checks it)",
        )
    if not 200 <= status < 300:  # neither an answer nor a refusal: a 404, a 502, ...
        return Check(
            "Chroma server",
            False,
            f"{server.where} answered HTTP {status} to {PROBE_PATH} (neither Chroma's "
            "answer nor a refusal): check chroma_host, chroma_port and chroma_ssl, and the "
            f"proxy's upstream (docs/admin-guide.md); {token}",
        )
    if token_set:
        return Check(
            "Chroma server",
            False,
            f"{server.where} answers without a token (HTTP {status}) though one is set: "
            "the proxy in front of it does not require it (docs/admin-guide.md)",
        )
    loopback = _is_loopback(settings.chroma_host)
    return Check(
        "Chroma server",
        loopback,
        f"{server.where} answers without a token (HTTP {status}); no token set"
        + (
            ""
            if loopback
            else ": anyone reaching it reads and deletes vectors; put a proxy "
            "requiring a token in front (docs/admin-guide.md)"
        ),
    )


def _certificate_check(cert: Path) -> Check:
    from datetime import UTC, datetime

    from appliance.tls import certificate_expiry

    try:
        expires = certificate_expiry(cert)
    except (OSError, ValueError) as exc:
        return Check("TLS certificate", False, f"{cert} unreadable ({exc})")
    days = (expires - datetime.now(UTC)).days
    return Check(
        "TLS certificate",
        days > 30,
        f"{cert} expires {expires:%Y-%m-%d} ({days} days)"
        + ("" if days > 30 else ": renew it (appliance tls self-signed, or your CA)"),
    )


def _audit_check(settings: Settings) -> Check:
    """Verify the audit trail when the key is at hand (never prompts)."""
    from appliance.errors import ApplianceError
    from appliance.startup import Parts

    if not (settings.data_dir / "appliance.db").exists() and settings.database_url is None:
        return Check("audit trail", True, "nothing recorded yet (no database)")
    try:
        with Parts(settings, create_keyring=False) as parts:
            report = parts.audit.verify()
    except ApplianceError as exc:  # no key at hand here: not a fault of the trail
        return Check("audit trail", False, f"not checked ({exc})", checked=False)
    if report.ok:
        return Check("audit trail", True, f"intact: {report.records} records")
    return Check("audit trail", False, f"NOT intact: {report.problems[0]}")


def upkeep_checks(settings: Settings) -> list[Check]:
    """One line per scheduled upkeep job, read from the job table (no key needed; the
    database is not migrated). A failed last run fails the check; runs missed or
    overdue (no server running) are told in the detail."""
    from datetime import UTC, datetime

    from appliance.store.jobs import describe_interval, read_job_states

    try:
        states = read_job_states(settings.sqlalchemy_url)
    except Exception as exc:  # an unreachable database is the audit check's business
        return [Check("scheduled upkeep", False, f"not checked ({type(exc).__name__})", False)]
    if not states:
        return [
            Check(
                "scheduled upkeep",
                True,
                "no run recorded yet (the jobs run inside `appliance serve`)",
            )
        ]
    now = datetime.now(UTC)
    checks = []
    for job in states:
        if job.name == "backup" and settings.backup_dir is None:
            continue  # switched off: no backup_dir
        last = (
            f"last run {job.last_started_at:%Y-%m-%d %H:%M} UTC {job.last_outcome or 'unfinished'}"
            if job.last_started_at
            else "never run"
        )
        detail = (
            f"{describe_interval(job.interval_seconds)}; {last}; "
            f"next {job.next_due_at:%Y-%m-%d %H:%M} UTC"
        )
        warnings = job.warnings(now)
        if warnings:
            detail += "; " + "; ".join(warnings)
        checks.append(Check(f"job {job.name}", job.last_outcome != "failed", detail))
    return checks
