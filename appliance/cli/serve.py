"""The web server: ``serve`` (after checking its port is free) and the ``tls`` group
that makes its certificate."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from appliance.cli.common import _Context

if TYPE_CHECKING:  # imported where used: keeps `appliance --help` fast
    from appliance.service import Appliance


def check_port_free(host: str, port: int) -> None:
    """Raise :class:`PortInUse` when ``host:port`` cannot be bound, naming the ``port``
    setting and the ``--port`` flag that choose another (uvicorn would only log the
    error and exit 1)."""
    import errno
    import socket

    from appliance.errors import PortInUse

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {port} on {host} is already in use (another appliance or "
                    "program listens there). Stop it, or choose another port: "
                    f"`appliance serve --port {port + 1}`, or set `port = {port + 1}` "
                    "in appliance.toml (or APPLIANCE_PORT)."
                ) from exc
            raise PortInUse(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another address "
                "with --host/--port or the `host`/`port` settings in appliance.toml."
            ) from exc


def _serve(app: Appliance, host: str | None, port: int | None) -> None:
    import uvicorn

    from appliance.web import create_app

    settings = app.settings
    host = host or settings.host
    port = port or settings.port
    check_port_free(host, port)
    # inference_backend "auto": many people ask at once here, so the supervised
    # llama-server answers when it can (started now, before the first question).
    fallback = app.models.serve_many()
    if fallback:
        click.secho(f"warning: {fallback}", fg="yellow", err=True)
    web_app = create_app(app)
    if not web_app.state.web.accounts.has_users():
        click.secho(
            "No user exists yet: create the first administrator with "
            "`appliance users create-admin NAME`.",
            fg="yellow",
        )
    loopback = host in ("127.0.0.1", "::1", "localhost")
    if not settings.tls and not loopback:
        click.secho(
            f"warning: serving on {host} without TLS; set tls_cert and tls_key "
            "(the installer makes a certificate) so passwords do not cross the network in clear.",
            fg="yellow",
            err=True,
        )
    scheme = "https" if settings.tls else "http"
    click.echo(
        f"The appliance is at {scheme}://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/"
    )
    uvicorn.run(
        web_app,
        host=host,
        port=port,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
        server_header=False,
        # X-Forwarded-For/-Proto believed from the configured reverse proxies only.
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=list(settings.trusted_proxies) or None,
        log_level="info",
        timeout_graceful_shutdown=10,
    )


@click.command()
@click.option("--host", help="Address to listen on (default: setting host, 127.0.0.1).")
@click.option("--port", type=int, help="Port (default: setting port, 8080).")
@click.pass_obj
def serve(obj: _Context, host: str | None, port: int | None) -> None:
    """Run the web UI (HTTPS when tls_cert and tls_key are set)."""
    check_port_free(host or obj.settings.host, port or obj.settings.port)  # before unlocking
    with obj.appliance() as app:
        _serve(app, host, port)


@click.group()
def tls() -> None:
    """The web UI's TLS certificate."""


@tls.command("self-signed")
@click.option(
    "--out-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where to write cert.pem and key.pem (default: the user's config folder /tls).",
)
@click.option("--hostname", "hostnames", multiple=True, help="Names and addresses it is for.")
@click.option("--days", type=int, default=825, show_default=True)
@click.pass_obj
def tls_self_signed(
    obj: _Context, out_dir: Path | None, hostnames: tuple[str, ...], days: int
) -> None:
    """Make a self-signed certificate and use it (tls_cert, tls_key in appliance.toml)."""
    import platformdirs

    from appliance.config import remember_setting
    from appliance.files import ensure_private_dir
    from appliance.tls import make_self_signed

    folder = out_dir or Path(platformdirs.user_config_dir("appliance", appauthor=False)) / "tls"
    cert, key = make_self_signed(folder / "cert.pem", folder / "key.pem", list(hostnames), days)
    ensure_private_dir(obj.settings.data_dir)
    remember_setting(obj.settings.data_dir, "tls_cert", str(cert))
    remember_setting(obj.settings.data_dir, "tls_key", str(key))
    click.echo(f"certificate {cert}\nprivate key {key} (mode 0600)\nthe web UI now serves HTTPS")
