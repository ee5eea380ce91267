"""Build the binary sample documents (PDF and DOCX) from the text in this file.

Run from the repository root:

    python samples/build_samples.py

It writes, next to this script:

* northbridge-bank-record-retention-policy.pdf  (fpdf2, 4 pages)
* st-aldhelm-hospital-patient-data-procedure.docx  (python-docx, 4 pages by explicit breaks)

Both documents are fictional and were written for this project. The output is
deterministic: metadata dates are fixed and the DOCX zip entries carry a fixed
timestamp, so re-running the script with the same library versions gives
byte-identical files.

Needs fpdf2 and python-docx (both in the project's ``dev`` extra / dependencies).
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
PDF_NAME = "northbridge-bank-record-retention-policy.pdf"
DOCX_NAME = "st-aldhelm-hospital-patient-data-procedure.docx"

# Fixed dates keep the output reproducible.
FIXED_DATE = datetime(2025, 3, 14, 9, 0, 0, tzinfo=UTC)
ZIP_DATE = (2025, 3, 14, 9, 0, 0)

# ---------------------------------------------------------------------------
# Northbridge Savings Bank - Record Retention Policy (PDF)
# ---------------------------------------------------------------------------
# One inner list per printed page. Every page starts on a fresh sheet so that
# each fact sits on one known page (page numbers are what citations point to).
# Elements: ("title"|"subtitle"|"h1"|"h2"|"p", text), ("meta", [(key, value)]),
# ("bullets", [text, ...]), ("table", [header_row, row, ...]).
# Keep to latin-1 characters: the core Helvetica font has nothing else.

BANK_TITLE = "Northbridge Savings Bank \u2014 Record Retention Policy"
BANK_FOOTER = "Northbridge Savings Bank | NSB-POL-014 v4.1 | Internal | Page {page} of {{nb}}"

BANK_PAGES: list[list[tuple]] = [
    # Page 1: title, document control, purpose, scope
    [
        ("title", "Northbridge Savings Bank"),
        ("subtitle", "Record Retention Policy"),
        ("meta", [
            ("Policy reference", "NSB-POL-014"),
            ("Version", "4.1"),
            ("Effective date", "1 April 2025"),
            ("Policy owner", "Records Management Officer"),
            ("Approved by", "Risk and Compliance Committee"),
            ("Next review", "March 2026"),
        ]),
        ("h1", "1. Purpose"),
        ("p", "This policy sets out how long Northbridge Savings Bank (the Bank) keeps the "
              "records it creates and receives in the course of its business, and how those "
              "records are destroyed when their retention period ends. Keeping records for the "
              "right length of time allows the Bank to meet its legal and regulatory "
              "obligations, to defend legal claims and to answer customers and supervisors "
              "accurately. Keeping personal data for longer than necessary breaches the "
              "storage limitation principle of data protection law."),
        ("p", "Every category of record has one retention period, set out in Section 3, and one "
              "accountable owner. Where a record could fall into more than one category, the "
              "longer retention period applies."),
        ("h1", "2. Scope"),
        ("h2", "2.1 Records covered"),
        ("p", "This policy applies to all records held by the Bank, in any format and in any "
              "location: paper files, electronic documents, email, databases, voice "
              "recordings, images and video. It covers records held on the Bank's own systems "
              "and records held on its behalf by third parties such as outsourced service "
              "providers, off-site archive stores and cloud hosting providers."),
        ("p", "It applies to all employees, contractors, temporary staff and members of the "
              "Board. Convenience copies of a record must never be kept longer than the master "
              "record."),
        ("h2", "2.2 Definitions"),
        ("p", "End of the business relationship: the date on which the customer's last account, "
              "loan or other product with the Bank is closed. For a customer who only carried "
              "out an occasional transaction, it is the date of that transaction."),
        ("p", "Retention period: the length of time for which a record must be kept, counted "
              "from the trigger event stated for its category. The periods in this policy are "
              "both minimum and maximum periods."),
        ("p", "Legal hold: an instruction that suspends the deletion of records that may be "
              "needed for litigation, a regulatory investigation or an audit (Section 4)."),
    ],
    # Page 2: retention periods
    [
        ("h1", "3. Retention periods"),
        ("p", "The periods below are counted from the trigger event stated for each category. "
              "When a period ends, the record must be deleted or destroyed within 90 days, "
              "unless a legal hold applies. Each category names the head of department who owns "
              "the records."),
        ("h2", "3.1 Customer transaction records"),
        ("p", "Customer transaction records, including payment instructions, statements, "
              "ledger entries, standing orders, direct debits and card transaction data, are "
              "kept for 10 years after the end of the business relationship with the customer. "
              "Owner: Head of Retail Operations."),
        ("h2", "3.2 Account opening and KYC documents"),
        ("p", "Documents obtained when an account is opened and during customer due diligence "
              "(know your customer, or KYC) are kept for 5 years after the business "
              "relationship ends, as required by anti-money-laundering regulations. They "
              "include identity verification evidence, proof of address, source of funds "
              "declarations and the completed Account Opening Form (AO-1). Where a suspicious "
              "activity report has been made, the Money Laundering Reporting Officer decides "
              "whether the records must be kept for longer. Owner: Head of Financial Crime."),
        ("h2", "3.3 Trading desk call recordings"),
        ("p", "Telephone calls and electronic messages of the treasury and trading desks are "
              "recorded. These recordings are kept for 7 years from the date of the call, so "
              "that any transaction can be reconstructed if a dispute or a market abuse review "
              "arises. Recordings made by the customer contact centre are kept for 12 months "
              "unless they relate to a complaint. Owner: Head of Treasury."),
        ("h2", "3.4 CCTV footage"),
        ("p", "Footage from cameras in branches, cash machine lobbies and office buildings is "
              "kept for 30 days and is then overwritten automatically. Footage needed for an "
              "incident, a police request or a customer dispute is extracted, entered in the "
              "CCTV Release Log and kept until the matter is closed. Owner: Head of Physical "
              "Security."),
        ("h2", "3.5 Recruitment records"),
        ("p", "Application forms, CVs, interview notes and test results of unsuccessful "
              "candidates are kept for 6 months after the candidate is told of the decision, "
              "and are then deleted. A candidate who asks to be considered for future vacancies "
              "may have their application kept for up to 12 months with their consent. Records "
              "of successful candidates move to the personnel file. Owner: Head of People."),
        ("h2", "3.6 Complaints, minutes and email"),
        ("p", "Customer complaint files, including the final response letter, are kept for 3 "
              "years after the complaint is closed. Minutes and papers of the Board and its "
              "committees are kept permanently by the Company Secretary. Email that evidences a "
              "business decision must be filed in the relevant system; mailboxes are otherwise "
              "cleared automatically 3 years after a message was sent."),
    ],
    # Page 3: legal hold, deletion and certification
    [
        ("h1", "4. Legal hold"),
        ("p", "A legal hold, also called a litigation hold or preservation notice, suspends the "
              "deletion of records that may be relevant to actual or reasonably expected "
              "litigation, a regulatory investigation or an audit. While a legal hold is in "
              "force, no record covered by it may be deleted, destroyed, altered or "
              "overwritten, even if its retention period has ended, and automated deletion "
              "jobs must exclude it."),
        ("h2", "4.1 Applying a legal hold"),
        ("p", "Any manager who becomes aware of a matter that may need a hold must inform the "
              "Legal Department on the same working day. Every legal hold is approved by the "
              "Head of Legal, who issues a Legal Hold Notice (form LH-1) to the owners of the "
              "affected records and to IT Operations. Recipients confirm within 5 working days "
              "that they have identified the records and suspended their deletion."),
        ("h2", "4.2 Reviewing and releasing a legal hold"),
        ("p", "The Legal Department reviews every open legal hold at least every 6 months. Only "
              "the Head of Legal can release a hold. Once a hold is released the normal "
              "retention period applies again, and records whose period has already ended are "
              "deleted in the next quarterly deletion cycle."),
        ("h1", "5. Deletion and destruction"),
        ("p", "When a retention period ends, the record owner arranges deletion within 90 days. "
              "Deletion must be secure and irreversible:"),
        ("bullets", [
            "electronic records are deleted from live systems and expire from backups "
            "within the 35-day backup rotation;",
            "paper records are cross-cut shredded on site or placed in locked confidential "
            "waste bins emptied by the Bank's approved contractor;",
            "hard drives, tapes and other media are destroyed by the approved contractor, who "
            "issues a certificate of destruction for every collection.",
        ]),
        ("h2", "5.1 Deletion log"),
        ("p", "Every deletion is logged in the Deletion Register with the record category, the "
              "number of items or volume, the date, the method used and the person who carried "
              "it out. Automated deletion jobs write their entries to the register "
              "automatically."),
        ("h2", "5.2 Quarterly certification"),
        ("p", "Deletion is certified quarterly. Within 15 working days of the end of each "
              "quarter, every record owner signs a Deletion Certificate (form RM-7) confirming "
              "that all records due for deletion in that quarter have been deleted or are under "
              "legal hold. The Records Management Officer checks the certificates against the "
              "Deletion Register and reports the results to the Risk and Compliance Committee."),
    ],
    # Page 4: roles, exceptions, review
    [
        ("h1", "6. Roles and responsibilities"),
        ("p", "Records Management Officer: owns this policy, maintains the retention schedule, "
              "coordinates the quarterly certification and advises staff on its application."),
        ("p", "Head of Legal: approves, reviews and releases legal holds."),
        ("p", "Data Protection Officer: advises on the retention of personal data and is "
              "consulted on every change to the retention periods."),
        ("p", "Record owners (the heads of department named in Section 3): make sure their "
              "records are kept, and deleted, as this policy requires."),
        ("p", "IT Operations: configures automated retention and deletion in the Bank's "
              "systems and runs the deletion jobs."),
        ("p", "All staff: file records in the correct system and do not keep private copies."),
        ("h1", "7. Exceptions"),
        ("p", "A department that needs to keep a category of records for a longer or shorter "
              "period than this policy allows must submit a Retention Exception Request (form "
              "RM-EX) that explains the business or legal reason. Exceptions are approved "
              "jointly by the Records Management Officer and the Data Protection Officer, are "
              "entered in the exceptions register and last no longer than 12 months, after "
              "which they are renewed or lapse."),
        ("h1", "8. Breaches of this policy"),
        ("p", "Deleting records that are under legal hold, or deliberately keeping records "
              "beyond their retention period, is a disciplinary matter."),
        ("h1", "9. Policy review"),
        ("p", "The Records Management Officer reviews this policy annually each March, taking "
              "into account changes in law and regulation, audit findings and the results of "
              "the quarterly certifications. The revised policy is approved by the Risk and "
              "Compliance Committee and takes effect on 1 April. A significant legal or "
              "regulatory change triggers an earlier review."),
        ("h2", "9.1 Version history"),
        ("table", [
            ("Version", "Date", "Summary of changes"),
            ("v4.0", "March 2024", "Annual review; an owner named for each record category"),
            ("v4.1", "March 2025", "Annual review; wording clarified, no change to periods"),
        ]),
    ],
]


def build_pdf(path: Path) -> Path:
    from fpdf import FPDF

    class PolicyPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", "I", 8)
            self.set_text_color(90, 90, 90)
            self.cell(0, 8, BANK_FOOTER.format(page=self.page_no()), align="C")
            self.set_text_color(0, 0, 0)

    pdf = PolicyPDF(format="A4")
    pdf.set_margins(22, 20, 22)
    pdf.set_auto_page_break(True, margin=22)
    pdf.set_title(BANK_TITLE)
    pdf.set_author("Northbridge Savings Bank, Records Management")
    pdf.set_subject("Retention periods, legal hold and deletion of bank records")
    pdf.set_keywords("retention, records management, legal hold, deletion, KYC, CCTV")
    pdf.set_creator("samples/build_samples.py")
    pdf.set_producer("fpdf2")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_lang("en-GB")

    line = 5.6
    for page in BANK_PAGES:
        pdf.add_page()
        for element in page:
            kind, value = element
            if kind == "title":
                pdf.set_font("Helvetica", "B", 20)
                pdf.multi_cell(0, 10, value, new_x="LMARGIN", new_y="NEXT")
            elif kind == "subtitle":
                pdf.set_font("Helvetica", "", 16)
                pdf.multi_cell(0, 9, value, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(4)
            elif kind == "meta":
                pdf.set_font("Helvetica", "", 10)
                for key, text in value:
                    pdf.multi_cell(0, 5.2, f"{key}: {text}", new_x="LMARGIN", new_y="NEXT")
                pdf.ln(4)
            elif kind == "h1":
                pdf.ln(2)
                pdf.set_font("Helvetica", "B", 14)
                pdf.multi_cell(0, 8, value, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(1)
            elif kind == "h2":
                pdf.set_font("Helvetica", "B", 11.5)
                pdf.multi_cell(0, 7, value, new_x="LMARGIN", new_y="NEXT")
            elif kind == "p":
                pdf.set_font("Helvetica", "", 10.5)
                pdf.multi_cell(0, line, value, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            elif kind == "bullets":
                pdf.set_font("Helvetica", "", 10.5)
                for item in value:
                    pdf.set_x(pdf.l_margin + 4)
                    pdf.cell(5, line, "-")
                    pdf.multi_cell(0, line, item, new_x="LMARGIN", new_y="NEXT")
                pdf.ln(2)
            elif kind == "table":
                pdf.set_font("Helvetica", "", 10)
                with pdf.table(col_widths=(18, 28, 120), text_align="LEFT",
                               line_height=6) as table:
                    for row in value:
                        cells = table.row()
                        for cell in row:
                            cells.cell(cell)
            else:  # pragma: no cover - a typo in BANK_PAGES
                raise ValueError(f"unknown element {kind!r}")
    pdf.output(str(path))
    return path


# ---------------------------------------------------------------------------
# St Aldhelm University Hospital - Procedure for Handling Patient Data (DOCX)
# ---------------------------------------------------------------------------
# Elements: ("title"|"h1"|"h2"|"p", text), ("bullets", [text]),
# ("table", [header_row, row, ...]), ("pagebreak", None).

HOSPITAL_TITLE = "St Aldhelm University Hospital \u2014 Procedure for Handling Patient Data"

HOSPITAL_CONTENT: list[tuple] = [
    # Page 1: purpose, principles, training
    ("title", HOSPITAL_TITLE),
    ("p", "Document reference: IG-PROC-009. Version 2.3. Approved by the Information "
          "Governance Committee in January 2025; next review due January 2027. Procedure "
          "owner: Head of Information Governance."),
    ("h1", "1. Purpose and scope"),
    ("p", "This procedure tells staff at St Aldhelm University Hospital how to access, share, "
          "store, keep and destroy information about patients. It applies to every member of "
          "staff, student, volunteer, agency worker and contractor who handles patient data, "
          "whether on paper, in the electronic patient record, in email, in images or in "
          "conversation. It also applies when patient data is handled away from hospital "
          "premises, for example on home visits or when working from home."),
    ("p", "The procedure supports the hospital's Data Protection Policy and Information "
          "Security Policy. Where this procedure and a local departmental instruction differ, "
          "this procedure takes precedence."),
    ("h1", "2. Principles"),
    ("bullets", [
        "Use patient data only when it is needed for a patient's care or for another "
        "approved purpose, and use the minimum necessary.",
        "Every use of patient data must have a clear lawful basis and be recorded.",
        "Patients are told how their data is used through the hospital's privacy notice.",
        "Everyone who handles patient data is personally responsible for keeping it "
        "confidential, including after they leave the hospital.",
    ]),
    ("h1", "3. Training and compliance"),
    ("p", "All staff complete data security awareness training when they join and every year "
          "after that; the hospital's target is 95 percent compliance. Managers check "
          "completion at each annual appraisal. Breaches of this procedure may lead to "
          "disciplinary action and, in serious cases, to referral to a professional "
          "regulator."),
    ("pagebreak", None),
    # Page 2: access and disclosure
    ("h1", "4. Access to patient records"),
    ("h2", "4.1 Role-based access"),
    ("p", "Access to patient records is granted on a need-to-know basis through role-based "
          "access control. Each job role has an access profile, defined by the Clinical "
          "Systems Team and approved by the Caldicott Guardian, that opens only the parts of "
          "the record the role needs. A line manager requests access for a new starter with "
          "the Access Request Form (IG-ACC-1); access is removed on the day a member of staff "
          "leaves or changes role."),
    ("h2", "4.2 Emergency access"),
    ("p", "In an emergency a clinician may open a record outside their normal profile by "
          "using the break-glass function. The system asks for a reason, which must be "
          "recorded truthfully. Every break-glass access is reviewed by the Privacy Officer "
          "within 5 working days."),
    ("h2", "4.3 Monitoring and audit"),
    ("p", "All access to the electronic patient record is logged. The Privacy Officer audits "
          "a sample of accesses every month and investigates alerts, such as a member of "
          "staff opening the record of a patient with the same surname. Staff must never look "
          "at their own record, or the record of a relative, friend or colleague, unless they "
          "are directly involved in that person's care."),
    ("h1", "5. Disclosure of patient data"),
    ("h2", "5.1 Sharing for direct care"),
    ("p", "Information may be shared with other health and care professionals who are "
          "directly involved in the patient's care, such as the patient's GP or a community "
          "nursing team, without separate approval. Share only what the recipient needs."),
    ("h2", "5.2 Disclosures to third parties"),
    ("p", "Every disclosure of patient data to a third party for a purpose other than direct "
          "care, including requests from the police, solicitors, insurers, employers and "
          "other public bodies, must be approved by the Caldicott Guardian before any "
          "information is released. Requests are made on the Third Party Disclosure Request "
          "form (IG-DIS-2) and logged by the Information Governance Team. Never confirm over "
          "the telephone that a person is a patient without first verifying the caller."),
    ("h2", "5.3 Patients' own requests"),
    ("p", "Patients who ask for a copy of their own records make a subject access request to "
          "the Health Records Office, which responds within one calendar month."),
    ("pagebreak", None),
    # Page 3: retention
    ("h1", "6. Retention of patient records"),
    ("p", "Patient records are kept for the periods below and then destroyed securely. The "
          "period runs from the trigger event shown. Where a record falls into more than one "
          "category, the longest period applies. Records that are the subject of a complaint, "
          "claim or inquiry are kept until the matter is closed, even if their period has "
          "ended."),
    ("table", [
        ("Record type", "Retention period", "Owner"),
        ("Adult patient records", "8 years after the last treatment", "Head of Health Records"),
        ("Children's records", "Until the patient's 25th birthday (26th birthday if the "
         "patient was 17 when treatment ended)", "Head of Health Records"),
        ("Maternity records", "25 years after the birth of the last child",
         "Director of Midwifery"),
        ("Mental health records", "20 years after the end of treatment",
         "Clinical Director for Mental Health"),
        ("Records of deceased patients", "8 years after death", "Head of Health Records"),
        ("Ward handover sheets", "Destroyed at the end of each shift", "Ward Manager"),
    ]),
    ("p", "Destruction at the end of a retention period is authorised by the Head of Health "
          "Records and recorded on the Records Destruction Log (form HR-12). Paper records are "
          "shredded by the hospital's approved contractor, who provides a certificate of "
          "destruction. Electronic records are deleted by the Clinical Systems Team, who "
          "confirm the deletion to the Head of Health Records in writing."),
    ("pagebreak", None),
    # Page 4: security in practice, breaches, research
    ("h1", "7. Information security in daily practice"),
    ("h2", "7.1 Paper and printing"),
    ("p", "Printing patient lists is prohibited outside clinical areas. Ward lists and "
          "handover sheets printed in a clinical area must not leave it, must be kept face "
          "down or in a closed folder, and must be placed in a locked confidential waste "
          "console at the end of the shift."),
    ("h2", "7.2 Removable media and email"),
    ("p", "Patient data may be copied only to encrypted USB drives issued and registered by "
          "IT Services; personal or unencrypted USB drives are blocked. Patient data may be "
          "emailed only through the hospital's secure email service, never to or from a "
          "personal email account, and must never be sent through personal messaging apps."),
    ("h2", "7.3 Conversations and screens"),
    ("p", "Discuss patients where you cannot be overheard. Lock your screen or remove your "
          "smartcard whenever you leave a workstation."),
    ("h1", "8. Reporting a data breach"),
    ("p", "Any actual or suspected breach of patient data, such as a letter sent to the wrong "
          "address, a lost encrypted drive or inappropriate access to a record, must be "
          "reported to the Data Protection Officer within 24 hours of discovery, using the "
          "Incident Report form (IR-1). The Data Protection Officer assesses the risk and, "
          "where the breach must be reported, notifies the supervisory authority within 72 "
          "hours of the hospital becoming aware of it. Where the breach is likely to result "
          "in a high risk to patients, the affected patients are also told without undue "
          "delay."),
    ("h1", "9. Research and secondary use"),
    ("p", "Pseudonymised extracts of patient data for research require the approval of the "
          "Research Ethics Committee and a signed Data Access Agreement before any data is "
          "released. Extracts are produced only by the Clinical Data Warehouse team; the key "
          "that links pseudonyms to patients is held by that team and is never released to "
          "researchers. In published results, counts below 5 are suppressed. Research that "
          "needs identifiable data requires the patient's explicit consent."),
]


def build_docx(path: Path) -> Path:
    import docx
    from docx.shared import Mm, Pt

    document = docx.Document()
    props = document.core_properties
    props.title = HOSPITAL_TITLE
    props.subject = "Access, retention, disclosure and security of patient data"
    props.author = "St Aldhelm University Hospital, Information Governance"
    props.last_modified_by = "Information Governance"
    props.keywords = "patient data, Caldicott Guardian, retention, data breach"
    props.comments = "Fictional sample document"
    props.language = "en-GB"
    props.revision = 1
    # python-docx stamps "now" when it creates core properties; pin them.
    props.created = FIXED_DATE.replace(tzinfo=None)
    props.modified = FIXED_DATE.replace(tzinfo=None)
    props.last_printed = FIXED_DATE.replace(tzinfo=None)

    # A4 with 2 cm margins and compact spacing, so that each part between two
    # explicit page breaks fits on one printed page and page numbers agree
    # with what Word shows.
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)
    normal = document.styles["Normal"].paragraph_format
    normal.space_after = Pt(6)
    normal.line_spacing = 1.0

    for kind, value in HOSPITAL_CONTENT:
        if kind == "title":
            document.add_heading(value, level=0)  # the "Title" style
        elif kind == "h1":
            document.add_heading(value, level=1)
        elif kind == "h2":
            document.add_heading(value, level=2)
        elif kind == "p":
            document.add_paragraph(value)
        elif kind == "bullets":
            for item in value:
                document.add_paragraph(item, style="List Bullet")
        elif kind == "table":
            header, *rows = value
            table = document.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, header, strict=True):
                cell.text = ""
                cell.paragraphs[0].add_run(text).bold = True
            for row in rows:
                cells = table.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = text
            for row in table.rows:
                for cell, width in zip(row.cells, (Mm(45), Mm(80), Mm(45)), strict=False):
                    cell.width = width
            document.add_paragraph()  # space after the table
        elif kind == "pagebreak":
            document.add_page_break()
        else:  # pragma: no cover - a typo in HOSPITAL_CONTENT
            raise ValueError(f"unknown element {kind!r}")

    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(_normalise_zip(buffer.getvalue()))
    return path


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite a zip with a fixed timestamp on every entry, in the same order."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def main() -> None:
    for built in (build_pdf(HERE / PDF_NAME), build_docx(HERE / DOCX_NAME)):
        print(f"wrote {built}")


if __name__ == "__main__":
    main()
