"""Reading text from images of pages: scanned PDFs, scanned pages inside text
PDFs, and photos or scans saved as PNG, JPEG or TIFF.

Tesseract 5 (Debian's ``tesseract-ocr`` and its language packs, installed by
``scripts/install-ocr``) reads the images through pytesseract; PDF pages are
rendered by PDFium (pypdfium2). Nothing is fetched at run time: the language
data lives in the system's tessdata folder. Where Tesseract is missing, pages
that need it are reported as pages without text, never silently dropped.
"""

from __future__ import annotations

import functools
import logging
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.errors import DocumentError

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

# The languages the appliance claims (Tesseract's ISO 639-2 codes), read together:
# English, German, French, Italian, Spanish, Dutch, Polish.
OCR_LANGUAGES = ("eng", "deu", "fra", "ita", "spa", "nld", "pol")
# Resolution PDF pages are rendered at for OCR. On 11 pt text (bench/bench_ocr.py,
# bench/RESULTS.md) 200 dpi read as accurately as 300 (0.992 against 0.993 of
# characters right) in well under half the time.
RENDER_DPI = 200
# Pixels above which an image is scaled down before OCR (Tesseract's memory grows
# with them): 60 megapixels, an A4 page at about 800 dpi.
MAX_PIXELS = 60_000_000
# Seconds Tesseract may spend on one page before the page counts as unread.
PAGE_TIMEOUT_S = 120


@functools.cache
def available_languages() -> frozenset[str]:
    """Tesseract languages installed here (empty when Tesseract is missing)."""
    if shutil.which("tesseract") is None:
        return frozenset()
    import pytesseract

    try:
        return frozenset(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractError, OSError) as exc:
        log.warning("tesseract is installed but cannot list its languages: %s", exc)
        return frozenset()


def languages() -> str:
    """The Tesseract language string for the claimed languages installed ("eng+deu...")."""
    have = available_languages()
    return "+".join(lang for lang in OCR_LANGUAGES if lang in have)


def ocr_available() -> bool:
    return bool(languages())


def read_image(image: Image, dpi: float | None = None) -> str:
    """Text Tesseract reads in ``image``, lines kept ("" when it reads none).
    ``dpi``: the image's resolution when known (else the file's own, else
    Tesseract's estimate from the size of the letters).

    Raises DocumentError when Tesseract is missing or fails on the image.
    """
    import pytesseract

    langs = languages()
    if not langs:
        raise DocumentError("OCR is not installed (Tesseract); run scripts/install-ocr.")
    declared = image.info.get("dpi")
    if dpi is None and isinstance(declared, tuple) and declared and declared[0]:
        dpi = float(declared[0])
    original_width = image.width
    image = _fit(image)
    config = ""
    if dpi:
        config = f"--dpi {max(70, round(dpi * image.width / original_width))}"
    try:
        text: str = pytesseract.image_to_string(
            image, lang=langs, config=config, timeout=PAGE_TIMEOUT_S
        )
        return text
    except RuntimeError as exc:  # pytesseract's timeout
        raise DocumentError(f"OCR gave up on a page after {PAGE_TIMEOUT_S} s ({exc}).") from exc
    except pytesseract.TesseractError as exc:
        raise DocumentError(f"OCR failed ({exc.message}).") from exc


def _fit(image: Image) -> Image:
    """Greyscale, and scaled down when over MAX_PIXELS (Tesseract's memory grows with it)."""
    if image.mode not in ("L", "1"):
        image = image.convert("L")
    pixels = image.width * image.height
    if pixels > MAX_PIXELS:
        scale = (MAX_PIXELS / pixels) ** 0.5
        image = image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))))
    return image


def read_pdf_pages(path: Path, numbers: Iterable[int]) -> dict[int, str]:
    """OCR text of the given 1-based pages of a PDF, rendered at RENDER_DPI.

    Pages that fail to render or read are left out (logged); the caller
    reports them as pages without text. Returns {} when OCR is not installed.
    """
    wanted = sorted(set(numbers))
    if not wanted or not ocr_available():
        return {}
    import pypdfium2 as pdfium

    out: dict[int, str] = {}
    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        log.warning("OCR: PDFium cannot open %s: %s", path.name, exc)
        return {}
    try:
        for number in wanted:
            if number > len(pdf):
                continue
            page = pdf[number - 1]
            try:
                width, height = page.get_size()  # points, 1/72 inch
                scale = RENDER_DPI / 72
                if width * height * scale * scale > MAX_PIXELS:
                    scale = (MAX_PIXELS / (width * height)) ** 0.5
                image = page.render(scale=scale, grayscale=True).to_pil()
                out[number] = read_image(image, dpi=scale * 72)
            except (pdfium.PdfiumError, DocumentError, OSError, ValueError) as exc:
                log.warning("OCR of page %d of %s failed: %s", number, path.name, exc)
            finally:
                page.close()
    finally:
        pdf.close()
    return out


def open_image_frames(path: Path) -> list[Image]:
    """Every frame of an image file (a multi-page TIFF has one per page).

    Raises DocumentError for files Pillow cannot read, and for images over
    MAX_PIXELS * 4 (refused as a decompression bomb rather than scaled).
    """
    from PIL import Image as PILImage
    from PIL import ImageSequence, UnidentifiedImageError

    PILImage.MAX_IMAGE_PIXELS = MAX_PIXELS * 4
    try:
        with PILImage.open(path) as image:
            frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
    except PILImage.DecompressionBombError as exc:
        raise DocumentError(f"{path}: the image is too large to read safely ({exc}).") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DocumentError(f"{path}: the image is damaged or not an image ({exc}).") from exc
    return frames
