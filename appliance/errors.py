"""Errors a user can meet. Each says what went wrong and how to fix it.

Entry points (CLI, web, /v1) only translate: :data:`ERROR_TABLE` says, once, what
each error becomes there (exit code, HTTP status, OpenAI ``type`` and ``code``).
Anything that is not an :class:`ApplianceError` is a fault of the appliance (a
bug) and is reported as one: exit 1, or a 500 with a reference number.
docs/cli.md and docs/api.md list the table; tests/test_errors.py keeps them in step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from appliance.privacy.policy import Policy


class ApplianceError(Exception):
    """Base class for every error meant to be shown to a user."""

    @property
    def exit_code(self) -> int:
        """The CLI's exit status for this error, from :data:`ERROR_TABLE`."""
        kind = error_kind(self)
        assert kind is not None  # every ApplianceError resolves, at worst to the base row
        return kind.exit_code


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


class DocumentNotFound(CollectionNotFound):
    """No document has this id (or the caller may not see it): 404, code
    ``document_not_found``. A kind of :class:`CollectionNotFound`, so code that handles
    a missing collection handles a missing document too."""


class StoreError(ApplianceError):
    """The data directory or its database is missing, locked or corrupt."""


class StoreUnavailable(StoreError):
    """The Chroma server (its proxy) refused the appliance's token or did not answer:
    503, code ``store_unavailable``. Nothing was searched or changed; the request may be
    retried once an administrator has fixed it (``appliance doctor`` says which)."""


class SummaryNotFound(ApplianceError):
    """The document has no summary (or no finished one) to show, resume or cancel."""


class SummaryBusy(ApplianceError):
    """A summary of this document is already under way (wait, or cancel it first)."""


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


class ProviderRefused(SignInFailed):
    """An OpenID Connect sign-in that must not go ahead (state mismatch, an expired or
    replayed answer, the provider's refusal, an ID token that does not check out):
    ``reason`` (for the audit trail) says why, the message what the person can do."""

    def __init__(self, message: str, reason: str = "refused by the OpenID provider") -> None:
        super().__init__(message)
        self.reason = reason


class AccountError(ApplianceError):
    """A user, group or grant cannot be created or changed as asked."""


class DirectoryUnavailable(ApplianceError):
    """The organisation's directory (LDAP/AD) or OpenID provider did not answer, or
    answered with an error; sign-in through it is refused, never retried locally."""


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


class InferenceUnavailable(ApplianceError):
    """No llama-server node answered (after a retry on another node), or the node
    answering failed mid-answer; the fault is the machine's, the request may be retried."""


class RequestTooLarge(DocumentError):
    """The request body is larger than the upload limit."""


class PolicyError(ConfigError):
    """A policy file is missing or invalid; the message names the file, line and fix."""


class AuditExportError(ApplianceError):
    """An export or bundle cannot be written or read."""


class GatewayError(ApplianceError):
    """The external model of the hybrid gateway failed: unreachable, too slow, an
    error status or a reply that is not a chat completion (nothing is lost: ask again)."""


class EgressRefused(ApplianceError):
    """The hybrid gateway refused to send a request: the final scan of the outgoing
    body found personal data (the message names the types, never the values)."""


class PiiBlocked(ApplianceError):
    """The policy blocks this request because it holds personal data of a blocked type."""

    def __init__(self, types: list[str], stage: str, policy: Policy) -> None:
        self.types = types
        self.stage = stage
        self.policy = policy
        where = {
            "prompt": "questions",
            "answer": "answers",
            "context": "sources",
            "ingest": "documents",
        }
        fix = {
            "prompt": "Remove it and ask again.",
            "ingest": "Remove it from the file, or use a collection whose policy allows it.",
        }.get(stage, "Ask a compliance officer to review the documents or the policy.")
        super().__init__(
            f"blocked by the {policy.name!r} privacy policy: {where.get(stage, stage)} may not "
            f"contain {', '.join(types)}. {fix}"
        )


# -- what each error becomes at the edges ---------------------------------------------

# Exit codes of the `appliance` command (docs/cli.md, "Exit codes").
EXIT_OK = 0
EXIT_FAULT = 1  # a fault of the appliance (a bug), or a check that found problems
EXIT_USAGE = 2  # click's own: unknown command or option, missing argument
EXIT_BAD_INPUT = 3
EXIT_NOT_FOUND = 4
EXIT_NOT_ALLOWED = 5
EXIT_INTEGRITY = 6
EXIT_KEYS = 7
EXIT_CONFIG = 8
EXIT_BUSY = 9
EXIT_INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_FAULT: "a fault of the appliance (a bug; the traceback says where), or a check "
    "that found problems (audit verify, policies check, models verify, doctor, ingest)",
    EXIT_USAGE: "usage error: unknown command or option, missing or invalid argument",
    EXIT_BAD_INPUT: "bad input: a malformed or refused file, policy, question or request",
    EXIT_NOT_FOUND: "not found: no such collection, or nothing there (empty, erased)",
    EXIT_NOT_ALLOWED: "not allowed: the role may not do this, or sign-in failed",
    EXIT_INTEGRITY: "integrity failure: encrypted data failed authentication (tampered)",
    EXIT_KEYS: "keys unavailable: no key source, wrong passphrase or key file",
    EXIT_CONFIG: "configuration or store problem: a setting, the port, a model file, "
    "the data directory or its database",
    EXIT_BUSY: "busy: rate limited, queue full, timed out or no inference node answering; "
    "try again later",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C) or cancelled",
}


@dataclass(frozen=True)
class ErrorKind:
    """What one error class becomes at each edge.

    ``http_status``, ``type``, ``code`` and ``param`` are the /v1 answer in OpenAI's
    shape (the web UI uses the same status); ``title`` heads the UI's error page;
    ``public_message``, when set, replaces the error's own message for users. A 500
    is a fault of the machine: users get a reference number, never the message.
    """

    http_status: int
    type: str
    code: str | None
    exit_code: int
    title: str
    param: str | None = None
    public_message: str | None = None

    @property
    def fault(self) -> bool:
        return self.http_status == 500


def _request(
    status: int,
    exit_code: int,
    title: str = "Error",
    *,
    code: str | None = None,
    param: str | None = None,
    public_message: str | None = None,
) -> ErrorKind:
    """A row for an error of the request: OpenAI's ``invalid_request_error``."""
    return ErrorKind(status, "invalid_request_error", code, exit_code, title, param, public_message)


def _fault(exit_code: int) -> ErrorKind:
    """A row for an error of the machine, not of the request: a 500 with a reference."""
    return ErrorKind(500, "server_error", None, exit_code, "Something went wrong")


ERROR_TABLE: dict[type[ApplianceError], ErrorKind] = {
    ApplianceError: _request(400, EXIT_BAD_INPUT),
    # bad input
    DocumentError: _request(400, EXIT_BAD_INPUT),
    RequestTooLarge: _request(413, EXIT_BAD_INPUT, "Upload too large", code="request_too_large"),
    QuestionTooLong: _request(
        400, EXIT_BAD_INPUT, code="context_length_exceeded", param="messages"
    ),
    PiiBlocked: _request(400, EXIT_BAD_INPUT, code="pii_blocked", param="messages"),
    EgressRefused: _request(
        400, EXIT_BAD_INPUT, "Not sent", code="egress_refused", param="messages"
    ),
    PolicyError: _fault(EXIT_BAD_INPUT),  # a ConfigError: the web has answered 500
    AccountError: _request(400, EXIT_BAD_INPUT, "Cannot do that"),
    AuditExportError: _request(400, EXIT_BAD_INPUT),
    # not found
    CollectionNotFound: _request(
        404, EXIT_NOT_FOUND, "Not found", code="model_not_found", param="model"
    ),
    DocumentNotFound: _request(404, EXIT_NOT_FOUND, "Not found", code="document_not_found"),
    CollectionEmpty: _request(400, EXIT_NOT_FOUND),
    SummaryNotFound: _request(404, EXIT_NOT_FOUND, "Not found", code="summary_not_found"),
    SummaryBusy: _request(409, EXIT_BUSY, "Busy", code="summary_busy"),
    KeyShredded: _request(
        410,
        EXIT_NOT_FOUND,
        "Deleted",
        code="gone",
        public_message="This item was deleted or erased.",
    ),
    # not allowed
    NotAllowed: ErrorKind(
        403, "permission_error", "permission_denied", EXIT_NOT_ALLOWED, "Not allowed"
    ),
    SignInFailed: _request(400, EXIT_NOT_ALLOWED),
    ProviderRefused: _request(401, EXIT_NOT_ALLOWED, "Sign-in refused"),
    DirectoryUnavailable: ErrorKind(
        503, "server_error", "directory_unavailable", EXIT_CONFIG, "Sign-in unavailable"
    ),
    # integrity
    TamperedData: _fault(EXIT_INTEGRITY),
    # keys
    CryptoError: _fault(EXIT_KEYS),
    KeyUnavailable: _fault(EXIT_KEYS),
    WrongPassphrase: _fault(EXIT_KEYS),
    # configuration and store
    ConfigError: _fault(EXIT_CONFIG),
    PortInUse: _fault(EXIT_CONFIG),
    ModelError: _fault(EXIT_CONFIG),
    StoreError: _fault(EXIT_CONFIG),
    StoreUnavailable: ErrorKind(
        503,
        "server_error",
        "store_unavailable",
        EXIT_CONFIG,
        "Documents unavailable",
        public_message=(
            "The document store does not answer or refuses this appliance at the moment: "
            "nothing was searched or changed. Try again later; if it persists, tell your "
            "administrator (`appliance doctor` names the cause)."
        ),
    ),
    # busy
    RateLimited: ErrorKind(429, "rate_limit_error", "rate_limited", EXIT_BUSY, "Slow down"),
    Overloaded: ErrorKind(429, "rate_limit_error", "queue_full", EXIT_BUSY, "Busy"),
    RequestTimedOut: ErrorKind(504, "timeout_error", "timeout", EXIT_BUSY, "Too slow"),
    GatewayError: ErrorKind(
        502, "server_error", "gateway_error", EXIT_BUSY, "External model unavailable"
    ),
    InferenceUnavailable: ErrorKind(
        503, "server_error", "inference_unavailable", EXIT_BUSY, "Model unavailable"
    ),
    # cancelled
    GenerationCancelled: _request(400, EXIT_INTERRUPTED),
}


def error_kind(exc: BaseException) -> ErrorKind | None:
    """The table's row for ``exc``, by its class's MRO; None for anything that is not
    an :class:`ApplianceError` (a fault of the appliance)."""
    for cls in type(exc).__mro__:
        kind = ERROR_TABLE.get(cls)
        if kind is not None:
            return kind
    return None
