"""The application layer: one door per act.

Every act a user can perform is one typed, documented method of
:class:`Appliance`, which checks the caller's role or grants and records the act
in the audit trail itself. The CLI, the web UI and the ``/v1`` API only translate
a request into a call here and its result into a response.

The doors live in one module per kind of user:

- :mod:`~appliance.service.questions`: staff (ingest, delete, retrieve, ask, chat,
  embed, open a source, download an original);
- :mod:`~appliance.service.admin`: administrators (collections and policies, keys,
  models); users, groups, grants, API keys and sign-in are :attr:`Appliance.accounts`
  (:class:`appliance.accounts.Accounts`, which records each change the same way);
- :mod:`~appliance.service.compliance`: compliance officers (audit trail, data
  subjects' rights, record of processing);
- :mod:`~appliance.service.operations`: running it (backups, start, stop);
- :mod:`~appliance.service.upkeep`: scheduled upkeep (the jobs the web server runs);
- :mod:`~appliance.service.summaries`: summarising a document (start, progress,
  cancel, read);
- :mod:`~appliance.service.signin`: sign-in through an OpenID provider (to it and back).
"""

from appliance.service.appliance import Appliance
from appliance.service.operations import SYSTEM

__all__ = ["SYSTEM", "Appliance"]
