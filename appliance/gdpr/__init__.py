"""Data-subject rights and the record of processing (GDPR Art. 15, 17, 20, 30).

* :func:`export_subject`: everything held about a person, decrypted, with the
  purposes and retention that apply, as a ZIP of JSON (Art. 15/20);
* :func:`erase_subject`: documents about the person deleted; in documents that
  also concern others, the person's placeholders made unresolvable for good by
  shredding their keys, and the original files (which hold the raw values)
  deleted; a receipt for the audit trail (Art. 17); :func:`plan_erasure` lists
  beforehand what will be deleted and what keeps a placeholder; conversation
  history is exported and erased with the rest;
* :func:`sweep`: retention per collection, suspended by a legal hold;
* :func:`record_of_processing`: the Art. 30 record from the live configuration.

The person is named by any identifier the privacy layer registered (a name as
written in the documents, an e-mail, an IBAN, a national ID...); several may
be given for one person.
"""

from appliance.gdpr.rights import (
    ErasurePlan,
    ErasureReceipt,
    SweepReport,
    erase_subject,
    export_subject,
    plan_erasure,
    private_export_path,
    record_of_processing,
    ropa_markdown,
    sweep,
)

__all__ = [
    "ErasurePlan",
    "ErasureReceipt",
    "SweepReport",
    "erase_subject",
    "export_subject",
    "plan_erasure",
    "private_export_path",
    "record_of_processing",
    "ropa_markdown",
    "sweep",
]
