"""The :class:`Appliance`: every door of :mod:`appliance.service` on one object."""

from __future__ import annotations

from appliance.service.signin import DirectorySignIn
from appliance.service.summaries import Summaries
from appliance.service.upkeep import Upkeep


class Appliance(Upkeep, DirectorySignIn, Summaries):
    """One opened data directory and every act on it.

    Build it with the settings (and optionally a key source and loaded models, see
    :class:`appliance.startup.Parts`), then ``open()`` it or use it as a context
    manager; ``close()`` signs the audit trail's tail. Thread-safe for concurrent
    questions (models load once, generation waits in a fair queue).

    Its methods are the acts, by kind of user: :class:`~appliance.service.questions.
    Questions` (staff), :class:`~appliance.service.admin.Administration`
    (administrators), :class:`~appliance.service.compliance.Compliance` (compliance
    officers), :class:`~appliance.service.operations.Operations` (running it),
    :class:`~appliance.service.upkeep.Upkeep` (scheduled upkeep) and
    :class:`~appliance.service.signin.DirectorySignIn` (OpenID Connect sign-in) and
    :class:`~appliance.service.summaries.Summaries` (summarising a document).
    """
