"""OCR accuracy and speed on pages rendered here (issue 15).

Each page is a paragraph of real-looking administrative text in one of the
languages the appliance claims, drawn in DejaVu Sans at 11 pt on an A4 page at
150, 200 and 300 dpi (as a scanner would save it), then read the way ingestion
reads it: through ``appliance.ingest.ocr.read_image`` with every claimed
language loaded. Character accuracy is 1 - (Levenshtein distance / reference
length) over whitespace-normalised text. Also measured: the same pages read
with the page's own language only, to show what loading seven languages costs.

    .venv/bin/python bench/bench_ocr.py [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.docgen import render_scan  # the tests' own page renderer

PAGES = {
    "eng": "Records Management. Visitor logs are kept for seven years and then destroyed by "
    "the facilities team. Personnel files are archived in the basement store after twelve "
    "months; the archivist checks the boxes every quarter and reports missing files.",
    "deu": "Aktenverwaltung. Besucherprotokolle werden sieben Jahre aufbewahrt und danach vom "
    "Facility-Team vernichtet. Personalakten kommen nach zwölf Monaten ins Kellerarchiv; die "
    "Archivarin prüft die Kartons jedes Quartal und meldet fehlende Akten.",
    "fra": "Gestion des archives. Les registres des visiteurs sont conservés sept ans puis "
    "détruits par l'équipe technique. Les dossiers du personnel sont archivés au sous-sol "
    "après douze mois ; l'archiviste vérifie les cartons chaque trimestre.",
    "ita": "Gestione degli archivi. I registri dei visitatori sono conservati per sette anni e "
    "poi distrutti dal servizio tecnico. I fascicoli del personale sono archiviati nel "
    "seminterrato dopo dodici mesi; l'archivista controlla le scatole ogni trimestre.",
    "spa": "Gestión de archivos. Los registros de visitantes se conservan siete años y después "
    "los destruye el equipo de mantenimiento. Los expedientes del personal se archivan en el "
    "sótano tras doce meses; la archivera revisa las cajas cada trimestre.",
    "nld": "Archiefbeheer. Bezoekerslogboeken worden zeven jaar bewaard en daarna door de "
    "facilitaire dienst vernietigd. Personeelsdossiers gaan na twaalf maanden naar het "
    "kelderarchief; de archivaris controleert de dozen elk kwartaal.",
    "pol": "Zarządzanie dokumentacją. Dzienniki odwiedzających przechowujemy przez siedem lat, "
    "a potem niszczy je dział techniczny. Akta osobowe trafiają do archiwum w piwnicy po "
    "dwunastu miesiącach; archiwistka sprawdza pudła co kwartał.",
}


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def accuracy(reference: str, read: str) -> float:
    ref, hyp = " ".join(reference.split()), " ".join(read.split())
    return 1 - levenshtein(ref, hyp) / len(ref)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    import pytesseract

    from appliance.ingest import ocr
    from appliance.ingest.text import normalise_text

    if not ocr.ocr_available():
        sys.exit("Tesseract is not installed: run scripts/install-ocr")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    print(f"# OCR on {platform.node()} ({platform.machine()}, {os.cpu_count()} cores), {when}")
    print(f"tesseract {pytesseract.get_tesseract_version()}, languages {ocr.languages()}")
    print()
    print("| dpi | languages loaded | pages | char accuracy (mean, min) | s/page | pages/s |")
    print("| --- | --- | --- | --- | --- | --- |")
    for dpi in (150, 200, 300):
        images = {lang: render_scan(text, dpi=dpi, size_pt=11) for lang, text in PAGES.items()}
        for mode in ("all seven", "page's own"):
            scores, elapsed, pages = [], 0.0, 0
            for _ in range(args.rounds):
                for lang, image in images.items():
                    start = time.perf_counter()
                    if mode == "all seven":
                        text = ocr.read_image(image, dpi=dpi)
                    else:
                        text = pytesseract.image_to_string(image, lang=lang, config=f"--dpi {dpi}")
                    elapsed += time.perf_counter() - start
                    pages += 1
                    scores.append(accuracy(PAGES[lang], normalise_text(text)))
            print(
                f"| {dpi} | {mode} | {pages} | {sum(scores) / len(scores):.3f}, {min(scores):.3f} "
                f"| {elapsed / pages:.2f} | {pages / elapsed:.2f} |"
            )
            sys.stdout.flush()


if __name__ == "__main__":
    main()
