"""Faults of the server, as users see them: a reference number, never the details.

The details (the exception, its traceback) go to the server log, which the privacy
filter cleans, under the same reference; the administrator finds them by it. Every
edge that meets a fault (a web page, a /v1 answer, a streamed answer) says it here.
"""

from __future__ import annotations

import logging
import uuid

log = logging.getLogger("appliance.web")


def fault_message(exc: BaseException, where: str) -> str:
    """Log ``exc`` under a new reference and return the text the user reads instead."""
    ref = uuid.uuid4().hex[:12]
    log.error("fault (ref %s) on %s", ref, where, exc_info=exc)
    return (
        f"The appliance could not complete this request. Reference: {ref} "
        "(give it to your administrator; details are in the server log)."
    )


__all__ = ["fault_message"]
