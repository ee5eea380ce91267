"""Real files for tests, generated on the fly (PDF with fpdf2, DOCX with python-docx)."""

from __future__ import annotations

import itertools
from pathlib import Path


def make_pdf(path: Path, pages: list[str], title: str = "") -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, text)
    pdf.output(str(path))
    return path


def make_docx(
    path: Path,
    title: str,
    sections: list[tuple[str, str]],
    page_breaks: bool = True,
    table: list[list[str]] | None = None,
) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(title, level=0)
    for i, (heading, body) in enumerate(sections):
        if page_breaks and i > 0:
            document.add_page_break()
        document.add_heading(heading, level=1)
        document.add_paragraph(body)
    if table:
        t = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                t.cell(r, c).text = value
    document.save(str(path))
    return path


# A TrueType font with Latin, Greek, Cyrillic and the ligature glyphs (Debian's
# fonts-dejavu-core, installed with Tesseract by scripts/install-ocr).
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def render_scan(text: str, dpi: int = 200, size_pt: float = 12) -> object:
    """An A4 page image of ``text`` as a scanner would give it (PIL image, greyscale)."""
    import textwrap

    from PIL import Image, ImageDraw, ImageFont

    width, height = int(8.27 * dpi), int(11.69 * dpi)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(UNICODE_FONT), int(size_pt / 72 * dpi))
    y = int(0.8 * dpi)
    line_height = int(size_pt / 72 * dpi * 1.5)
    for paragraph in text.split("\n"):
        for line in textwrap.wrap(paragraph, 70) or [""]:
            draw.text((int(0.8 * dpi), y), line, fill=0, font=font)
            y += line_height
    return image


def make_mixed_pdf(path: Path, pages: list[tuple[str, str]], dpi: int = 200) -> Path:
    """A PDF of text pages ("text", body) and scanned pages ("scan", body): a scan is
    an image of the rendered text with no text layer, as a copier produces."""
    import io

    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
    pdf.set_font("DejaVu", size=11)
    for kind, body in pages:
        pdf.add_page()
        if kind == "text":
            pdf.multi_cell(0, 6, body)
        else:
            buffer = io.BytesIO()
            render_scan(body, dpi).save(buffer, format="PNG")  # type: ignore[attr-defined]
            buffer.seek(0)
            pdf.image(buffer, x=0, y=0, w=210, h=297)
    pdf.output(str(path))
    return path


def make_unicode_pdf(path: Path, pages: list[str]) -> Path:
    """A text PDF in a Unicode font, so ligature glyphs (U+FB01 "ﬁ") reach the file."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("DejaVu", fname=str(UNICODE_FONT))
    pdf.set_font("DejaVu", size=11)
    for body in pages:
        pdf.add_page()
        pdf.multi_cell(0, 6, body)
    pdf.output(str(path))
    return path


# -- Outlook .msg: a Compound File (MS-CFB, version 3) holding MAPI properties (MS-OXMSG)

_FREE, _END, _FAT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def _cfb(tree: dict) -> bytes:  # type: ignore[type-arg]
    """A version-3 compound file of ``tree`` ({name: bytes | subtree}). Streams under
    4,096 bytes go to the mini stream, as the format requires."""
    import struct

    entries: list[dict] = []  # type: ignore[type-arg]

    def add(name: str, node: object) -> int:
        index = len(entries)
        entry = {"name": name, "node": node, "child": _FREE, "right": _FREE}
        entries.append(entry)
        if isinstance(node, dict):
            kids = [add(k, v) for k, v in node.items()]
            if kids:
                entry["child"] = kids[0]
                for a, b in itertools.pairwise(kids):
                    entries[a]["right"] = b
        return index

    add("Root Entry", tree)
    sectors: list[bytes] = []
    fat: list[int] = []

    def chain(data: bytes) -> int:
        if not data:
            return _END
        start = len(sectors)
        pieces = [data[i : i + 512].ljust(512, b"\0") for i in range(0, len(data), 512)]
        for n, piece in enumerate(pieces):
            sectors.append(piece)
            fat.append(start + n + 1 if n + 1 < len(pieces) else _END)
        return start

    mini = bytearray()
    minifat: list[int] = []
    for entry in entries[1:]:
        data = entry["node"]
        if isinstance(data, dict):
            entry["start"], entry["size"] = 0, 0
        elif len(data) < 4096:
            start = len(mini) // 64
            count = max(1, -(-len(data) // 64)) if data else 0
            mini += data.ljust(count * 64, b"\0")
            minifat += [start + n + 1 if n + 1 < count else _END for n in range(count)]
            entry["start"], entry["size"] = (start if data else _END), len(data)
        else:
            entry["start"], entry["size"] = chain(data), len(data)
    entries[0]["start"], entries[0]["size"] = chain(bytes(mini)), len(mini)
    minifat_start = chain(b"".join(struct.pack("<I", x) for x in minifat))
    directory = b""
    for entry in entries:
        name = entry["name"].encode("utf-16-le")
        kind = 5 if entry is entries[0] else (1 if isinstance(entry["node"], dict) else 2)
        directory += struct.pack(
            "<64sHBBIII16sIQQIQ",
            name,
            len(name) + 2,
            kind,
            1,
            _FREE,
            entry["right"],
            entry["child"],
            b"\0" * 16,
            0,
            0,
            0,
            entry["start"],
            entry["size"],
        )
    dir_start = chain(directory)
    # FAT sectors describe every sector, themselves included.
    n_fat = 1
    while (len(sectors) + n_fat) > n_fat * 128:
        n_fat += 1
    fat_start = len(sectors)
    fat += [_FAT] * n_fat
    fat += [_FREE] * (n_fat * 128 - len(fat))
    for i in range(n_fat):
        sectors.append(b"".join(struct.pack("<I", x) for x in fat[i * 128 : (i + 1) * 128]))
    difat = [fat_start + i for i in range(n_fat)] + [_FREE] * (109 - n_fat)
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        b"\0" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        n_fat,
        dir_start,
        0,
        4096,
        minifat_start if minifat else _END,
        -(-len(minifat) * 4 // 512),
        _END,
        0,
    ) + b"".join(struct.pack("<I", x) for x in difat)
    return header + b"".join(sectors)


def make_msg(
    path: Path,
    subject: str,
    sender: str,
    to: str,
    body: str,
    attachments: list[tuple[str, bytes]] = (),  # type: ignore[assignment]
    date: str = "Mon, 02 Nov 2026 09:30:00 +0100",
) -> Path:
    """An Outlook message as Outlook saves it: MAPI properties in a compound file."""
    import struct

    def text(value: str) -> bytes:
        return value.encode("utf-16-le")  # the property stream counts the terminator

    def props(prefix_len: int, items: list[tuple[int, int, int | bytes]], head: bytes) -> bytes:
        out = head.ljust(prefix_len, b"\0")
        for prop_id, prop_type, value in items:
            tag = (prop_id << 16) | prop_type
            if isinstance(value, bytes):
                size = len(value) + (2 if prop_type == 0x001F else 0)
                out += struct.pack("<IIII", tag, 6, size, 0)
            else:
                out += struct.pack("<IIQ", tag, 6, value)
        return out

    strings = {
        0x001A: "IPM.Note",
        0x0037: subject,
        0x1000: body,
        0x0C1A: sender,
        0x0C1F: sender,
        0x0E04: to,
        0x007D: f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: {date}\r\n",
    }
    root: dict = {  # type: ignore[type-arg]
        "__nameid_version1.0": {
            "__substg1.0_00020102": b"",
            "__substg1.0_00030102": b"",
            "__substg1.0_00040102": b"",
        }
    }
    for prop_id, value in strings.items():
        root[f"__substg1.0_{prop_id:04X}001F"] = text(value)
    head = struct.pack("<8sIIII", b"", 0, len(attachments), 0, len(attachments))
    from email.utils import parsedate_to_datetime

    sent = parsedate_to_datetime(date).timestamp()
    filetime = int((sent + 11_644_473_600) * 10_000_000)  # 100 ns ticks since 1601
    root["__properties_version1.0"] = props(
        32,
        [(0x0039, 0x0040, filetime), *((pid, 0x001F, text(v)) for pid, v in strings.items())],
        head,
    )
    for n, (name, data) in enumerate(attachments):
        root[f"__attach_version1.0_#{n:08X}"] = {
            "__substg1.0_3707001F": text(name),
            "__substg1.0_3704001F": text(name[:12]),
            "__substg1.0_37010102": data,
            "__properties_version1.0": props(
                8,
                [
                    (0x3705, 0x0003, 1),
                    (0x0E21, 0x0003, n),
                    (0x3707, 0x001F, text(name)),
                    (0x3701, 0x0102, data),
                ],
                b"",
            ),
        }
    path.write_bytes(_cfb(root))
    return path
