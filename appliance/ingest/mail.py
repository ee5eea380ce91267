"""E-mail: ``.eml`` (the standard library's email package) and Outlook ``.msg``
(extract-msg).

The mail itself becomes one document: its headers (from, to, cc, date,
subject) and its body, the plain-text part when there is one, else the HTML
part read as :func:`~appliance.ingest.loaders.load_html` reads a page.
Attachments are handed back as :class:`Attachment` for the library to ingest
as documents of their own, linked to the mail.
"""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage, Message
from pathlib import Path

from appliance.errors import DocumentError
from appliance.ingest.loaders import (
    Attachment,
    Block,
    LoadedDocument,
    Page,
    _clean,
    _plain_text_blocks,
    html_blocks,
)

# Attachments one mail may carry, and their combined size (decoded).
MAX_ATTACHMENTS = 100
MAX_ATTACHMENT_BYTES = 256 * 1024 * 1024
_HEADERS = ("From", "To", "Cc", "Date", "Subject")


def _header_blocks(headers: dict[str, str]) -> list[Block]:
    blocks = []
    subject = _clean(headers.get("Subject", ""))
    if subject:
        blocks.append(Block(subject, 1))
    for name in _HEADERS:
        value = _clean(headers.get(name, ""))
        if value:
            blocks.append(Block(f"{name}: {value}"))
    return blocks


_UNSAFE = re.compile(r"[^\w.\- ()]+")


def _attachment_name(name: str | None, index: int) -> str:
    """The attachment's own file name, without folders or characters a file system
    would take as more than a name ("..", "/", NUL)."""
    base = Path((name or "").replace("\\", "/").replace("\x00", "")).name
    base = _UNSAFE.sub("_", base).strip(" .")
    return (base or f"attachment-{index}")[-120:]


def _checked(attachments: list[Attachment], path: Path) -> list[Attachment]:
    if len(attachments) > MAX_ATTACHMENTS:
        raise DocumentError(
            f"{path}: the mail has {len(attachments)} attachments, over the "
            f"{MAX_ATTACHMENTS} allowed; refused as unsafe."
        )
    total = sum(len(a.data) for a in attachments)
    if total > MAX_ATTACHMENT_BYTES:
        raise DocumentError(
            f"{path}: the mail's attachments unpack to {total} bytes; refused as unsafe."
        )
    return attachments


def load_eml(path: Path) -> LoadedDocument:
    """An RFC 5322 message: headers and body; attachments (nested mails included)
    returned for separate ingestion."""
    with path.open("rb") as fh:
        try:
            message = email.message_from_binary_file(fh, policy=email.policy.default)
        except (ValueError, IndexError, TypeError) as exc:
            raise DocumentError(f"{path}: the e-mail is malformed ({exc}).") from exc
    if not isinstance(message, EmailMessage) or not any(message.get(h) for h in _HEADERS):
        raise DocumentError(f"{path}: not an e-mail message (no From, To, Date or Subject).")
    headers = {h: str(message.get(h, "")) for h in _HEADERS}
    blocks = _header_blocks(headers)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        try:
            content = body.get_content()
        except (LookupError, ValueError, AttributeError) as exc:
            raise DocumentError(f"{path}: the e-mail's body cannot be decoded ({exc}).") from exc
        if body.get_content_subtype() == "html":
            blocks += html_blocks(content)
        else:
            blocks += _plain_text_blocks(content)
    attachments = []
    for index, part in enumerate(message.iter_attachments(), start=1):
        if part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            first = inner[0] if isinstance(inner, list) and inner else None
            payload = first.as_bytes() if isinstance(first, Message) else b""
            name = _attachment_name(part.get_filename() or "message.eml", index)
            if not name.lower().endswith(".eml"):
                name += ".eml"
        else:
            decoded = part.get_payload(decode=True)  # None for a multipart part
            payload = decoded if isinstance(decoded, bytes) else b""
            name = _attachment_name(part.get_filename(), index)
        if payload:
            attachments.append(Attachment(name, payload))
    title = _clean(headers["Subject"]) or path.stem
    return LoadedDocument(
        title, "eml", [Page(None, blocks)], attachments=_checked(attachments, path)
    )


def load_msg(path: Path) -> LoadedDocument:
    """An Outlook message (OLE compound file): headers, body, attachments."""
    import extract_msg
    from extract_msg.exceptions import ExMsgBaseException
    from extract_msg.msg_classes import MessageBase

    with path.open("rb") as fh:
        magic = fh.read(8)
    if magic != b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise DocumentError(f"{path}: not an Outlook .msg file; is the extension wrong?")
    try:
        message = extract_msg.openMsg(str(path), strict=False)
    except (ExMsgBaseException, OSError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"{path}: the .msg is damaged and cannot be read ({exc}).") from exc
    try:
        if not isinstance(message, MessageBase):  # a contact or a sticky note: no mail
            raise DocumentError(
                f"{path}: an Outlook {type(message).__name__}, not a mail; export it as text."
            )
        headers = {
            "From": message.sender or "",
            "To": message.to or "",
            "Cc": message.cc or "",
            "Date": str(message.date or ""),
            "Subject": message.subject or "",
        }
        blocks = _header_blocks(headers)
        body = message.body
        if body:
            blocks += _plain_text_blocks(body)
        else:
            html = message.htmlBody
            if html:
                blocks += html_blocks(html.decode("utf-8", "replace"))
        attachments = []
        for index, att in enumerate(getattr(message, "attachments", []), start=1):
            data = att.data
            if isinstance(data, bytes) and data:
                name = _attachment_name(att.longFilename or att.shortFilename, index)
                attachments.append(Attachment(name, data))
    except (ExMsgBaseException, OSError, ValueError, KeyError, TypeError) as exc:
        raise DocumentError(f"{path}: the .msg is damaged and cannot be read ({exc}).") from exc
    finally:
        message.close()
    title = _clean(headers["Subject"]) or path.stem
    return LoadedDocument(
        title, "msg", [Page(None, blocks)], attachments=_checked(attachments, path)
    )
