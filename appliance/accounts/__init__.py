"""Accounts: users, roles, groups, collection grants, sign-in sessions, API keys; local
passwords or the organisation's directory (LDAP/AD, OpenID Connect)."""

from appliance.accounts.directory import DirectoryIdentity, map_groups
from appliance.accounts.service import (
    Account,
    Accounts,
    SessionInfo,
    check_password_strength,
)

__all__ = [
    "Account",
    "Accounts",
    "DirectoryIdentity",
    "SessionInfo",
    "check_password_strength",
    "map_groups",
]
