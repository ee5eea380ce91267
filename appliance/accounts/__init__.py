"""Local accounts: users, roles, groups, collection grants, sign-in sessions, API keys."""

from appliance.accounts.service import (
    Account,
    Accounts,
    SessionInfo,
    check_password_strength,
)

__all__ = ["Account", "Accounts", "SessionInfo", "check_password_strength"]
