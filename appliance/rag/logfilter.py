"""The log filter: a policy's ``log`` stage over every record of the appliance's
loggers, so an exception message quoting a document never writes a value to a log."""

from __future__ import annotations

import logging

from appliance.privacy import Entity, PiiBlocked, apply_policy
from appliance.rag.privacy import PrivacyGate


class PiiLogFilter(logging.Filter):
    """Applies a policy's ``log`` stage to every record of the appliance's loggers,
    so an exception message quoting a document never writes a value to a log.

    A record with nothing personal in it passes unchanged (its ``msg`` and ``args``,
    so a formatter that re-formats, such as uvicorn's coloured one with its
    ``color_message``, still prints "Uvicorn running on http://127.0.0.1:8080").
    A record with personal values is rewritten as the policy says; one the check
    itself cannot judge is withheld, naming the logger and level only.
    """

    def __init__(self, gate: PrivacyGate, policy_name: str = "default") -> None:
        super().__init__()
        self.gate = gate
        self.policy_name = policy_name

    def _clean(self, message: str) -> str:
        try:
            policy = self.gate.policy(self.policy_name)
            found = [
                e
                for e in self.gate.find(message, policy, "log")
                if not _machine_address(e, message)
            ]
            if not found:
                return message
            try:
                return apply_policy(message, found, policy, "log", self.gate.new_scope()).text
            except PiiBlocked as exc:
                return f"[log message withheld by policy {policy.name!r}: {', '.join(exc.types)}]"
        except Exception as exc:  # a logging filter must never break the caller
            return f"[log message withheld: the privacy check failed ({type(exc).__name__})]"

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # malformed: logging's own report would print the raw args
            record.msg, record.args = "[log message withheld: it could not be formatted]", ()
            record.__dict__.pop("color_message", None)
            return True
        cleaned = self._clean(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
            # uvicorn formats ``color_message`` with the record's args: it would show
            # the raw value again (or, with the args gone, "%s://%s:%d").
            record.__dict__.pop("color_message", None)
        if record.exc_info and not record.exc_text:
            # A traceback quotes exception messages (a document's text, a question):
            # formatted here, filtered, and handed to the formatter ready-made.
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def _machine_address(entity: Entity, text: str) -> bool:
    """An IP address that cannot point to a person: loopback or "any" (the server's own
    "Uvicorn running on http://127.0.0.1:8080"). Clients' addresses stay withheld."""
    import ipaddress

    if entity.type != "IP_ADDRESS":
        return False
    try:
        address = ipaddress.ip_address(text[entity.start : entity.end].strip("[]"))
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def install_log_filter(
    gate: PrivacyGate, policy_name: str = "default", logger_name: str = "appliance"
) -> None:
    """Attach the filter to the appliance's loggers (once per process; the last
    appliance opened sets the policy)."""
    logger = logging.getLogger(logger_name)
    for f in list(logger.filters):
        if isinstance(f, PiiLogFilter):
            logger.removeFilter(f)
    logger.addFilter(gate_filter := PiiLogFilter(gate, policy_name))
    for child in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(child, logging.Logger) and child.name.startswith(logger_name + "."):
            for f in list(child.filters):
                if isinstance(f, PiiLogFilter):
                    child.removeFilter(f)
            child.addFilter(gate_filter)
