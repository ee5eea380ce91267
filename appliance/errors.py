"""Errors a user can meet. Each says what went wrong and how to fix it.

Entry points (CLI, web) map these to a clear message and exit code or HTTP
status; anything else is a bug and is reported as one.
"""

from __future__ import annotations


class ApplianceError(Exception):
    """Base class for every error meant to be shown to a user."""

    exit_code = 2


class ConfigError(ApplianceError):
    """A setting is missing or invalid; the message names the setting and the fix."""


class PortInUse(ConfigError):
    """The web server's address is taken; the message names the setting and flag."""


class CollectionEmpty(ApplianceError):
    """A question was put to a collection that holds no documents yet."""


class ModelError(ApplianceError):
    """A model file is missing, truncated, of the wrong format or fails to load."""


class DocumentError(ApplianceError):
    """A file cannot be ingested (unreadable, malformed, too large, unsupported)."""


class CollectionNotFound(ApplianceError):
    """The named document collection does not exist."""


class StoreError(ApplianceError):
    """The data directory or its database is missing, locked or corrupt."""


class QuestionTooLong(ApplianceError):
    """The question leaves no room in the model's context window."""


class GenerationCancelled(ApplianceError):
    """The caller cancelled a generation before it finished."""


class CryptoError(ApplianceError):
    """Keys or encrypted data cannot be used; the message says which and why."""


class KeyUnavailable(CryptoError):
    """No key source was given, or the key file named is missing or unsafe."""


class WrongPassphrase(CryptoError):
    """The passphrase or key file does not unlock this data directory."""


class TamperedData(CryptoError):
    """A ciphertext failed authentication: modified, moved or damaged on disk."""


class KeyShredded(CryptoError):
    """The data key was destroyed (erasure); what it protected is gone for good."""


class NotAllowed(ApplianceError):
    """The caller's role may not do this (e.g. re-identify personal data)."""


class SignInFailed(ApplianceError):
    """Wrong username or password, or a locked or disabled account."""


class AccountError(ApplianceError):
    """A user, group or grant cannot be created or changed as asked."""


class RateLimited(ApplianceError):
    """Too many requests from one user or address; ``retry_after`` says when to retry."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Overloaded(ApplianceError):
    """The generation queue is full; ``retry_after`` says when to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestTimedOut(ApplianceError):
    """The request waited or generated longer than its time limit."""
