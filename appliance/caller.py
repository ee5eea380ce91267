"""Who performs an act: identity, role and the collections they may use.

The bottom of the house: every room that records or checks an act (the application
layer, accounts, subject rights, the audit trail) takes a :class:`Caller`; nothing
here imports another module of the appliance.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Caller:
    """Who is asking: recorded with every privacy event; the role decides re-identification."""

    actor: str
    role: str
    source: str = "local"  # "local" (this machine's shell) or the client's address
    # Collections this caller may use: name -> "read" or "contribute". None: the
    # machine's own shell, which holds the data directory's key and sees everything.
    access: Mapping[str, str] | None = field(default=None, compare=False, hash=False)

    @classmethod
    def local(cls, role: str = "admin") -> Caller:
        """Someone at this machine's shell, holding the data directory's key."""
        return cls(os.environ.get("USER") or os.environ.get("LOGNAME") or "local", role)

    def may(self, collection: str, need: str = "read") -> bool:
        if self.access is None:
            return True
        level = self.access.get(collection)
        return level is not None and (need == "read" or level == "contribute")

    def audit_fields(self) -> dict[str, str]:
        """Who, as the audit trail records it."""
        return {"actor": self.actor, "role": self.role, "source": self.source}
