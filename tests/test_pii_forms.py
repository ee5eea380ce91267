"""Personal data found in every form it is written in (issue 16), and ordinary staff
questions left alone (issue 13, item 4).

Each example of the issues is a test here; values are our own, valid where the
scheme has a check digit (python-stdnum checks them in ``test_values_are_valid``).
"""

from __future__ import annotations

import json
import sys
from itertools import pairwise
from pathlib import Path

import pytest
from stdnum import iban
from stdnum.nl import bsn
from stdnum.pl import pesel
from stdnum.us import ssn

from appliance.privacy import PseudonymScope, apply_policy, load_policy

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = Path(__file__).parent / "data" / "ordinary_questions.txt"
SHIPPED = ("default", "banking", "healthcare", "government")


@pytest.fixture(scope="session")
def detector(model_dir: Path):
    from appliance.models import SPACY_EN_DIR
    from appliance.privacy import shared_detector

    return shared_detector(model_dir / SPACY_EN_DIR)


def _found(detector, text: str, policy: str = "default", stage: str = "ingest") -> dict:  # type: ignore[no-untyped-def]
    p = load_policy(policy)
    out: dict[str, list[str]] = {}
    for e in detector.analyze(text, p.types_for(stage), p.thresholds(), p.allow, p.deny):
        out.setdefault(e.type, []).append(text[e.start : e.end])
    return out


def test_values_are_valid() -> None:
    assert pesel.is_valid("75031212344") and pesel.is_valid("02271409867")
    assert bsn.is_valid("234567892") and bsn.is_valid("111222333")
    assert ssn.is_valid("536634020")
    for value in ("AT611904300234573201", "DE89370400440532013000", "GB82WEST12345698765432"):
        assert iban.is_valid(value)


@pytest.mark.parametrize(
    ("text", "entity", "value"),
    [
        # No context word at all, or a generic or foreign one.
        ("National identifier 75031212344 belongs to the applicant.", "PL_PESEL", "75031212344"),
        ("Mr Jansen (234567892) called.", "NL_BSN", "234567892"),
        ("Le dossier 02271409867 a été transmis au service.", "PL_PESEL", "02271409867"),
        ("Jason Johnson (536-63-4020) started on Monday.", "US_SSN", "536-63-4020"),
        ("Priya Raman (JH 12 34 56 C) asked for a copy.", "UK_NINO", "JH 12 34 56 C"),
    ],
)
def test_checksum_valid_identifiers_need_no_context_word(
    detector, text: str, entity: str, value: str
) -> None:
    assert _found(detector, text).get(entity) == [value]


def test_a_business_reference_word_or_a_wrong_check_digit_is_no_identifier(detector) -> None:
    # A valid BSN after "order", and identifiers with wrong check digits, in ordinary text.
    text = (
        "Order 234567892 was shipped. Tracking 75031212344 shows it in transit. "
        "Reference 75031212345 was closed; 234567893 and 000-12-3456 are not allocated."
    )
    assert _found(detector, text) == {}


@pytest.mark.parametrize(
    "value",
    [
        "AT61-1904-3002-3457-3201",
        "AT61.1904.3002.3457.3201",
        "de89 3704 0044 0532 0130 00",
        "de89370400440532013000",
        "DE89  3704  0044  0532  0130  00",
        "GB82-WEST-1234-5698-7654-32",
    ],
)
def test_ibans_in_every_separator_form_and_case(detector, value: str) -> None:
    assert _found(detector, f"Refunds go to {value}, not to the old account.") == {
        "IBAN_CODE": [value]
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Please call back on 555-201-7730 x214 before noon.", "555-201-7730 x214"),
        ("Her office: (212) 555-0142 ext. 9.", "(212) 555-0142 ext. 9"),
        ("I tried to call her on 333 997 1234 yesterday.", "333 997 1234"),
        ("Bitte zurückrufen unter 030 901820 Durchwahl 23.", "030 901820 Durchwahl 23"),
        ("Merci de rappeler au 06 12 34 56 78 poste 411.", "06 12 34 56 78 poste 411"),
    ],
)
def test_phone_numbers_in_the_forms_people_write_keep_their_extension(
    detector, text: str, value: str
) -> None:
    assert _found(detector, text)["PHONE_NUMBER"] == [value]


def test_a_number_no_plan_allows_is_no_phone_number(detector) -> None:
    # NANP area codes have no 9 in the middle; no plan starts a number with 000.
    text = "Call the desk on (999) 555-0123 or 000-555-0123 about the batch."
    assert "PHONE_NUMBER" not in _found(detector, text)
    assert _found(detector, "Call the desk on (919) 555-0123.")["PHONE_NUMBER"] == [
        "(919) 555-0123"
    ]


def test_possessive_and_lower_case_names_in_questions_are_pseudonymised_whole(detector) -> None:
    policy = load_policy("default")
    for question, expected in [
        ("What is Philippa Thistlewood's phone number?", "What is <PERSON_1>'s phone number?"),
        ("is marek nowak's account closed?", "is <PERSON_1>'s account closed?"),
        ("Who handled June Adams's complaint?", "Who handled <PERSON_1>'s complaint?"),
    ]:
        found = detector.analyze(question, policy.types_for("prompt"), policy.thresholds())
        scope = PseudonymScope(lambda v: f"mac:{v}")
        assert apply_policy(question, found, policy, "prompt", scope).text == expected


@pytest.mark.parametrize("policy", ["healthcare", "government"])
def test_places_tied_to_a_person_are_pseudonymised_where_the_policy_says(
    detector, policy: str
) -> None:
    text = (
        "Mrs Okafor moved to Harwell in 2019. Her father was admitted in Zwolle and now "
        "lives at the farm outside Ennis. Frau Lehmann wohnt in Bad Kreuznach."
    )
    assert _found(detector, text, policy)["LOCATION"] == [
        "Harwell",
        "Zwolle",
        "Ennis",
        "Bad Kreuznach",
    ]


def test_places_of_an_organisation_are_not_personal_data(detector) -> None:
    text = (
        "The council meets in the town hall of Harwell. Our Zwolle branch closes at 3 pm. "
        "She was admitted to Leeds General Infirmary."
    )
    assert _found(detector, text, "healthcare") == {}


def test_the_default_policy_keeps_places_and_says_so() -> None:
    default, healthcare = load_policy("default"), load_policy("healthcare")
    assert "LOCATION" not in default.types_for("ingest")
    assert all(healthcare.action("LOCATION", s) == "pseudonymise" for s in ("ingest", "prompt"))


def _questions() -> list[str]:
    lines = QUESTIONS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def test_ordinary_staff_questions_are_never_pseudonymised(detector) -> None:
    """300+ questions with no personal data, in seven languages: modal openings, job
    titles, departments, products, months, wards, rooms, article numbers."""
    questions = _questions()
    assert len(questions) >= 300
    found = {}
    for name in SHIPPED:
        policy = load_policy(name)
        for q in questions:
            hits = detector.analyze(
                q, policy.types_for("prompt"), policy.thresholds(), policy.allow, policy.deny
            )
            if hits:
                found[(name, q)] = [(e.type, q[e.start : e.end]) for e in hits]
    assert found == {}


def test_a_question_starting_with_can_keeps_its_words(detector) -> None:
    policy = load_policy("default")
    question = "Can I install my own software on a work laptop?"
    found = detector.analyze(question, policy.types_for("prompt"), policy.thresholds())
    scope = PseudonymScope(lambda v: f"mac:{v}")
    assert apply_policy(question, found, policy, "prompt", scope).text == question


def _holdout_figures(detector, name: str) -> dict[str, float]:  # type: ignore[no-untyped-def]
    sys.path.insert(0, str(REPO / "bench"))
    from pii_eval import score, summary

    samples = [
        json.loads(line)
        for line in (REPO / "bench" / "data" / f"{name}.jsonl").read_text().splitlines()
    ]
    policy = load_policy("healthcare")

    def predict(text: str) -> list[tuple[str, int, int]]:
        hits = detector.analyze(text, policy.types_for("ingest"), policy.thresholds())
        return [(e.type, e.start, e.end) for e in hits]

    return summary(score(samples, predict), len(samples))


def test_frozen_holdout_figures_hold(detector) -> None:
    """The figures of record (bench/pii_eval.py, healthcare policy) on the first frozen
    holdout do not drop below those recorded in bench/RESULTS.md (round 8: recall 0.987,
    precision 0.963, national ids 1.000, IBAN 1.000 in every form, phones 0.971, places
    0.960, 3 of 111 negatives with a detection; round 7 had 0.982, 0.963, 0.927 and 3).
    Issue 16's target for negatives (none) is not met."""
    figures = _holdout_figures(detector, "pii_holdout")
    assert figures["recall"] >= 0.985 and figures["precision"] >= 0.96, figures
    assert figures["national_ids"] >= 0.99 and figures["iban_worst_form"] >= 0.99, figures
    assert figures["phone"] >= 0.97 and figures["location"] >= 0.955, figures
    assert figures["negatives_clean"] >= 0.97, figures


def test_second_holdout_figures_hold(detector) -> None:
    """The same on holdout2 (bench/pii_holdout2.py: hand-written names and towns, written
    without reading the detector; blind figure 0.836, round 5 0.879, round 6 0.903, round 7
    0.916, round 8 0.944, round 9 0.947, RESULTS section 6): round 10 recall 0.954,
    precision 0.992, places 0.954, 1 of 147 negatives with a detection."""
    figures = _holdout_figures(detector, "pii_holdout2")
    assert figures["recall"] >= 0.95 and figures["precision"] >= 0.99, figures
    assert figures["national_ids"] >= 0.99 and figures["iban_worst_form"] >= 0.99, figures
    assert figures["phone"] >= 0.99 and figures["location"] >= 0.945, figures
    assert figures["negatives_clean"] >= 0.99, figures


def test_third_holdout_figures_hold(detector) -> None:
    """The same on holdout3 (bench/pii_holdout3.py, frozen with dev5 and written blind to
    the detector; blind figure 0.709, round 6 0.772, round 7 0.802, round 8 0.876,
    round 9 0.893, RESULTS section 6, "Round 10"): round 10 recall 0.895, precision 0.977,
    places 0.968, phones 0.981, 11 of 140 negatives with a detection (8 before round 6:
    recorded as a regression)."""
    figures = _holdout_figures(detector, "pii_holdout3")
    assert figures["recall"] >= 0.89 and figures["precision"] >= 0.975, figures
    assert figures["national_ids"] >= 0.99 and figures["iban_worst_form"] >= 0.99, figures
    assert figures["phone"] >= 0.98 and figures["location"] >= 0.96, figures
    assert figures["negatives_clean"] >= 0.92, figures


def test_identifiers_at_the_end_of_a_sentence_and_grouped_mobiles(detector) -> None:
    # A dotted BSN before the full stop; a Spanish mobile without a phone word nearby.
    assert _found(detector, "Zijn BSN is 2345.67.892.") == {"NL_BSN": ["2345.67.892"]}
    found = _found(detector, "La Sra. Ortega está localizable en el 612 13 15 12.")
    assert found["PHONE_NUMBER"] == ["612 13 15 12"]
    assert "PHONE_NUMBER" not in _found(detector, "Zamówienie 611 400 897 wysłano 14 marca.")


def test_places_after_who_someone_lives_with_and_form_labels(detector) -> None:
    text = (
        "Lives with her son in Dunoon. Vit chez sa fille à Honfleur. "
        "Woont bij haar dochter in Werkhoven. Town: Hexham | Ville : Annonay"
    )
    assert _found(detector, text, "healthcare")["LOCATION"] == [
        "Dunoon",
        "Honfleur",
        "Werkhoven",
        "Hexham",
        "Annonay",
    ]


@pytest.mark.parametrize(
    ("text", "place"),
    [
        # Residence, birth and origin phrasings of the seven languages (round 4).
        ("As a resident of Ludlow, Mr Aldous pays the reduced fee.", "Ludlow"),
        ("Place of birth: Bideford; name: Marian Coulter", "Bideford"),
        ("Frau Albers aus Nordhorn hat gestern angerufen.", "Nordhorn"),
        ("Geburtsort: Lüdinghausen; Name: Reinhild Albers", "Lüdinghausen"),
        ("Mme Girard, domiciliée à Pontivy, demande un remboursement.", "Pontivy"),
        ("Il sig. Moretti, domiciliato a Gubbio, chiede il rimborso.", "Gubbio"),
        ("El Sr. Pardo, vecino de Tudela, solicita el reembolso.", "Tudela"),
        ("Mevrouw Bakker, woonachtig te Tiel, vraagt om terugbetaling.", "Tiel"),
        ("Pan Wójcik, zamieszkały w Kutnie, prosi o zwrot kosztów.", "Kutnie"),
        # A move or a return, with the person named.
        ("Ignacio Pardo ha vuelto de Tudela y quiere una cita.", "Tudela"),
        ("Kees Bakker is uit Tiel teruggekomen.", "Tiel"),
        ("Gianni Moretti è tornato da Gubbio ieri.", "Gubbio"),
        # A few words between the verb and the place; the writer speaks of themselves.
        ("Ich wohne seit vielen Jahren in Nordhorn und bin unzufrieden.", "Nordhorn"),
        ("Bożena Wójcik przeprowadziła się w marcu do miejscowości Kutno.", "Kutno"),
        # Where someone comes from, right after the name.
        ("Please call Marian Coulter from Bideford back.", "Bideford"),
        ("Zoals besproken met Kees Bakker uit Tiel sturen we het formulier.", "Tiel"),
        ("Ha chiamato Gianni Moretti da Gubbio per la fattura.", "Gubbio"),
    ],
)
def test_places_tied_to_a_person_in_more_phrasings(detector, text: str, place: str) -> None:
    assert place in _found(detector, text, "healthcare").get("LOCATION", []), text


def test_an_address_line_hides_its_town(detector) -> None:
    text = "Anschrift: Mühlenweg 12, Nordhorn; Kontoinhaber: Reinhild Albers"
    found = detector.analyze(text, load_policy("healthcare").types_for("ingest"))
    town = text.index("Nordhorn")
    assert any(e.start <= town and town + len("Nordhorn") <= e.end for e in found), found


@pytest.mark.parametrize(
    "text",
    [
        # Organisations move, open and meet in towns: no person, no personal data.
        "The head office moved to Kendal in 2021.",
        "Het hoofdkantoor is in 2020 naar Tiel verhuisd.",
        "La sede legale è stata trasferita a Gubbio lo scorso anno.",
        "La delegación se trasladó a Tudela en 2019.",
        "Das Ersatzteillager zieht im Herbst nach Nordhorn um.",
        "Training for the Ludlow branch takes place on Thursdays.",
        # Noun-rich German, Dutch and Polish text, where the English model sees names.
        "Die Quartalsabrechnung der Hauptkasse liegt der Innenrevision vor.",
        "Bitte reichen Sie die Reisekostenabrechnung bei der Lohnbuchhaltung ein.",
        "Sprawozdanie Zarządu Spółki zostało przyjęte przez Radę Nadzorczą.",
        "Wniosek o Dofinansowanie należy złożyć w Biurze Obsługi Klienta.",
        # A noun that ends like a street, then a number: a place in a table, a parking
        # space, a year.
        "Unser Team belegte Platz 3 im Turnier.",
        "Auf Platz 2 folgt die Abteilung Vertrieb.",
        "Die Besprechung findet am Arbeitsplatz 3 statt.",
        "Die Lieferung steht auf dem Parkplatz 12.",
        "Der Arbeitsmarkt 2025 bleibt angespannt.",
        "Het project Stationsplein 2024 is vertraagd.",
        # A street and a quantity, not a house number (round 11's break test).
        "Über den Waldweg 3 Minuten schneller am Ziel.",
        "De Kalverstraat 20 procent minder winkelend publiek dan vorig jaar.",
        "Op de Coolsingel 40.000 supporters bij de huldiging.",
    ],
)
def test_organisations_places_and_ordinary_nouns_are_not_personal_data(detector, text: str) -> None:
    assert _found(detector, text, "healthcare") == {}, text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Gestern war Jürgen Baumgärtner am Schalter und fragte nach dem Kontostand.",
         "Jürgen Baumgärtner"),
        ("Gisteren belde Femke Hoekstra over de factuur.", "Femke Hoekstra"),
        ("Wczoraj dzwonił Grzegorz Wiśniewski w sprawie faktury.", "Grzegorz Wiśniewski"),
    ],
)  # fmt: skip
def test_names_in_german_dutch_and_polish_running_text(detector, text: str, name: str) -> None:
    assert _found(detector, text, "healthcare").get("PERSON") == [name]


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # Polish towns in the case their preposition asks for (round 5).
        ("Jan Mrozek pochodzi z Łowicza, a od roku mieszka pod Sieradzem.",
         ["Łowicza", "Sieradzem"]),
        ("Urodzona w Koninie, od 2019 roku zameldowana we Włodawie.", ["Koninie", "Włodawie"]),
        # German, Dutch, Spanish and French phrasings with a gap or the verb after the place.
        ("Geb. 1958 in Ebersberg, verheiratet; Hausärztin ist Frau Dr. Renner.", ["Ebersberg"]),
        # A pronoun after a preposition is no place ("von Ihnen"; guards the gap rule).
        ("Seit meinem Umzug nach Kyritz erhalte ich keine Post mehr von Ihnen. Almut Tiedtke",
         ["Kyritz"]),
        ("Wir bestätigen, dass Udo Renner seit dem 2. Mai in Ebersberg gemeldet ist.",
         ["Ebersberg"]),
        ("Hester Dijkhuis woont sinds kort in een aanleunwoning in Raalte.", ["Raalte"]),
        ("Nacida el 9 de junio de 1961 en Zamora, la paciente Rocío Benavente sigue en planta.",
         ["Zamora"]),
        ("Originaire des environs de Mende, Hervé Castagnet a été hospitalisé.", ["Mende"]),
        # Both places of a move.
        ("Estimado Nicanor Urrutia: hemos tramitado su traslado de Zamora a Tudela.",
         ["Zamora", "Tudela"]),
    ],
)  # fmt: skip
def test_places_in_inflected_and_gapped_phrasings(detector, text: str, places: list[str]) -> None:
    assert _found(detector, text, "healthcare").get("LOCATION") == places, text


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("Antragsteller: Udo Renner, wohnhaft Kastanienweg 14, 97688 Bad Kissingen",
         ["Kastanienweg 14", "97688", "Bad Kissingen"]),
        ("Straat: Berkenlaan 7; Postcode en plaats: 8102 GK Raalte; Naam: Hester Dijkhuis",
         ["Berkenlaan 7", "8102 GK", "Raalte"]),
        ("Pani Mrozek, wonende aan de Kerkstraat 3 te Raalte, belde.", ["Kerkstraat 3", "Raalte"]),
        # Streets named after people, hyphenated or after an adjective, a title or a first
        # name (round 11: only "Musterstraße 12" was an address before).
        ("Hans Meier, Konrad-Adenauer-Straße 12, 53113 Bonn",
         ["Konrad-Adenauer-Straße 12", "53113"]),
        ("Frau Schulz wohnt in der Konrad-Adenauer-Straße 12.", ["Konrad-Adenauer-Straße 12"]),
        ("Herr Braun wohnt in der Berliner Straße 4a in Kassel.", ["Berliner Straße 4a", "Kassel"]),
        ("Bitte an Herrn Vogt, Graf-von-Galen-Str. 5, 48143 Münster.", ["Graf-von-Galen-Str. 5"]),
        ("Mevrouw de Vries woont aan de Willem-Alexanderlaan 5 in Utrecht.",
         ["Willem-Alexanderlaan 5"]),
        ("De heer Bakker, Van Baerlestraat 112, 1071 BA Amsterdam.", ["Van Baerlestraat 112"]),
        ("Jan Smit woont aan de Jan van Galenstraat 4-2 in Amsterdam.",
         ["Jan van Galenstraat 4-2"]),
        # An everyday compound is a street when a postcode follows (round 11's break test).
        ("Absender: Claudia Rehbein · Marktplatz 7 · 74072 Heilbronn", ["Marktplatz 7"]),
        ("Stuur de sleutels naar Gea Post, Hoofdweg 131, 9617 AB Harkstede.", ["Hoofdweg 131"]),
        ("Mijn adres is Laan van Meerdervoort 50, 2517 AE Den Haag. Groet, Els Bos",
         ["Laan van Meerdervoort 50"]),
    ],
)  # fmt: skip
def test_address_lines_hide_street_postcode_and_town(
    detector, text: str, values: list[str]
) -> None:
    found = detector.analyze(text, load_policy("healthcare").types_for("ingest"))
    for value in values:
        at = text.index(value)
        assert any(
            e.type in ("POSTAL_ADDRESS", "LOCATION") and e.start <= at and at + len(value) <= e.end
            for e in found
        ), (value, found)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # Polish names in their case; names no list holds, after a salutation, a form
        # label or a verb only a person does, or signing a letter.
        ("Rozmawialiśmy z Bogumiłą Wrzosek w sprawie raty.", "Bogumiłą Wrzosek"),
        ("Czy umowa Jacka Mrozka jest podpisana?", "Jacka Mrozka"),
        ("Estimado Casimiro Olazábal: le escribimos de nuevo.", "Casimiro Olazábal"),
        ("Geachte Tjeerd Wiersma, hierbij de stukken.", "Tjeerd Wiersma"),
        ("Code postal : 48000 ; Nom : Hervé Castagnet", "Hervé Castagnet"),
        ("Fuensanta Olazábal vive sola desde marzo.", "Fuensanta Olazábal"),
        ("Eudes Kerouac a été hospitalisé hier.", "Eudes Kerouac"),
        ("Nikt mi nie odpowiedział od miesiąca. Zdzisław Wrzosek", "Zdzisław Wrzosek"),
        ("El señor Urrutia, con domicilio en Zamora, solicita una cita.", "Urrutia"),
    ],
)
def test_names_in_their_case_and_names_no_list_holds(detector, text: str, name: str) -> None:
    assert name in _found(detector, text, "healthcare").get("PERSON", []), text


@pytest.mark.parametrize(
    "text",
    [
        "Wniosek nr 07281773763 został odrzucony z powodu błędnej sumy kontrolnej.",
        "The transfer to account gb64ksye52872413303651 could not be completed.",
        "Der Umzug des Archivs ist erledigt, wir melden uns bei Ihnen.",
        "Het hoofdkantoor is in 2021 naar Sint Pancras verhuisd.",
        "Oddział banku we Wrocławiu będzie nieczynny w sobotę.",
    ],
)
def test_pronouns_references_and_offices_stay_clear(detector, text: str) -> None:
    # The first two failed on the round-4 code; the others guard the new rules' precision.
    assert _found(detector, text, "healthcare") == {}, text


# Round 6 (tuned on dev5 and dev-dev4; RESULTS section 6, "Holdout 3 and round 6"). Every
# sentence below is our own; each of the first three tests' cases failed on the round-5 code.
@pytest.mark.parametrize(
    ("text", "name"),
    [
        # Lower case after a title: particles, then a surname no list needs to hold.
        ("has mrs fairweather sent the signed form yet?", "fairweather"),
        ("hat frau van der laan schon bezahlt?", "van der laan"),
        ("ha telefonato il sig. lo bianco per la pratica.", "lo bianco"),
        ("czy pani wiśniewska dzwoniła w sprawie raty?", "wiśniewska"),
        # Lower case between calling and a call-back, or before where they live.
        ("could you phone tobias hennessy back after lunch?", "tobias hennessy"),
        ("proszę oddzwonić, dzwonił bogumił szczygieł, numer 601 234 567", "bogumił szczygieł"),
        ("ghislaine poulard, domiciliée à Vierzon, demande un échéancier.", "ghislaine poulard"),
        # A surname alone after a form's label, calling someone, or before a verb of
        # residence; particles inside names ("van 't", "op den", "d'", "de los").
        ("Surname: MacFadyen / Date of birth: 3 May 1961", "MacFadyen"),
        ("Can you ring Quarshie on 0161 496 0123 today?", "Quarshie"),
        ("Okonjo wohnt seit Mai in Gelsenkirchen.", "Okonjo"),
        ("Patiënt Koen van 't Riet, inwoner van Zierikzee, komt op controle.", "Koen van 't Riet"),
        ("Herr op den Brink aus Lingen hat angerufen.", "op den Brink"),
        ("Le patient Aurélien d'Harcourt réside à Vierzon.", "Aurélien d'Harcourt"),
        ("La señora de los Santos, natural de Úbeda, vive ahora en Linares.", "de los Santos"),
        # Names in no list before a verb of birth, or after someone's file.
        ("Iñaki Etxeberria nació en Tolosa y vive en Bilbao.", "Iñaki Etxeberria"),
        ("Het dossier van Sietske Hoekstra is onvolledig.", "Sietske Hoekstra"),
        # Greetings and closings with a comma; a Polish name in its case in a sentence with
        # no Polish function word (told by its letters); "Mijnheer" as a title.
        ("Hi Bronwen, the letter is ready.", "Bronwen"),
        ("Z poważaniem, Wieńczysław Ząbek", "Wieńczysław Ząbek"),
        ("Przekazaliśmy dokumenty Zbigniewowi Pawlakowi.", "Zbigniewowi Pawlakowi"),
        ("Mijnheer Vander Elst woont in Halle.", "Vander Elst"),
        ("the patient, john mcallister, was seen today.", "john mcallister"),
        ("anna kowalczyk rang this morning about her card.", "anna kowalczyk"),
        # Two capitalised words inside a sentence of a language that writes nouns in
        # lower case, after no preposition of place: a name in no list.
        ("Ik heb Wiebren Oostdijk vorige week nog gesproken.", "Wiebren Oostdijk"),
    ],
)
def test_lower_case_particle_and_lone_names(detector, text: str, name: str) -> None:
    assert name in _found(detector, text, "healthcare").get("PERSON", []), text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # Chat-style messages (the first letter in lower case): a word rare in the
        # sentence's language and in the name lists or in no language's word list, where
        # a person stands: before a person's verb at the start of a clause, after a
        # preposition that takes a person, before "still" after a question's first word.
        ("quick question, tregarthen said the van is booked for friday", "tregarthen"),
        ("has anyone got a number for wenna trevithick? she left a voicemail", "wenna trevithick"),
        ("any news from rhiannon pugsley about the damp survey?", "rhiannon pugsley"),
        ("ok so dunleavy wants the invoice resent", "dunleavy"),
        ("kurze frage, kowalczyk möchte den termin verschieben", "kowalczyk"),
        ("ci sono novità da graziella pignatelli sul preventivo?", "graziella pignatelli"),
        ("¿alguien sabe algo de iñigo zubizarreta?", "iñigo zubizarreta"),
        ("quelqu'un a des nouvelles de maëlle quéméner ?", "maëlle quéméner"),
        ("is fitzsimmons still covering the late shift?", "fitzsimmons"),
        ("kavanagh's keys are on my desk", "kavanagh"),
        # Two such words opening a clause, then where the person is from.
        ("tjitske wijnbergen uit Dokkum vraagt een nieuwe pas aan.", "tjitske wijnbergen"),
        # A Polish first name in its case (by its nominative) and a surname by its ending.
        ("czy rozmawiałeś z haliną zawadzką o umowie?", "haliną zawadzką"),
        ("czy ktoś widział zofię wiśniewską dzisiaj?", "zofię wiśniewską"),
    ],
)
def test_names_typed_in_lower_case_in_chat_messages(detector, text: str, name: str) -> None:
    assert name in _found(detector, text, "healthcare").get("PERSON", []), text


@pytest.mark.parametrize(
    "text",
    [
        # Ordinary words that are also names ("bill", "grace", "may", "mark", "hope",
        # "rose"), tools no word list holds, and things that "want" something.
        "is docker still running on the build box?",
        "sorry, the laptop wants an update before monday",
        "can someone restart nginx before the demo?",
        "did bill say the rota is final?",
        "will grace periods apply to the may invoices?",
        "did anyone hear back from the plumber about the boiler?",
        "can i mark the rota as final?",
        "kurze frage, der drucker will wieder toner",
        "any news from facilities about the damp survey?",
        "is hope still the password hint on the kiosk?",
        "did anyone hear back from payroll about the overtime?",
        "the may rota wants a second look before friday",
        "qualcuno ha notizie dal fornitore per la caldaia?",
        "czy mogę zapłacić kartą miejską w stołówce?",
        "sorry, kubectl logs from Grafana look odd",
        # Medicines by their INN stems, and what things "need" or are "said to" do.
        "atorvastatin needs to be taken at night",
        "sorry, apixaban needs a review before the op",
        "omeprazole said to be out of stock again",
        "ok, clopidogrel wants stopping a week before surgery?",
        "ibuprofen said to interact with warfarin?",
    ],
)
def test_lower_case_chat_questions_without_a_name_stay_clear(detector, text: str) -> None:
    assert "PERSON" not in _found(detector, text, "healthcare"), text


def test_a_name_before_and_i_counts_at_the_default_threshold(detector) -> None:
    # The English model alone gave 0.55 (below the default policy's 0.6).
    text = "Thandiwe Mokoena and I both grew up in Stellenbosch."
    assert _found(detector, text).get("PERSON") == ["Thandiwe Mokoena"]


@pytest.mark.parametrize(
    ("text", "places"),
    [
        ("La signora Esposito è ospite da sua cugina a Sapri.", ["Sapri"]),
        ("Przeprowadziłam się z Opola do Rzeszowa. Halina Broda", ["Opola", "Rzeszowa"]),
        ("Pacjentka Ewa Lis, mieszkanka Siedlec, przyszła sama.", ["Siedlec"]),
        ("Syn pacjenta przyjechał z Ciechanowa.", ["Ciechanowa"]),
        (
            "Wiebke Harms, gebürtig aus Leer, lebt jetzt bei ihrer Tochter in Emden.",
            ["Leer", "Emden"],
        ),
        ("Nom : Yann Quéméner — Commune de résidence : Paimpol", ["Paimpol"]),
        ("Payee Lorcan Twomey, account closed, from Clonmel", ["Clonmel"]),
        ("Herr op den Brink aus Lingen hat angerufen.", ["Lingen"]),
        ("La señora de los Santos, natural de Úbeda, vive ahora en Linares.", ["Úbeda", "Linares"]),
        ("Our customer Ivo Brandt has just bought a house in Rheine.", ["Rheine"]),
        ("Die Patientin verbringt den Winter bei ihrem Sohn in Passau.", ["Passau"]),
        ("Pan Sadowski mieszka w okolicach Radomia.", ["Radomia"]),
        ("Pani Górska przeniosła się z Włocławka do Torunia.", ["Włocławka", "Torunia"]),
        ("Jan Mazur, zam. Piła, ul. Długa 4", ["Piła"]),
        ("La señora Cano es de Cáceres.", ["Cáceres"]),
    ],
)
def test_places_after_more_phrasings_and_inflected_polish_moves(
    detector, text: str, places: list[str]
) -> None:
    assert _found(detector, text, "healthcare").get("LOCATION", []) == places, text


def test_a_phone_extension_after_a_dash_stays_with_its_number(detector) -> None:
    text = "Gestern hat Frau Albers angerufen, sie ist unter +49 1512 3456789-214 erreichbar."
    assert _found(detector, text)["PHONE_NUMBER"] == ["+49 1512 3456789-214"]


@pytest.mark.parametrize(
    "text",
    [
        # Failed on the round-5 code: a product named like a person after an article, the
        # tail of an IBAN with a wrong check digit read as a phone number, a case number's
        # digits read as a BSN, a sentence after "Domicilio:" read as a street, a Polish
        # word that is a Slovenian first name ("Rok": year).
        "La Stella del Mare è la nostra nuova polizza auto.",
        "Der Einzug von DE12-3456-0972-1444-6234-20 ist fehlgeschlagen.",
        "Vorgang 41 068 251 472 ist abgeschlossen.",
        "Domicilio: la consegna avviene entro 3 giorni lavorativi dalla conferma dell'ordine, "
        "salvo festivi.",
        "Rozliczenie za Rok Obrotowy 2025 zostało zatwierdzone.",
        # Guards of the new rules' precision: an office's town, a job title after a title in
        # lower case, a firm that moves or speaks, a product "is the name of".
        "La oficina de Villanueva de la Serena cierra en agosto.",
        "Il signor sindaco ha firmato il decreto.",
        "Acme Logistics moved to a larger warehouse in Tilburg.",
        "Deutsche Bahn sagt, der Zug fällt aus.",
        "Zorya Lisowa to nazwa naszego nowego konta oszczędnościowego.",
        "could you call the bank back tomorrow?",
        "Ask HR to confirm the new holiday allowance.",
        "czy pani domu jest obecna?",
        "pan młody przyjechał spóźniony.",
        "is dr appointment booking open today?",
        "Met vriendelijke groet, Gemeente Utrecht",
        "Z poważaniem, Zarząd Spółki",
        "Crédit Agricole Alpes Provence ferme son agence le lundi.",
        "Banco Santander Central cierra hoy.",
    ],
)
def test_products_offices_job_titles_and_iban_tails_stay_clear(detector, text: str) -> None:
    assert _found(detector, text, "healthcare") == {}, text


# Ordinary technical text left alone (session 11): false positives found on manual pages
# and the standard library's docstrings (bench/pii_negatives_dev.py), by kind; each test
# failed on round 6. The real names the same text holds (authors, copyright holders) stay
# detected. Healthcare policy (every type on).


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # An option letter is no French title "M." before a name.
        ("To search NewOS's manual page names, use the option -m NewOS.", "PERSON"),
        ("-M Pfad, --manpath=Pfad Legt mehrere durch Doppelpunkte getrennte Pfade fest.", "PERSON"),
        ("-m Modus chmod die Protokolldatei nach Modus, impliziert -t.", "PERSON"),
        ("Per cercare le pagine di NewOS, usare l'opzione -m NewOS.", "PERSON"),
        ("Run the report with -m Kestrel and then with --mr Kestrel.", "PERSON"),
        ("Windows takes /M Harwood where Unix takes -M Harwood.", "PERSON"),
        # Words in capitals are constants, modes or shouting.
        ("Mailbox status changes from READ-WRITE to READ-ONLY raise the exception.", "PERSON"),
        ("THE SOFTWARE IS PROVIDED WITH NO OBLIGATION TO PROVIDE MAINTENANCE.", "PERSON"),
        ("The flag changes from WRITE-ONCE to READ-MOSTLY after the first backup.", "PERSON"),
        # Month and weekday abbreviations are a date, not a name.
        ("Convert a time tuple to a string, e.g. 'Sat Jun 06 16:26:11 1998'.", "PERSON"),
        ("Valid months: Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec.", "PERSON"),
        # Words joined by code are no name.
        (r"il prompt può essere espresso come \ Pagina\ di\ Manuale\ \$MAN_PN\ ?ltriga", "PERSON"),
        ("Names to ignore default to DEFAULT_IGNORES and to hide to DEFAULT_HIDDEN.", "PERSON"),
        # An acronym after a residence verb is no town.
        ("Open a connection to a database that resides in RAM instead of on disk.", "LOCATION"),
        # Documentation, loopback, unspecified addresses and netmasks are no host's address.
        (
            "Attributes: [examples for IPv4Network('192.0.2.0/27')] .netmask: "
            "IPv4Address('255.255.255.224') .hostmask: IPv4Address('0.0.0.31')",
            "IP_ADDRESS",
        ),
        ("If the name was empty, '0.0.0.0' or '::', the host name is returned.", "IP_ADDRESS"),
        (
            "The example network 2001:db8::1000/124 has the netmask "
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0.",
            "IP_ADDRESS",
        ),
        ("Bind to 127.0.0.1 and test with 198.51.100.7 and 203.0.113.25.", "IP_ADDRESS"),
    ],
)
def test_technical_text_holds_no_personal_data(detector, text: str, kind: str) -> None:
    assert kind not in _found(detector, text, "healthcare"), text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Copyright (C) 2001-2019 Vinay Sajip. All Rights Reserved.", "Vinay Sajip"),
        ("Copyright (c) 1999-2003 Steve Purcell", "Steve Purcell"),
        ("Uniform Resource Identifiers, by T. Berners-Lee and R. Fielding.", "R. Fielding"),
        ("Jan Kowalski dzwonił wczoraj w sprawie umowy.", "Jan Kowalski"),
        # Titles still count after a space, a bracket or "Dr.-Ing.".
        ("Bitte wenden Sie sich an Dr.-Ing. Kestrel-Obuya.", "Kestrel-Obuya"),
        ("Le dossier de M. Gwenaël Quéméner est complet.", "Gwenaël Quéméner"),
        # A name in capitals after a form's label or a title.
        ("Surname: SMITH", "SMITH"),
        ("Mrs OLLERENSHAW rang about the letter.", "OLLERENSHAW"),
    ],
)
def test_real_names_in_the_same_text_stay_detected(detector, text: str, name: str) -> None:
    assert any(name in v for v in _found(detector, text, "healthcare").get("PERSON", [])), text


def test_a_town_in_capitals_after_a_residence_verb_is_still_a_place(detector) -> None:
    found = _found(detector, "Mrs Ollerenshaw lives in HARWELL with her son.", "healthcare")
    assert "HARWELL" in found.get("LOCATION", []), found


def test_a_host_address_is_still_an_ip_address(detector) -> None:
    text = "Her laptop connected from 81.2.69.160 and from 2a00:1450:4001:81c::200e."
    found = _found(detector, text, "healthcare")
    assert found.get("IP_ADDRESS") == ["81.2.69.160", "2a00:1450:4001:81c::200e"], found


def test_a_four_letter_town_in_capitals_is_still_a_place(detector) -> None:
    assert "LYON" in _found(detector, "Mrs Jones lives in LYON now.", "healthcare").get(
        "LOCATION", []
    )


# Ordinary prose nobody on the team wrote (bench/pii_negatives_prose.py, session 12):
# each kind of false positive found there, in sentences of our own.
@pytest.mark.parametrize(
    ("text", "kind"),
    [
        # An article opens the title of a firm or a band, not a name.
        ("The source was released by The Santa Cruz Operation under a BSD licence.", "PERSON"),
        ("The recording was published by The Rolling Stones in 1965.", "PERSON"),
        # A title, an article and an office.
        ("Monsieur le Maire a signé l'arrêté hier soir.", "PERSON"),
        # A US ZIP+4 postcode after a state's code.
        (
            "Write to the Foundation at 51 Franklin Street, Boston, MA 02110-1301, USA.",
            "PHONE_NUMBER",
        ),
        # A lower-case title before an ordinary word: a folder, a merge request.
        ("The ms folder has been removed from the tarball.", "PERSON"),
        ("Please add a new commit into the MR instead.", "PERSON"),
        # A code identifier after "in".
        ("The old code lived in ColumnLayoutHelper.", "LOCATION"),
    ],
)
def test_ordinary_prose_holds_no_personal_data(detector, text: str, kind: str) -> None:
    assert kind not in _found(detector, text, "healthcare"), text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # English words that are a name: a known first name and one more word, a known
        # surname, a title.
        ("Graham Swallow reported the bug on Tuesday.", "Graham Swallow"),
        ("I spoke to Grace Baker yesterday about the referral.", "Grace Baker"),
        ("Please send the results to Rich Burridge.", "Rich Burridge"),
        ("Monsieur Le Maire a répondu à notre courrier.", "Le Maire"),
        ("The patient Anna Smith moved to Leeds.", "Anna Smith"),
    ],
)
def test_names_made_of_english_words_stay_detected(detector, text: str, name: str) -> None:
    assert name in _found(detector, text, "healthcare").get("PERSON", []), text


def test_a_name_before_its_mailbox_is_a_name(detector) -> None:
    # A changelog's, a mail header's or a commit's signature line.
    text = (
        "* Fix the build.\n-- Wenonah Prydderch <wp@example.org>  Mon, 01 Jun 2020 10:00:00 +0200"
    )
    assert _found(detector, text, "healthcare").get("PERSON") == ["Wenonah Prydderch"]


# Round 7 (tuned on dev6a, bench/pii_dev6.py; RESULTS section 6, "Round 7"). Every sentence
# below is our own, and every case failed on the round-6 code.
@pytest.mark.parametrize(
    ("text", "places"),
    [
        # A preposition of place in a sentence that names a person: where they come from,
        # work, stay, or the hospital they came from.
        ("Yesterday Orla Dunphy cycled in from Kilrush to collect her prescription.", ["Kilrush"]),
        ("Herr Brüggemann pendelt jeden Tag aus Nordenham zur Arbeit.", ["Nordenham"]),
        ("Stamattina Corrado Pellizzari è arrivato in treno da Spoleto.", ["Spoleto"]),
        ("Jozef Brands werkt drie dagen per week in de buurt van Hardenberg.", ["Hardenberg"]),
        ("Frau Ilgner kam gestern aus dem Krankenhaus in Wittlich zu uns.", ["Wittlich"]),
        ("M. Tanguy nous arrive de l'hôpital de Carhaix.", ["Carhaix"]),
        ("Pan Zieliński pracuje od lat niedaleko Starogardu.", ["Starogardu"]),
        # The subject a person's noun, without a name.
        ("La paciente trabaja por las tardes cerca de Tordesillas.", ["Tordesillas"]),
        # A pronoun or kin in the next sentence of a text that names the person.
        ("I have written to Margaret Pryce again. She works part-time in Tregaron.", ["Tregaron"]),
        ("Abbiamo parlato con Ilaria Bressan. Sta dalla sorella a Feltre per ora.", ["Feltre"]),
    ],
)
def test_places_after_a_preposition_in_a_sentence_about_a_person(
    detector, text: str, places: list[str]
) -> None:
    found = _found(detector, text, "healthcare").get("LOCATION", [])
    assert all(p in found for p in places), (text, found)


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # The next item of a list of names; particles "vom" and "von dem".
        ("Aanwezig: Joke Haverkamp, Ria Smeets en Fokje de Boer.", "Fokje de Boer"),
        ("Anwesend: Jens Lührmann, Birte Ahlers und Carola vom Hofe.", "Carola vom Hofe"),
        # Lower-case names on an e-mail's recipients line.
        ("cc: hedwig lamprecht, ortwin kessel", "ortwin kessel"),
        ("do wiadomości: bożena ćwik", "bożena ćwik"),
        # A signature on its own line, a phone number under it.
        ("Best wishes,\nEsyllt Cadwaladr\n07700 900123", "Esyllt Cadwaladr"),
        # Thanking someone by name (the name ends at "!").
        ("Thanks, Oyelaran Babatunde! I will post the form today.", "Oyelaran Babatunde"),
        ("Danke, Ayumi Kiriyama! Die Unterlagen sind angekommen.", "Ayumi Kiriyama"),
        # A surname the lists hold after a first name none holds.
        ("Teodozja Nowak dojeżdża codziennie do pracy.", "Teodozja Nowak"),
    ],
)
def test_names_in_lists_signatures_thanks_and_recipients(detector, text: str, name: str) -> None:
    assert name in _found(detector, text, "healthcare").get("PERSON", []), text


@pytest.mark.parametrize(
    ("text", "places"),
    [
        # Round 8: towns the gazetteer knows, with no trigger phrase or preposition of place
        # the rules hold before them, in a sentence about a person.
        ("Gerald Finch now commutes daily between Kettering and Corby.", ["Kettering", "Corby"]),
        ("Mrs Ortega spent the summer visiting relatives, mostly around Ourense.", ["Ourense"]),
        ("Frau Brandt pendelt jeden Tag zwischen Nordhorn und Lingen.", ["Nordhorn", "Lingen"]),
        (
            "Meneer Kuipers rijdt elke dag heen en weer tussen Zwolle en Hattem.",
            ["Zwolle", "Hattem"],
        ),
        (
            "Signora Bellini ha passato l'estate con la nipote, tra Chiavari e Rapallo.",
            ["Chiavari"],
        ),
        ("La señora Prieto pasa los inviernos entre Astorga y Ponferrada.", ["Astorga"]),
        ("Elle partage son temps entre Guéret et Aubusson.", ["Guéret", "Aubusson"]),
        # A Polish town in its case, found through its nominative (Kutno).
        ("Pan Nowicki od lat kursuje między Kutnem a Łęczycą.", ["Kutnem", "Łęczycą"]),
    ],
)
def test_towns_the_gazetteer_knows_in_a_sentence_about_a_person(
    detector, text: str, places: list[str]
) -> None:
    found = _found(detector, text, "healthcare").get("LOCATION", [])
    assert all(p in found for p in places), (text, found)


@pytest.mark.parametrize(
    "text",
    [
        # A town as an organisation's seat, a street, a team, a car, a council.
        "Anna Schmidt works at our Zwolle branch.",
        "Dr Patel called from the Reading office about the invoice.",
        "Mrs Hale drives a Seat Leon and parks it near the station.",
        "Mr Dunmore lives on Kettering Road with his dog.",
        "Tom Baker supports Leeds United every weekend.",
        # Towns that are common words or first names, with no preposition of place.
        "Tom Baker said it was Nice to see the figures improve.",
        "Karen Wells will send the minutes to our Bath office.",
        "Hope you are well, Mrs Abbott; Mark the form as read.",
    ],
)
def test_towns_the_gazetteer_knows_as_a_thing_or_a_word_are_no_place(detector, text: str) -> None:
    assert "LOCATION" not in _found(detector, text, "healthcare"), text


def test_polish_towns_in_their_cases_map_to_a_nominative() -> None:
    from appliance.privacy import gazetteer

    assert "Kraków" in gazetteer.polish_nominatives("Krakowie")
    assert "Nowy Targ" in gazetteer.polish_nominatives("Nowego Targu")
    assert "Łódź" in gazetteer.polish_nominatives("Łodzi")
    assert gazetteer.polish_nominatives("Kowalskiego") == []
    assert gazetteer.is_town("München") and gazetteer.is_town("Den Haag")


@pytest.mark.parametrize(
    "text",
    [
        # Pronouns of one language that are other words in another: Spanish "he" (I have),
        # Dutch "zij" (they), Italian "Lei" (the polite you), German "He," (hey).
        "He llamado a Toledo esta mañana para confirmar el envío.",
        "Zij zijn gevestigd in Zwolle en hebben een kantoor in Hattem.",
        "Lei può ritirare il modulo presso lo sportello di Bra.",
        "Der Antrag? He, der liegt in Lingen beim Amt.",
    ],
)
def test_a_town_after_another_languages_pronoun_is_no_persons_place(detector, text) -> None:
    assert "LOCATION" not in _found(detector, text, "healthcare"), text


def test_a_long_hyphenated_run_is_not_expanded_into_every_polish_case() -> None:
    # Each part's Polish case forms were combined with every other part's: ten parts took
    # 48 s and eleven ran out of memory. Polish towns have at most four parts in all.
    from appliance.privacy.gazetteer import polish_nominatives

    run = "-".join(["Kędzierzynie"] * 11)
    assert polish_nominatives(run) == []
    assert polish_nominatives("Bielsku-Białej") == ["Bielsko-Biała"]


def test_a_long_hyphenated_run_in_a_sentence_about_a_person_is_read(detector) -> None:
    text = "She is on the Annie-Rosie-Elsie-Katie-Lottie-Maggie-Millie-Sophie-Julie-Marie rota."
    assert "LOCATION" not in _found(detector, text, "healthcare")


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # Round 9 (dev7): a lone capitalised surname the census lists hold and no language
        # uses as a word; a surname after a neighbour; a lower-case first name and
        # surname in a capitalised sentence, with no cue before them.
        ("The spare keys were handed to Pettigrew after the night shift.", "Pettigrew"),
        ("Brenneman called back this morning about the transfer.", "Brenneman"),
        ("Kun je Brenneman vragen of het contract getekend is?", "Brenneman"),
        ("Notre voisin Lachance a signé le bail hier.", "Lachance"),
        ("Tomorrow I'll ring gwendolyn ashcroft about the lease.", "gwendolyn ashcroft"),
        ("Domani chiamo stefania scarpelli per il contratto.", "stefania scarpelli"),
        # A German genitive before the noun it owns (the run of nouns after it is no name).
        ("Ist Brennemans Konto gekündigt oder nur gesperrt?", "Brennemans"),
    ],
)
def test_lone_census_surnames_neighbours_and_lower_case_pairs(
    detector, text: str, name: str
) -> None:
    assert name in _found(detector, text, "healthcare").get("PERSON", []), text


@pytest.mark.parametrize(
    "text",
    [
        # Programs' names that are census surnames: near a command's option, or written
        # in lower case elsewhere in the text.
        "-T, --troff-device Diese Option lässt Groff die Ausgabe für Troff formatieren.",
        "groff formats the page, and Groff reads it from standard input.",
        # A genitive of a word, not of a name.
        "Des Kochs Rezept ist gut.",
    ],
)
def test_programs_named_like_surnames_stay_clear(detector, text: str) -> None:
    assert "PERSON" not in _found(detector, text, "healthcare"), text


@pytest.mark.parametrize(
    "text",
    [
        # Eponyms of medicine, statistics and computing (round 9's break test): a name
        # beside a head word ("lymphoma", "score", "phénomène de", "Zespół") is no person.
        "Hodgkin lymphoma is in remission after the second cycle.",
        "The Apgar score was nine at five minutes.",
        "Le phénomène de Raynaud s'aggrave en hiver.",
        "Zespół Raynauda nasila się zimą.",
        "Morbus Hodgkin wurde ausgeschlossen.",
        "Hodgkins Lymphom ist gut behandelbar.",
        "We compress the archive with Huffman coding before upload.",
        # A surname the census holds used as an attribute in English.
        "Gradle builds are cached on the runner.",
    ],
)
def test_eponyms_and_attributes_are_not_people(detector, text: str) -> None:
    assert "PERSON" not in _found(detector, text, "healthcare"), text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # Titles and sick notes that share a stem with an eponym's head word.
        ("La signora Brenneman è stata trasferita venerdì.", "Brenneman"),
        ("Did Quackenbush send the scan?", "Quackenbush"),
    ],
)
def test_names_beside_words_like_eponym_heads_stay_names(detector, text: str, name: str) -> None:
    assert name in _found(detector, text, "healthcare").get("PERSON", []), text


def test_a_lower_case_check_reads_a_long_text_once() -> None:
    # Each name asked whether the text also wrote it in lower case read the whole text
    # again: a 130 KB roster of 10,000 surnames took 97 s (round 9's break test).
    from appliance.privacy.names import _lower_tokens, written_in_lower_case

    text = "\n".join(["to Brenneman"] * 2000) + "\ngroff and troff-device"
    _lower_tokens.cache_clear()
    assert not written_in_lower_case("Brenneman", text)
    assert written_in_lower_case("Groff", text)
    assert not written_in_lower_case("Troff", text)  # a part of "troff-device" only
    assert written_in_lower_case("O'Neil", "o'neil and O'Neil")
    assert _lower_tokens.cache_info().misses == 1  # read once for the three questions


@pytest.mark.parametrize(
    ("text", "names"),
    [
        # Round 10: two people named side by side in a chat message, one of them in the
        # lists ("and" in the seven languages).
        (
            "met pemberton and okeke after lunch, both happy with the plan",
            ["pemberton", "okeke"],
        ),
        ("gisteren visser en jansma gebeld, ze komen maandag", ["visser", "jansma"]),
        # A Polish woman's surname in its case, listed by the man's form ("nowicki").
        ("Proszę zadzwonić do jadwigi nowickiej przed piątkiem.", ["jadwigi nowickiej"]),
        # A first name common in its language ("anna" pl 4.6) before a listed surname.
        ("ok więc anna kaczmarek bierze nocną zmianę", ["anna kaczmarek"]),
        # What only a person has after a possessive (kin, a birth date, a sick note).
        ("I've attached Ama Quartey's sick note.", ["Ama Quartey"]),
        ("Ama Boateng-Ofori's daughter rang about the rent.", ["Ama Boateng-Ofori"]),
        # An official after a town's noun is still a person.
        ("Wójt gminy Jan Kowalski podpisał decyzję.", ["Jan Kowalski"]),
        # A name written with accents that the census lists without them ("chavez").
        (
            "¿alguien puede pedirle a rosendo chávez que me llame antes de las seis?",
            ["rosendo chávez"],
        ),
        # One word in no list after a neighbour or a colleague, or asked in a question.
        ("Ma voisine, Lefebvre, a encore laissé son chien dehors.", ["Lefebvre"]),
        ("Mijn collega Brinkmann is tot vrijdag ziek.", ["Brinkmann"]),
        ("potresti chiedere a Mastrangelo se ha firmato?", ["Mastrangelo"]),
        ("kun je Timmermans vragen wanneer ze terug is?", ["Timmermans"]),
    ],
)
def test_names_side_by_side_in_case_and_before_what_a_person_has(
    detector, text: str, names: list[str]
) -> None:
    found = _found(detector, text, "healthcare").get("PERSON", [])
    assert all(n in found for n in names), (text, found)


@pytest.mark.parametrize(
    "text",
    [
        # Two birds that are surnames too, opening the sentence with no person's verb.
        "sikorka i wróbel siedziały na parapecie przez cały ranek",
        "salt and pepper are on the second shelf, next to the rice",
        # A town's genitive after a town's noun ("Olecka" would map to "olecki").
        "Wniosek złożono w Urzędzie Miasta Olecka w piątek.",
        # A firm's possessive; an item of a list made of words.
        "Apple's phone number is on the website.",
        "Present: Bilal Hussain and Human Resources.",
        # A common noun asked or after a colleague is no name ("Arzt" de 4.4); nor a
        # service asked or called, nor a nationality after a neighbour (round 10's break
        # test).
        "Sie können Ihren Arzt fragen, ob das Medikament passt.",
        "Our colleague Support will reply by Monday.",
        "Bitte sofort Notarzt anrufen, wenn es schlimmer wird.",
        "kun je Ziggo bellen over de storing?",
        "potresti chiedere a Trenitalia il rimborso?",
        "Mój sąsiad Ukrainiec pomaga przy remoncie.",
        # Programs and trades side by side; what a firm has after its possessive.
        "can you add docker and jenkins to the build box",
        "visto jenkins e gitlab ieri",
        "with ginger and galangal it tastes better",
        "Mein Kollege Werkstudent kommt montags.",
        "My Neighbor Totoro is on tonight.",
        "Kannst du Alexa fragen, wie das Wetter wird?",
        "Paris's sister city Rome hosted the event.",
        "Philips dochter Signify maakt lampen.",
        # Streets and institutes named after people, after a person in a list.
        "Hans Meier, Konrad-Adenauer-Straße 12, 53113 Bonn",
        "Zugegen: Hans Meier und Robert-Koch-Institut.",
        "honestly i prefer baker and cooper as job titles",
        "Goldman Sachs's pension scheme is generous.",
        "El Paso gets very hot in summer.",
    ],
)
def test_words_side_by_side_and_towns_after_a_towns_noun_stay_clear(detector, text: str) -> None:
    found = _found(detector, text, "healthcare").get("PERSON", [])
    assert found in ([], ["Bilal Hussain"], ["Hans Meier"]), (text, found)


def test_a_detection_overlapping_a_better_one_keeps_what_lies_outside_it(detector) -> None:
    """A town read as a place up to a street, the house number read as an address: the
    number is pseudonymised too, not left in clear after the town."""
    text = "Ik, Yvonne Smit, woonachtig te Zwolle aan de Thorbeckegracht 56, maak bezwaar."
    p = load_policy("healthcare")
    spans = [
        (e.start, e.end)
        for e in detector.analyze(text, p.types_for("ingest"), p.thresholds(), p.allow, p.deny)
    ]
    covered = {i for s, e in spans for i in range(s, e)}
    for value in ("Smit", "Zwolle", "Thorbeckegracht", "56"):
        at = text.index(value)
        assert set(range(at, at + len(value))) <= covered, (value, spans)
    assert all(a[1] <= b[0] for a, b in pairwise(spans)), spans


def test_overlapping_detections_of_two_types_resolve_without_gaps_or_overlaps() -> None:
    from appliance.privacy.detector import _resolve
    from appliance.privacy.entities import Entity

    text = "Anna Berg, Hauptstraße 5, Celle"
    person = Entity("PERSON", 0, 15, 0.6)  # "Anna Berg, Haup": the model's run
    street = Entity("POSTAL_ADDRESS", 11, 24, 0.9)  # "Hauptstraße 5"
    town = Entity("LOCATION", 20, 31, 0.5)  # "ße 5, Celle"
    out = _resolve(text, [town, street, person])
    assert [(e.type, text[e.start : e.end]) for e in out] == [
        ("PERSON", "Anna Berg"),
        ("POSTAL_ADDRESS", "Hauptstraße 5"),
        ("LOCATION", "Celle"),
    ]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Herrn Jonas Pfeiffer, Am Weinberg 12, 97070 Würzburg", "Am Weinberg 12"),
        ("Sie wohnt An der Schleifmühle 3a in Goslar.", "An der Schleifmühle 3a"),
        ("Mevrouw Ilse Verbeek, Achter het Veer 9, 4201 AB Gorinchem", "Achter het Veer 9"),
        ("Kasper Willems, Kerkstraat 22 bus 4, 3000 Leuven", "Kerkstraat 22 bus 4"),
        ("Frau Ines Lorenz, Schubertstraße 8 II, 01307 Dresden", "Schubertstraße 8 II"),
        ("Familie Dekker, Lijnbaansgracht 31-III, Amsterdam", "Lijnbaansgracht 31-III"),
        ("Kamila Wójcik, ul. Długa 15/7, 31-147 Kraków", "ul. Długa 15/7, 31-147 Kraków"),
        ("Pani Ewa Lis, ul. Piotrkowska 104 m. 12, Łódź", "ul. Piotrkowska 104 m. 12, Łódź"),
        ("Sig. Bruno Galli, Via Roma 12, 20121 Milano", "Via Roma 12, 20121 Milano"),
    ],
)
def test_streets_after_a_preposition_and_house_numbers_with_a_floor_box_or_flat(
    detector, text: str, address: str
) -> None:
    found = _found(detector, text, "healthcare").get("POSTAL_ADDRESS", [])
    assert any(address in f for f in found), (text, found)


@pytest.mark.parametrize(
    "text",
    [
        "Im Raum 4 findet die Schulung statt.",
        "Auf Seite 12 steht die Tabelle.",
        "Unter der Rufnummer 1161 erreichen Sie uns.",
        "Am Markt 3 Stände mehr als letztes Jahr.",
        "In de Kamer 3 vergadert het team.",
        "Zur Frage 2: nein.",
        "Im Februar 12.",
        # A noun of no landscape or landmark, with no postcode after it.
        "Zum Vergleich 12, im Vorjahr waren es 9.",
        "Im Durchschnitt 4, im Median 3.",
        "Unter den Teilnehmern 12, davon 4 Frauen.",
        "Am Schluss 2:1 für Bayern.",
        "Aan de Beurt 3.",
        "Bij de Loting 2, daarna 5.",
    ],
)
def test_a_preposition_a_noun_and_a_number_are_no_address(detector, text: str) -> None:
    assert "POSTAL_ADDRESS" not in _found(detector, text, "healthcare"), text


def test_a_question_opening_with_the_verb_of_living_names_a_person_not_a_place(
    detector,
) -> None:
    text = "Wohnt Wiebke Eichhorst noch in Tuttlingen oder ist sie schon weggezogen?"
    found = _found(detector, text, "healthcare")
    assert any("Wiebke Eichhorst" in f for f in found.get("PERSON", [])), found
    assert found.get("LOCATION") == ["Tuttlingen"], found


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Could you check whether pettigrew has signed the consent form?", "pettigrew"),
        ("Could you check whether anna kowalska has signed the form?", "anna kowalska"),
        ("Bitte klären, ob wojciechowski den Antrag eingereicht hat.", "wojciechowski"),
        ("Pouvez-vous vérifier si lemaire a bien reçu le courrier ?", "lemaire"),
        ("Sai se bonaccorsi ha già mandato il modulo?", "bonaccorsi"),
        ("¿Sabes si echeverría ha firmado el contrato?", "echeverría"),
        ("Weet u of hoekstra het formulier heeft ondertekend?", "hoekstra"),
        ("Sprawdź, czy wiśniewski podpisał wniosek.", "wiśniewski"),
    ],
)
def test_a_lower_case_name_after_whether_in_a_capitalised_sentence(
    detector, text: str, name: str
) -> None:
    assert name in _found(detector, text, "healthcare").get("PERSON", []), text


@pytest.mark.parametrize(
    "text",
    [
        # A mass noun, a program, a trade, an animal, the banks' network.
        "Could you check whether frost has damaged the pipes?",
        "Je ne sais pas si docker est installé sur le serveur.",
        "Check whether jenkins has finished the nightly build.",
        "Weet je of visser vandaag nog vis heeft?",
        "Prüf mal, ob fuchs den Hühnerstall aufgebrochen hat.",
        "Die Filiale fragt, ob swift wieder erreichbar ist.",
    ],
)
def test_a_lower_case_word_after_whether_that_is_no_name(detector, text: str) -> None:
    assert "PERSON" not in _found(detector, text, "healthcare"), text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        # Names of Europe's families from Nigeria, the Maghreb, India (Faker's lists for
        # those countries, less the words of the seven languages).
        ("Kannst du nachschauen, ob okonkwo den Antrag unterschrieben hat?", "okonkwo"),
        ("Pouvez-vous vérifier si benali a bien reçu le courrier ?", "benali"),
        ("Sai se adebowale ha già firmato il modulo?", "adebowale"),
    ],
)
def test_names_of_families_from_outside_europe_are_in_the_lists(
    detector, text: str, name: str
) -> None:
    assert name in _found(detector, text, "healthcare").get("PERSON", []), text


@pytest.mark.parametrize(
    "text",
    [
        # Words of the seven languages that those lists hold ("Nur", "Salida", "Bus").
        "Nur die Version 2 ist betroffen.",
        "Estado de Salida: El estado de salida es 0.",
        "We do not recommend allowing untrusted users to access Windows D-Bus via TCP.",
    ],
)
def test_words_that_other_countries_lists_hold_as_names_stay_words(detector, text) -> None:
    assert "PERSON" not in _found(detector, text, "healthcare"), text


def test_a_german_word_with_sharp_s_is_as_common_as_wordfreq_says() -> None:
    """wordfreq's lists hold words case-folded ("weiss"): "weiß" looked up as written was
    read as rare, so "Weiß jemand, ob ..." (does anyone know) was a surname."""
    from appliance.privacy.lexicon import zipf

    assert zipf("weiß", "de") == zipf("weiss", "de") > 5
    assert zipf("Straße", "de") == zipf("strasse", "de") > 4


@pytest.mark.parametrize(
    "text",
    [
        "Weiß jemand, ob der Drucker im zweiten Stock wieder geht?",
        "Lan Switch 3 im Serverraum wird am Dienstag getauscht.",
        "Die Dev-Umgebung ist heute Abend nicht erreichbar.",
    ],
)
def test_a_verb_with_sharp_s_and_short_names_from_far_lists_are_no_names(
    detector, text: str
) -> None:
    assert "PERSON" not in _found(detector, text, "healthcare"), text


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Weiß jemand, ob wojciechowski heute kommt?", "wojciechowski"),
        ("Sag Bescheid, wenn nowicki zurückruft.", "nowicki"),
        ("Check whether el haddad is coming to the meeting.", "el haddad"),
        ("Kun je nagaan of van der meulen getekend heeft?", "van der meulen"),
        ("Not sure whether okafor is on call tonight.", "okafor"),
        ("Ask if pennington can cover the desk on Monday.", "pennington"),
    ],
)
def test_a_lower_case_name_after_whether_before_more_verbs_and_with_particles(
    detector, text: str, name: str
) -> None:
    found = _found(detector, text, "healthcare").get("PERSON", [])
    assert found == [name], (text, found)
