"""Rebuild bench/data/manpages_passages.jsonl from Debian's installed manual pages.

The multilingual retrieval set of record (``bench_multilingual.py --set manpages``)
is made of text nobody on the team wrote: the manual pages of a few Debian
commands in English and in their German, French, Italian and Polish translations
(by their volunteer translators, credited in each page; shipped by the packages
that own the pages: man-db, apt, debianutils). This
script renders each page with groff, cuts it into passages (the one-line NAME,
each paragraph of the first section after the synopsis, each option entry: tag
plus its description) and keeps, for each language but English, only passages that are translated (a
passage whose text equals the English one, or that reads as English by a
stop-word count, is dropped: the translations are partial).

Passage ids are ``page#key``: the key is the option's first flag (``man.1#-k``),
``name``, or ``p<N>`` for the N-th paragraph of the description; option ids are
the same in every language, paragraph ids need not be.

Only needed to rebuild the data file (the benchmark reads the JSONL). The pages
come with the programs' own Debian packages (man-db, apt, debianutils: their
translations are theirs, not manpages-de/-fr/-it/-pl's, which lack these pages
or, for the shadow suite, leave them mostly in English); rendering needs groff:
``apt-get install man-db groff-base`` on a system whose dpkg keeps manual pages
(not part of ``make setup``):

    .venv/bin/python bench/manpages_build.py
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "manpages_passages.jsonl"
MAN = Path("/usr/share/man")
LANGS = ("en", "de", "fr", "it", "pl")
# Pages shipped in English and translated into all four languages (the shadow
# suite's pages, e.g. usermod.8, are mostly left in English in this release).
PAGES = (
    "apropos.1",
    "whatis.1",
    "man.1",
    "apt-cache.8",
    "run-parts.8",
    "savelog.8",
)
_STOP = {
    "en": "the of and to is a in be that for are this with by or not if it as an will",
    "de": "der die das und ist zu den nicht von mit ein eine für wird sich auf dem des oder",
    "fr": "le la les de des et est un une pour que dans du en pas sur par ne être avec",
    "it": "il la le di e è un una per che non del della dei da con in si essere sono",
    "pl": "i w się nie na jest z do że to być jako lub przez dla od po jeśli o",
}
_OPT = re.compile(r"^ {7}(-\S.*)$")
_BODY = re.compile(r"^ {8,}(\S.*)$")


def page_path(lang: str, page: str) -> Path:
    section = page.rsplit(".", 1)[1]
    base = MAN if lang == "en" else MAN / lang
    return base / f"man{section}" / f"{page}.gz"


def render(path: Path) -> list[str]:
    """The page as text lines, one paragraph a line (very wide line length)."""
    source = gzip.decompress(path.read_bytes())
    text = subprocess.run(
        ["groff", "-k", "-Tutf8", "-mandoc", "-rLL=3000n", "-P-cbou"],
        input=source,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    return [line.rstrip() for line in text.splitlines()]


def passages(lines: list[str], page: str) -> list[tuple[str, str]]:
    """[(id, text)] of one rendered page."""
    sections: list[list[str]] = []
    for line in lines[1:-1]:  # title and footer lines
        if line and not line.startswith(" "):
            sections.append([])
        elif sections:
            sections[-1].append(line)
    out: list[tuple[str, str]] = []
    if sections:
        name = " ".join(x.strip() for x in sections[0] if x.strip())
        out.append((f"{page}#name", name))
    n_para = 0
    for index, body in enumerate(sections[2:], start=2):
        current: tuple[str, list[str]] | None = None
        for line in [*body, ""]:
            opt = _OPT.match(line)
            if opt:
                if current:
                    out.append((current[0], " ".join(current[1])))
                flag = re.split(r"[ ,=\[]", opt.group(1))[0]
                current = (f"{page}#{flag}", [opt.group(1).strip()])
            elif current and _BODY.match(line):
                current[1].append(line.strip())
            elif current and not line.strip():
                continue
            else:
                if current:
                    out.append((current[0], " ".join(current[1])))
                    current = None
                if index == 2 and len(line.strip()) >= 40 and line.startswith(" " * 7):
                    n_para += 1
                    out.append((f"{page}#p{n_para}", line.strip()))
        if current:
            out.append((current[0], " ".join(current[1])))
    # Keep the first of duplicate ids (an option listed twice).
    seen: set[str] = set()
    return [(i, t) for i, t in out if not (i in seen or seen.add(i)) and len(t) > 15]


def _stop_share(text: str, lang: str) -> float:
    words = re.findall(r"\w+", text.lower())
    stop = set(_STOP[lang].split())
    return sum(w in stop for w in words) / max(1, len(words))


def translated(text: str, lang: str, english: str | None) -> bool:
    """False for a passage left in English in a translated page."""
    if english is not None and " ".join(text.split()) == " ".join(english.split()):
        return False
    return _stop_share(text, lang) >= _stop_share(text, "en")


def owner(path: Path) -> dict[str, str]:
    """Debian package that ships the file, its version and the licences in its copyright."""
    pkg = subprocess.run(["dpkg", "-S", str(path)], capture_output=True, text=True, check=True)
    name = pkg.stdout.split(":")[0]
    ver = subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True, check=True
    ).stdout
    copyright_file = Path("/usr/share/doc") / name / "copyright"
    licences = sorted(set(re.findall(r"^License: (\S+)", copyright_file.read_text(), re.M)))
    return {"package": name, "version": ver, "licences": ", ".join(licences)}


def main() -> None:
    rows = []
    for page in PAGES:
        english = dict(passages(render(page_path("en", page)), page))
        for lang in LANGS:
            path = page_path(lang, page)
            src = owner(path)
            kept = 0
            for pid, text in passages(render(path), page):
                if lang != "en" and not translated(text, lang, english.get(pid)):
                    continue
                kept += 1
                rows.append({"id": pid, "lang": lang, "page": page, "text": text, **src})
            print(f"{page} {lang}: {kept} passages ({src['package']} {src['version']})")
    OUT.parent.mkdir(exist_ok=True)
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    for lang in LANGS:
        print(lang, sum(r["lang"] == lang for r in rows))
    print(f"wrote {len(rows)} passages to {OUT}")


if __name__ == "__main__":
    main()
