"""What every command module shares: the lazily loaded settings and unlocked
:class:`~appliance.service.Appliance` (``_Context``), JSON output, the local
caller, the ``--role``/``--reveal`` options and the web UI's ``Accounts``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from appliance.config import Settings, load_settings

if TYPE_CHECKING:  # imported where used: keeps `appliance --help` fast
    from appliance.accounts import Accounts
    from appliance.caller import Caller
    from appliance.crypto import KeySource
    from appliance.service import Appliance

_F = TypeVar("_F", bound=Callable[..., Any])


class _Context:
    def __init__(self, data_dir: Path | None) -> None:
        self.data_dir = data_dir
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.data_dir)
        return self._settings

    def key_source(self, *, new: bool = False) -> KeySource:
        """APPLIANCE_PASSPHRASE, else the key file, else a passphrase typed at a terminal."""
        from appliance.crypto import resolve_key_source

        prompt = None
        if sys.stdin.isatty():

            def prompt() -> str:
                label = "New passphrase (12+ characters)" if new else "Passphrase"
                return click.prompt(label, hide_input=True, confirmation_prompt=new, err=True)

        return resolve_key_source(self.settings.key_file, self.settings.data_dir, prompt)

    def appliance(self, *, new: bool = False) -> Appliance:
        from appliance.service import Appliance

        return Appliance(
            self.settings, key_source=self.key_source(new=new), create_keyring=new
        ).open()


def _emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False))


def _reveal_options(f: _F) -> _F:
    f = click.option(
        "--role",
        type=click.Choice(["staff", "compliance_officer", "admin"]),
        default="admin",
        show_default=True,
        help="Role to act in (the shell user holding the key is trusted as admin).",
    )(f)
    return click.option(
        "--reveal", is_flag=True, help="Re-identify placeholders, if the policy allows the role."
    )(f)


def _caller(role: str) -> Caller:
    from appliance.caller import Caller

    return Caller.local(role)


def _accounts(app: Appliance) -> Accounts:
    return app.accounts
