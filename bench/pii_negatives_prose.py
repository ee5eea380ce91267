"""A second negatives tuning set: ordinary prose nobody on the team wrote (issue 16).

``bench/data/pii_negatives_prose.jsonl`` holds a fixed, seeded sample of passages of one
to four sentences, read from text that ships on this machine (offline):

* the long descriptions of the Debian packages installed here (``/var/lib/dpkg/status``,
  bookworm; the apt lists hold only one-line synopses), English;
* the licence texts of ``/usr/share/common-licenses``;
* README and NEWS prose under ``/usr/share/doc`` (plain or gzipped text);
* the long descriptions in the ``METADATA`` of the packages in the appliance's virtual
  environment (``.venv/lib/python3*/site-packages``);
* entries of the installed packages' Debian changelogs (``changelog.Debian.gz``): up to
  four lines of an entry and its signature line, where the uploader's name and address
  stand (real people: this stratum measures that real names are still found);
* translated message catalogues (``/usr/share/locale/{de,fr,it,es,nl,pl}``): the longer
  messages that are sentences (help texts, explanations), by their volunteer translators.

Each passage keeps its source (package, version, file) and licence. Every span the
detector flagged was read by hand, and the passages were searched for people
(authors, maintainers, copyright holders, "written by", e-mail addresses): a real
person's name is a gold PERSON, an address a gold EMAIL_ADDRESS (``entities``, ``form``
"real"); a false positive is kept in ``labels`` with its kind. Passages without
``entities`` are negatives.

    .venv/bin/python bench/pii_negatives_prose.py            # false positives per type and kind
    .venv/bin/python bench/pii_negatives_prose.py --show     # and every flagged span
    .venv/bin/python bench/pii_negatives_prose.py --build    # re-draw the sample (keeps labels)

A tuning set: ``pii_eval.py --split negprose`` scores it like the others. The pools are
what is installed on the machine (dpkg's status, ``/usr/share/doc``, the virtual
environment), so ``--build`` draws the same sample only from the same installation: the
stored file (its text, sources and labels) is the set, drawn on 30 Nov 2026 at 19:09 UTC
from the appliance's Debian bookworm VM before its set-up installed more packages.
"""

from __future__ import annotations

import gettext
import gzip
import random
import re
from collections import Counter
from pathlib import Path

import pii_negatives_dev as negdev

DATA_DIR = Path(__file__).resolve().parent / "data"
NEGPROSE_FILE = DATA_DIR / "pii_negatives_prose.jsonl"
SEED = 20261201
COUNTS = {"debian": 350, "licence": 100, "doc": 150, "metadata": 200, "changelog": 100}
PER_LANGUAGE = 50  # message catalogues, in each of LANGS
LANGS = ("de", "fr", "it", "es", "nl", "pl")
SITE_PACKAGES = sorted(
    (Path(__file__).resolve().parent.parent / ".venv" / "lib").glob("python3*/site-packages")
)

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(«„]?[A-ZÀ-ÖØ-ÞĄĆĘŁŃÓŚŹŻ0-9])")
_CODE = re.compile(
    r"[{}<>$`|]|::|=>|\b\w+\(\)|^\s*[-*#>=+]|\s{2,}\S+\s{2,}|\.\.\.|%\w|\\|(?<![\w-])--?[a-z]"
)


def _prose(text: str) -> bool:
    """A paragraph of running text: mostly letters, a few words, no code or table."""
    words = text.split()
    if len(words) < 6 or not re.search(r"[.!?]$", text.strip()):
        return False
    letters = sum(ch.isalpha() for ch in text)
    visible = sum(not ch.isspace() for ch in text)
    return letters >= 0.8 * visible and not _CODE.search(text)


def _passage(paragraph: str, rng: random.Random) -> str | None:
    """One to four consecutive sentences of a paragraph, 40 to 800 characters."""
    text = " ".join(paragraph.split())
    if not _prose(text):
        return None
    sentences = _SENTENCE_END.split(text)
    start = rng.randrange(len(sentences))
    size = rng.randint(1, 4)
    passage = " ".join(sentences[start : start + size])
    while len(passage) > 800 and size > 1:
        size -= 1
        passage = " ".join(sentences[start : start + size])
    return passage if 40 <= len(passage) <= 800 else None


def _paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


def _items(ident: str, provenance: str, text: str) -> list[tuple[str, str, str]]:
    """(id, provenance, paragraph) of each paragraph of ``text``."""
    return [(f"{ident}#{k}", provenance, para) for k, para in enumerate(_paragraphs(text))]


def _licence_of(package: str) -> str:
    """The licences named in a package's Debian copyright file (where it is installed)."""
    path = Path("/usr/share/doc") / package / "copyright"
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "the package's licence (Debian main: DFSG-free)"
    names = []
    for m in re.finditer(r"^License:\s*(\S.*)$", text, re.M):
        if m.group(1).strip() not in names:
            names.append(m.group(1).strip())
    return ", ".join(names[:4]) or "see /usr/share/doc/" + package + "/copyright"


def _debian_pool() -> list[tuple[str, str, str]]:
    """(id, provenance, paragraph) of every package's long description."""
    # The apt lists of this machine carry only the one-line synopses; the long
    # descriptions are those of the installed packages, in dpkg's status file.
    dump = Path("/var/lib/dpkg/status").read_text(encoding="utf-8", errors="replace")
    pool = []
    seen: set[str] = set()
    for record in dump.split("\n\n"):
        fields = dict(re.findall(r"^(Package|Version|Section):\s*(.*)$", record, re.M))
        m = re.search(r"^Description(?:-en)?: .*\n((?: .*\n?)*)", record, re.M)
        if not m or "Package" not in fields or fields["Package"] in seen:
            continue
        seen.add(fields["Package"])
        lines = [line[1:] for line in m.group(1).splitlines()]
        body = "\n".join("" if line.strip() == "." else line for line in lines)
        package = fields["Package"]
        provenance = (
            f"Debian bookworm {package} {fields.get('Version', '')} "
            f"({fields.get('Section', '')}), package description; {_licence_of(package)}"
        )
        pool += _items(f"deb:{package}", provenance, body)
    return pool


def _licence_pool() -> list[tuple[str, str, str]]:
    pool = []
    for path in sorted(Path("/usr/share/common-licenses").iterdir()):
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        provenance = f"{path} (the licence text; verbatim copying permitted)"
        pool += _items(f"lic:{path.name}", provenance, text)
    return pool


def _read_doc(path: Path) -> str:
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


def _doc_pool() -> list[tuple[str, str, str]]:
    pool = []
    for path in sorted(Path("/usr/share/doc").glob("*/*")):
        if not re.match(r"(README|NEWS)(\.md|\.txt|\.rst)?(\.gz)?$", path.name, re.I):
            continue
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        package = path.parent.name
        provenance = f"{path} (Debian package {package}; {_licence_of(package)})"
        pool += _items(f"doc:{package}/{path.name}", provenance, _read_doc(path))
    return pool


def _metadata_pool() -> list[tuple[str, str, str]]:
    pool = []
    for site in SITE_PACKAGES:
        for path in sorted(site.glob("*.dist-info/METADATA")):
            text = path.read_text(encoding="utf-8", errors="replace")
            head, _, body = text.partition("\n\n")
            meta = dict(
                re.findall(r"^(Name|Version|License-Expression|License):\s*(.*)$", head, re.M)
            )
            licence = meta.get("License-Expression") or meta.get("License", "")
            if not licence or len(licence) > 60:
                classifiers = re.findall(
                    r"^Classifier: License :: (?:OSI Approved :: )?(.*)$", head, re.M
                )
                licence = ", ".join(classifiers) or "see the package's METADATA"
            name = meta.get("Name", path.parent.name)
            version = meta.get("Version", "")
            provenance = f"PyPI {name} {version}, METADATA long description ({licence})"
            pool += _items(f"pypi:{name}", provenance, body)
    return pool


def _catalogue_pool(lang: str) -> list[tuple[str, str, str]]:
    pool = []
    for path in sorted(Path(f"/usr/share/locale/{lang}/LC_MESSAGES").glob("*.mo")):
        try:
            with path.open("rb") as fh:
                catalog = gettext.GNUTranslations(fh)._catalog  # type: ignore[attr-defined]
        except (OSError, UnicodeDecodeError):
            continue
        messages = sorted(catalog.items(), key=lambda kv: str(kv[0]))
        for m, (key, value) in enumerate(messages):
            if not isinstance(value, str) or not key or len(value) < 60:
                continue
            provenance = f"{path} (message catalogue, {lang} translation; the package's licence)"
            pool += _items(f"mo:{lang}:{path.stem}:{m}", provenance, value)
    return pool


_TRAILER = re.compile(r"^ -- (?P<name>[^<\n]+?) <(?P<email>[^>\s]+)>  (?P<date>.+)$", re.M)
_ENTRY_HEAD = re.compile(r"^\S.*; urgency=.*$", re.M)


def _changelog_pool() -> list[tuple[str, str, str]]:
    """Entries of the installed packages' Debian changelogs: up to four of an entry's
    lines, then its signature line (the uploader's name and address, a real person)."""
    pool = []
    for path in sorted(Path("/usr/share/doc").glob("*/changelog.Debian.gz")):
        package = path.parent.name
        text = _read_doc(path)
        heads = list(_ENTRY_HEAD.finditer(text))
        for k, head in enumerate(heads):
            end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
            entry = text[head.end() : end]
            trailer = _TRAILER.search(entry)
            if trailer is None:
                continue
            lines = [line.strip() for line in entry[: trailer.start()].splitlines()]
            lines = [line for line in lines if line]
            if not lines:
                continue
            body = "\n".join(lines[:4])
            pool.append(
                (
                    f"chg:{package}#{k}",
                    f"{path} (Debian package {package}; {_licence_of(package)})",
                    body + "\n" + trailer.group().strip(),
                )
            )
    return pool


def _sample(
    pool: list[tuple[str, str, str]], n: int, rng: random.Random, source: str, lang: str
) -> list[dict[str, object]]:
    """``n`` passages, spread over the pool's files: one random paragraph of each file in
    turn (files in a random order), so that one long NEWS file does not fill the sample."""
    files: dict[str, list[tuple[str, str, str]]] = {}
    for item in pool:
        files.setdefault(item[1], []).append(item)
    order = sorted(files)
    rng.shuffle(order)
    for name in order:
        rng.shuffle(files[name])
    out: list[dict[str, object]] = []
    seen: set[str] = set()
    while len(out) < n and any(files[name] for name in order):
        for name in order:
            if not files[name] or len(out) == n:
                continue
            ident, provenance, para = files[name].pop()
            text = para if source == "changelog" else _passage(para, rng)
            if text is None or text in seen:
                continue
            seen.add(text)
            out.append(
                {
                    "id": ident,
                    "lang": lang,
                    "source": source,
                    "provenance": provenance,
                    "text": text,
                }
            )
    return sorted(out, key=lambda s: str(s["id"]))


def read_samples(path: Path = NEGPROSE_FILE) -> list[dict]:  # type: ignore[type-arg]
    return negdev.read_samples(path)


def write_samples(samples: list[dict], path: Path = NEGPROSE_FILE) -> None:  # type: ignore[type-arg]
    negdev.write_samples(samples, path)


def build() -> None:
    """Draw the sample (seeded); labels already in the file are kept by sample id."""
    rng = random.Random(SEED)
    samples = _sample(_debian_pool(), COUNTS["debian"], rng, "debian", "en")
    samples += _sample(_licence_pool(), COUNTS["licence"], rng, "licence", "en")
    samples += _sample(_doc_pool(), COUNTS["doc"], rng, "doc", "en")
    samples += _sample(_metadata_pool(), COUNTS["metadata"], rng, "metadata", "en")
    samples += _sample(_changelog_pool(), COUNTS["changelog"], rng, "changelog", "en")
    for lang in LANGS:
        samples += _sample(_catalogue_pool(lang), PER_LANGUAGE, rng, "catalogue", lang)
    old = {s["id"]: s for s in read_samples()} if NEGPROSE_FILE.exists() else {}
    for s in samples:
        s["entities"] = old.get(str(s["id"]), {}).get("entities", [])
        s["labels"] = old.get(str(s["id"]), {}).get("labels", [])
    write_samples(samples)
    print(f"{len(samples)} samples -> {NEGPROSE_FILE}", Counter(str(s["source"]) for s in samples))


def main() -> None:
    negdev.command_line(__doc__, build, read_samples)


if __name__ == "__main__":
    main()
