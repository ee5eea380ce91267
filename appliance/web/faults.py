"""Faults of the server, as users see them: a reference number, never the details.

The details (the exception, its traceback) go to the server log, which the privacy
filter cleans, under the same reference; the administrator finds them by it. Every
edge that meets a fault (a web page, a /v1 answer, a streamed answer) says it here.
"""

from __future__ import annotations

import logging
import uuid

from appliance.errors import error_kind

log = logging.getLogger("appliance.web")


def fault_message(exc: BaseException, where: str) -> str:
    """Log ``exc`` under a new reference and return the text the user reads instead."""
    ref = uuid.uuid4().hex[:12]
    log.error("fault (ref %s) on %s", ref, where, exc_info=exc)
    return (
        f"The appliance could not complete this request. Reference: {ref} "
        "(give it to your administrator; details are in the server log)."
    )


def user_message(exc: BaseException, where: str) -> str:
    """The text users read for ``exc`` met on ``where``: a reference for a fault of the
    server (:func:`fault_message`); else the error's public message, or its own. An
    error of a service the appliance depends on (a 5xx with a public message, e.g. the
    Chroma server refusing the token) is logged as a warning with its own message, which
    names the fix for the administrator."""
    kind = error_kind(exc)
    if kind is None or kind.fault:
        return fault_message(exc, where)
    if kind.http_status >= 500 and kind.public_message:
        log.warning("%s on %s: %s", kind.title.lower(), where, exc)
    return kind.public_message or str(exc)


__all__ = ["fault_message", "user_message"]
