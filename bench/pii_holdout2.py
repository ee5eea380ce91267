# ruff: noqa: E501  (templates are sentences, one a line)
"""A second PII holdout (issue 16, "honest evaluation"), written blind to the detector.

Written without reading the detector's code, its rules or the privacy guide, and
without copying ``pii_corpus.py``'s sentence templates: new phrasings in the style
of letters (L), hospital referrals (R), forms (F), complaints (C), bank and office
e-mails (E) and staff questions (Q), in en, de, fr, it, es, nl and pl.

Values:

* **PERSON**: names typed by hand per language (no Faker lists, which the detector
  reads): rarer surnames, double-barrelled and compound names, particles (van der,
  de la, di, von der), diacritics; possessive (English ``'s``, outside the span),
  lower case, and Polish names inflected for case (the span is the form as written).
* **LOCATION** tied to a person (lives, moved, admitted, born, returned, residence
  fields, "originally from"): real towns and villages typed by hand; Polish towns in
  the case the preposition takes ("w Gdańsku", "z Ełku", "pod Krakowem").
* national identifiers, IBANs and phone numbers from ``pii_corpus``'s generators
  (check digits valid, separator forms people write; IBAN forms cycled so each
  appears), in this file's own sentence frames.
* **negatives**: ordinary business text with amounts, dates, article numbers, an
  organisation's town, and identifiers/IBANs with a wrong check digit in
  reference-number positions.

Record format as ``pii_corpus`` (``{"id", "lang", "split", "genre", "text",
"entities": [{"type", "start", "end", "form"}]}``), split ``holdout2``. PERSON forms:
``full``, ``surname``, ``lower``, ``possessive``, ``inflected`` (Polish cases other
than the nominative), ``particle`` (van der, de la, d', O'...), ``compound``
(hyphenated or two surnames); LOCATION forms ``town`` and ``inflected``.

Frozen on 2026-11-30 before any detector change; the file is never regenerated
(``--force`` only for a new version, recorded in bench/data/README.md).
sha256 of bench/data/pii_holdout2.jsonl: see bench/data/README.md.

    .venv/bin/python bench/pii_holdout2.py [--force]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from faker import Faker  # only for IBAN bodies and codice fiscale values, never names
from pii_corpus import (
    IBAN_FORMS,
    LANGS,
    LOCALE,
    Sample,
    Value,
    gen_iban,
    gen_id,
    gen_nino,
    gen_phone,
    gen_phone_ext,
    gen_ssn,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
HOLDOUT2_FILE = DATA_DIR / "pii_holdout2.jsonl"
SEED = 20261130  # pii_corpus uses 20261129
SPLIT = "holdout2"
PER_TEMPLATE = 3  # sentences from each positive template
PER_NEGATIVE = 3  # from each negative template

# -- names, typed by hand ---------------------------------------------------------------
# (first name, surname); Polish ones carry their case forms below.

MALE: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("Declan", "Featherstonehaugh"), ("Tobias", "Ashworth-Pryce"), ("Ravi", "Chaudhry"),
        ("Hamish", "MacLeod"), ("Owain", "Pritchard"), ("Callum", "O'Driscoll"),
        ("Nathaniel", "Thistlethwaite"), ("Kwame", "Mensah-Bonsu"), ("Rupert", "de la Haye"),
        ("Eamon", "Fitzgerald"), ("Gethin", "ap Rhys"),
    ],
    "de": [
        ("Jörg", "Obermüller"), ("Hans-Dieter", "Schwarzkopf"), ("Friedhelm", "von der Heyde"),
        ("Mehmet", "Yıldırım"), ("Lutz", "Kleinschmidt-Ostermann"), ("Volker", "Haßelbach"),
        ("Till", "zu Eltz"), ("Ansgar", "Pfäffle"), ("Wolf-Rüdiger", "Stöckl"), ("Eckhard", "Grzeschik"),
    ],
    "fr": [
        ("Jean-Baptiste", "Lefebvre"), ("Thibault", "de La Rochefoucauld"), ("Gaëtan", "Quéméner"),
        ("Yannick", "Le Goff"), ("Rachid", "Benhamou"), ("Aurélien", "Dufresne-Caillaux"),
        ("Benoît", "Chassagne"), ("Hervé", "d'Aubigny"), ("Loïc", "Tréguier"), ("Marius", "Pagnoux"),
    ],
    "it": [
        ("Gianluca", "Dell'Acqua"), ("Salvatore", "Lo Giudice"), ("Ottavio", "Brambilla"),
        ("Pierpaolo", "Di Stefano"), ("Corrado", "Scognamiglio"), ("Enzo", "Malaspina"),
        ("Michele", "De Santis"), ("Gianmarco", "Zanetti Rossi"), ("Baldassarre", "Pizzuti"),
        ("Nicolò", "Cuccurullo"),
    ],
    "es": [
        ("José Luis", "Etxeberria"), ("Íñigo", "Zubizarreta Goñi"), ("Fulgencio", "Martínez de la Fuente"),
        ("Aitor", "Urquijo"), ("Jesús", "Cañizares Roldán"), ("Baltasar", "Oyarzábal"),
        ("Rodrigo", "del Castillo Peña"), ("Xosé Manuel", "Outeiriño"), ("Ginés", "Sánchez-Albornoz"),
    ],
    "nl": [
        ("Joost", "van der Wal"), ("Gerrit-Jan", "Hoogeveen"), ("Sjoerd", "Wijnaendts"),
        ("Maarten", "de Vries-Bosma"), ("Pieter", "van den Heuvel"), ("Thijs", "IJsselmuiden"),
        ("Rutger", "ter Horst"), ("Youssef", "El Amrani"), ("Hidde", "Zwartjes"), ("Wouter", "in 't Veld"),
    ],
}  # fmt: skip

FEMALE: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("Siobhan", "Ní Bhriain"), ("Imogen", "Trevelyan"), ("Priya", "Raghunathan"),
        ("Bethan", "Llewellyn-Jones"), ("Marjorie", "Oyelaran"), ("Niamh", "McGillycuddy"),
        ("Harriet", "Vane-Tempest"), ("Eleanor", "St John"), ("Aoife", "Cassidy"), ("Zainab", "Okonkwo"),
    ],
    "de": [
        ("Ingeborg", "Wachtveitl"), ("Annegret", "Dörfler"), ("Sabine", "Müller-Lüdenscheidt"),
        ("Heike", "van Dyck"), ("Gudrun", "Tschirner"), ("Ilse", "Weißenborn"), ("Svenja", "Brüggemann"),
        ("Katarzyna", "Schulte-Nölle"), ("Roswitha", "Eichhorst"), ("Dörte", "von Bülow"),
    ],
    "fr": [
        ("Ségolène", "Marchetti"), ("Maëlle", "Kerhervé"), ("Anne-Sophie", "Delacroix-Moreau"),
        ("Bénédicte", "d'Aubigné"), ("Nadège", "Fourcade"), ("Éloïse", "Vasseur"), ("Solène", "Le Bihan"),
        ("Gwenaëlle", "Poupinel"), ("Marie-Thérèse", "de Saint-Exupéry"), ("Océane", "Bouchareb"),
    ],
    "it": [
        ("Annunziata", "Esposito"), ("Ludovica", "Pellegrini-Orsini"), ("Graziella", "D'Ambrosio"),
        ("Benedetta", "Zanardelli"), ("Carmela", "La Rosa"), ("Ilaria", "Fumagalli"), ("Rosalba", "Caputo"),
        ("Mariagrazia", "Di Lorenzo"), ("Filomena", "Cirillo"), ("Ornella", "Bettinelli"),
    ],
    "es": [
        ("María del Carmen", "Ibáñez Sáez"), ("Nuria", "Quintanilla"), ("Remedios", "Albarracín López"),
        ("Begoña", "Arrizabalaga"), ("Montserrat", "Puigdomènech"), ("Itziar", "Goikoetxea"),
        ("Consuelo", "de la Vega"), ("Macarena", "Figueroa Trujillo"), ("Rocío", "Valdés-Miranda"),
    ],
    "nl": [
        ("Femke", "Oosterhuis"), ("Annemiek", "van 't Hof"), ("Marieke", "Verschuren"),
        ("Ingrid", "Bakker-Schut"), ("Liesbeth", "de Groot"), ("Geertruida", "Vlietstra"),
        ("Saskia", "van Leeuwen"), ("Wietske", "Hylkema"), ("Nienke", "Steenbergen-Kok"),
    ],
}  # fmt: skip

# Polish: nominative, genitive, dative, accusative, instrumental, locative.
CASES = ("nom", "gen", "dat", "acc", "ins", "loc")


def _m(nom: str, gen: str, dat: str, ins: str, loc: str) -> dict[str, str]:
    """Masculine person forms (accusative = genitive)."""
    return dict(zip(CASES, (nom, gen, dat, gen, ins, loc), strict=True))


def _f(nom: str, gen: str, dat: str, acc: str, ins: str) -> dict[str, str]:
    """Feminine person forms (locative = dative)."""
    return dict(zip(CASES, (nom, gen, dat, acc, ins, dat), strict=True))


PL_MALE_FIRST = [
    _m("Grzegorz", "Grzegorza", "Grzegorzowi", "Grzegorzem", "Grzegorzu"),
    _m("Zbigniew", "Zbigniewa", "Zbigniewowi", "Zbigniewem", "Zbigniewie"),
    _m("Wojciech", "Wojciecha", "Wojciechowi", "Wojciechem", "Wojciechu"),
    _m("Jarosław", "Jarosława", "Jarosławowi", "Jarosławem", "Jarosławie"),
    _m("Przemysław", "Przemysława", "Przemysławowi", "Przemysławem", "Przemysławie"),
    _m("Bartłomiej", "Bartłomieja", "Bartłomiejowi", "Bartłomiejem", "Bartłomieju"),
    _m("Kazimierz", "Kazimierza", "Kazimierzowi", "Kazimierzem", "Kazimierzu"),
]
PL_MALE_LAST = [
    _m("Kowalczyk", "Kowalczyka", "Kowalczykowi", "Kowalczykiem", "Kowalczyku"),
    _m("Szczepański", "Szczepańskiego", "Szczepańskiemu", "Szczepańskim", "Szczepańskim"),
    _m("Gołębiowski", "Gołębiowskiego", "Gołębiowskiemu", "Gołębiowskim", "Gołębiowskim"),
    _m("Pietrzak", "Pietrzaka", "Pietrzakowi", "Pietrzakiem", "Pietrzaku"),
    _m("Żmuda", "Żmudy", "Żmudzie", "Żmudą", "Żmudzie"),
    _m("Brzęczyszczykiewicz", "Brzęczyszczykiewicza", "Brzęczyszczykiewiczowi", "Brzęczyszczykiewiczem", "Brzęczyszczykiewiczu"),
    _m("Kaczmarek", "Kaczmarka", "Kaczmarkowi", "Kaczmarkiem", "Kaczmarku"),
    _m("Sobczak-Wilk", "Sobczaka-Wilka", "Sobczakowi-Wilkowi", "Sobczakiem-Wilkiem", "Sobczaku-Wilku"),
    _m("Chmielewski", "Chmielewskiego", "Chmielewskiemu", "Chmielewskim", "Chmielewskim"),
]  # fmt: skip
PL_FEMALE_FIRST = [
    _f("Agnieszka", "Agnieszki", "Agnieszce", "Agnieszkę", "Agnieszką"),
    _f("Małgorzata", "Małgorzaty", "Małgorzacie", "Małgorzatę", "Małgorzatą"),
    _f("Jadwiga", "Jadwigi", "Jadwidze", "Jadwigę", "Jadwigą"),
    _f("Bożena", "Bożeny", "Bożenie", "Bożenę", "Bożeną"),
    _f("Halina", "Haliny", "Halinie", "Halinę", "Haliną"),
    _f("Urszula", "Urszuli", "Urszuli", "Urszulę", "Urszulą"),
    _f("Grażyna", "Grażyny", "Grażynie", "Grażynę", "Grażyną"),
]
PL_FEMALE_LAST = [
    _f("Wiśniewska", "Wiśniewskiej", "Wiśniewskiej", "Wiśniewską", "Wiśniewską"),
    _f("Jabłońska", "Jabłońskiej", "Jabłońskiej", "Jabłońską", "Jabłońską"),
    _f("Grabowska-Nowak", "Grabowskiej-Nowak", "Grabowskiej-Nowak", "Grabowską-Nowak", "Grabowską-Nowak"),
    _f("Krzyżanowska", "Krzyżanowskiej", "Krzyżanowskiej", "Krzyżanowską", "Krzyżanowską"),
    _f("Pietrzak", "Pietrzak", "Pietrzak", "Pietrzak", "Pietrzak"),
    _f("Przybylska", "Przybylskiej", "Przybylskiej", "Przybylską", "Przybylską"),
    _f("Dąbrowska", "Dąbrowskiej", "Dąbrowskiej", "Dąbrowską", "Dąbrowską"),
    _f("Kowalczyk", "Kowalczyk", "Kowalczyk", "Kowalczyk", "Kowalczyk"),
]  # fmt: skip

# -- towns, typed by hand ---------------------------------------------------------------

TOWNS: dict[str, list[str]] = {
    "en": [
        "Much Wenlock", "Ilfracombe", "Llandeilo", "Kirkby Stephen", "Tobermory", "Clitheroe",
        "Bridport", "Dungarvan", "Ashby-de-la-Zouch", "Stornoway", "Lostwithiel", "Ballymena",
        "Whitby", "Pwllheli",
    ],
    "de": [
        "Wuppertal", "Bad Tölz", "Lüdenscheid", "Zwiesel", "Bad Kreuznach", "Quedlinburg", "Meißen",
        "Itzehoe", "Wolfenbüttel", "Idar-Oberstein", "Kempten", "Lörrach", "Husum", "Pirna",
    ],
    "fr": [
        "Paimpol", "Lodève", "Mende", "Digne-les-Bains", "Saint-Jean-de-Luz", "Remiremont",
        "Carhaix-Plouguer", "Lons-le-Saunier", "Montbrison", "Vierzon", "Florac", "Châteaubriant",
        "Bressuire", "Gaillac",
    ],
    "it": [
        "Varallo", "Bobbio", "Tropea", "Pienza", "Cividale del Friuli", "Gubbio", "Fondi", "Camogli",
        "Termoli", "Castelfranco Veneto", "Nuoro", "Bagnoregio", "Lanciano", "Rovereto", "Sciacca",
    ],
    "es": [
        "Ponferrada", "Astorga", "Jaca", "Ronda", "Úbeda", "Tarazona", "Olot", "Betanzos", "Zafra",
        "Medina del Campo", "Llanes", "Alcañiz", "Cangas de Onís", "Requena",
    ],
    "nl": [
        "Zwolle", "Meppel", "Harderwijk", "Sneek", "Dokkum", "Tiel", "Winterswijk", "Hoorn",
        "Zierikzee", "Venray", "Oisterwijk", "Steenwijk", "Hellevoetsluis", "Bergen op Zoom",
    ],
}  # fmt: skip


def _t(nom: str, gen: str, loc: str, ins: str) -> dict[str, str]:
    return {"nom": nom, "gen": gen, "loc": loc, "ins": ins}


PL_TOWNS = [
    _t("Gdańsk", "Gdańska", "Gdańsku", "Gdańskiem"),
    _t("Ełk", "Ełku", "Ełku", "Ełkiem"),
    _t("Wrocław", "Wrocławia", "Wrocławiu", "Wrocławiem"),
    _t("Kraków", "Krakowa", "Krakowie", "Krakowem"),
    _t("Zamość", "Zamościa", "Zamościu", "Zamościem"),
    _t("Sandomierz", "Sandomierza", "Sandomierzu", "Sandomierzem"),
    _t("Łomża", "Łomży", "Łomży", "Łomżą"),
    _t("Białystok", "Białegostoku", "Białymstoku", "Białymstokiem"),
    _t("Nowy Targ", "Nowego Targu", "Nowym Targu", "Nowym Targiem"),
    _t("Kłodzko", "Kłodzka", "Kłodzku", "Kłodzkiem"),
    _t("Suwałki", "Suwałk", "Suwałkach", "Suwałkami"),
    _t("Zakopane", "Zakopanego", "Zakopanem", "Zakopanem"),
    _t("Gniezno", "Gniezna", "Gnieźnie", "Gnieznem"),
    _t("Przemyśl", "Przemyśla", "Przemyślu", "Przemyślem"),
    _t("Bielsko-Biała", "Bielska-Białej", "Bielsku-Białej", "Bielskiem-Białą"),
]
# An organisation's town (negatives: not personal data).
ORG_TOWNS: dict[str, list[str]] = {
    "en": ["Harwell", "Swindon", "Crewe", "Livingston", "Warrington"],
    "de": ["Bielefeld", "Gütersloh", "Ingolstadt", "Walldorf", "Herzogenaurach"],
    "fr": ["Clermont-Ferrand", "Valence", "Niort", "Brest", "Rodez"],
    "it": ["Maranello", "Brescia", "Treviso", "Biella"],
    "es": ["Arteixo", "Zaragoza", "Getafe", "Vitoria"],
    "nl": ["Veldhoven", "Eindhoven", "Apeldoorn", "Zaandam"],
}
PL_ORG_TOWNS = [
    _t("Płock", "Płocka", "Płocku", "Płockiem"),
    _t("Mielec", "Mielca", "Mielcu", "Mielcem"),
    _t("Kielce", "Kielc", "Kielcach", "Kielcami"),
    _t("Poznań", "Poznania", "Poznaniu", "Poznaniem"),
]

# -- templates --------------------------------------------------------------------------
# Slots: {M} {F} {P} a man's / woman's / anyone's full name; {MS} {FS} {PS} the surname
# alone; {PP} full name followed by 's (not in the span); {PL} {ML} full name (a man's)
# in lower case;
# Polish {M:gen} {FS:ins}... the case as written; {T} a town ({T:gen|loc|ins} in Polish,
# {T:w} is "w"/"we" + locative with only the town labelled); {PH} {PHX} a phone, one with
# an extension; {IBAN}; {ID} this language's national identifier, {ANY_ID} any scheme's,
# {NINO} {SSN}. Negatives: {OTOWN} an organisation's town (cases as {T}), {NUM} an order
# or invoice number, {ART} an article number, {BAD_ID} {BAD_IBAN} wrong check digits.
# Genre prefix: L letter, R referral, F form, C complaint, E e-mail, Q question.

TEMPLATES: dict[str, list[str]] = {
    "en": [
        "L|To whom it may concern. I have known {M} for eleven years, first as a neighbour in {T} and later as a colleague. He is reliable, punctual and kind. Should you need anything further, I can be reached on {PH}.",
        "C|this is the 4th email!!! my dad {ML} has been waiting since august for his refund. account is {IBAN}. please just pay it",
        "R|Thank you for seeing this 45-year-old lady, Ms {FS}, who returned to {T} from abroad last year. NINO {NINO}.",
        "L|Dear {F}, further to your letter of 12 October, we have now closed the account and sent the final statement.",
        "R|Re: {M}, DOB 14/02/1951. This gentleman moved to {T} in the spring and has not yet registered with a local practice. Grateful if you would see him.",
        "C|I rang on Tuesday and again today. My husband, {M}, was admitted at {T} on the 3rd and nobody has told us anything since!!",
        "E|Hi all - {F} is covering reception this week, direct line {PHX}.",
        "Q|Where does {PS} live now? Last I heard it was {T}.",
        "F|Surname: {PS}   Town of residence: {T}   NI no.: {NINO}",
        "Q|has {PL} been paid for november?",
        "E|Please refund the deposit to {IBAN} (account holder {M}) by Friday, thanks.",
        "L|{F}, originally from {T}, joined the finance team in 2019 and now works mostly from home.",
        "C|Why does {PP} file show my social security number, {SSN}? I have never met this person.",
        "R|Discharge summary - {M} ({ANY_ID}) returned home to {T} with district nurse follow-up twice weekly.",
        "Q|Could someone check whether {PP} new mobile, {PH}, is on the system?",
        "F|Next of kin: {F} / tel {PH} / relationship: daughter",
        "E|The caller read out {ANY_ID} and would not give a name. Logged it anyway.",
        "L|We confirm that Mrs {FS} was born in {T} on 2 March 1962, as stated on her application.",
        "C|Your bank took 35 pounds from {IBAN} twice this month. Sort it out please. {M}",
        "Q|Is the letter to {M} in {T} going out today or tomorrow?",
        "E|FYI {F} ({SSN}) starts Monday in the Boston office; HR needs her paperwork by Wednesday.",
        "R|Mrs {FS}, 84, lives alone in {T}. Daughter's number: {PH}. Please phone before visiting.",
        "Q|who signed off {PL}'s leave?",
        "F|Applicant {M}; NI number {NINO}; contact {PHX}",
        "C|For the third time: I no longer live in {T}. I moved to {T} in June. Please update my records. {F}",
        "E|Can you ring {MS} back on {PH}? He wants to know why the payment to {IBAN} bounced.",
        "Q|What's the ID we hold for {P} - is it {ANY_ID}?",
        "F|{P}; {ID}; {T}; {PH}",
    ],
    "de": [
        "L|Sehr geehrte Damen und Herren, ich kenne {M} seit elf Jahren, zunächst als Nachbarn in {T}, später als Kollegen. Für Rückfragen erreichen Sie mich unter {PH}.",
        "C|das ist jetzt die vierte mail!!! mein vater {ML} wartet seit august auf seine erstattung, konto {IBAN}. bitte endlich überweisen",
        "R|Vielen Dank für die Übernahme von Frau {FS}, 45 J., die letztes Jahr aus dem Ausland nach {T} zurückgekehrt ist.",
        "L|Sehr geehrte Frau {FS}, vielen Dank für Ihr Schreiben vom 7. Oktober; die Unterlagen liegen uns nun vollständig vor.",
        "R|Überweisung: {M}, 63 J., im Sommer nach {T} gezogen, dort noch ohne Hausarzt. Bitte um kardiologische Mitbeurteilung.",
        "C|Meine Mutter, {F}, wurde am Montag in {T} stationär aufgenommen, und seitdem erreichen wir niemanden!",
        "E|Hallo zusammen, Herr {MS} ist ab heute unter {PHX} erreichbar.",
        "Q|Wohnt {P} eigentlich noch in {T}?",
        "F|Name: {P} | Wohnort: {T} | Steuer-ID: {ID}",
        "Q|hat {PL} den Antrag schon unterschrieben?",
        "E|Bitte die Kaution auf {IBAN} zurücküberweisen (Kontoinhaber: {M}). Danke!",
        "L|{F}, gebürtig aus {T}, leitet seit 2020 unsere Buchhaltung.",
        "C|Wieso steht meine Identifikationsnummer {ID} auf einem Brief, der an {M} adressiert ist?",
        "R|Entlassbericht {F} (Id.-Nr. {ID}): Rückkehr nach {T}, ambulante Pflege ist organisiert.",
        "Q|Ist die neue Handynummer von Frau {FS}, {PH}, schon eingetragen?",
        "F|Notfallkontakt: {M}, Tel. {PH}, Sohn",
        "E|Der Anrufer hat {ANY_ID} durchgegeben, seinen Namen wollte er nicht nennen.",
        "L|Hiermit bestätigen wir, dass Herr {M} zum 1. April von {T} nach {T} umgezogen ist.",
        "C|Sie haben zweimal 49,90 EUR von {IBAN} abgebucht. Ich erwarte die Erstattung bis Monatsende. {F}",
        "Q|Geht der Brief an {M} in {T} heute noch raus?",
        "E|Kurze Info: {F} ist aus {T} zurück und ab Montag wieder im Büro.",
        "R|Frau {FS}, 88 Jahre, lebt allein in {T}. Tochter erreichbar unter {PH}.",
        "Q|wer hat den Urlaub von {PL} genehmigt?",
        "F|Bankverbindung: IBAN {IBAN} / Kontoinhaberin: {F}",
        "L|Ihre Steueridentifikationsnummer lautet {ID}. Bitte geben Sie diese bei Rückfragen an, Herr {MS}.",
        "C|Zum dritten Mal: Ich wohne nicht mehr in {T}, ich bin im Juni nach {T} gezogen. {M}",
        "E|Kannst du Frau {FS} unter {PH} zurückrufen? Die Überweisung auf {IBAN} ist zurückgekommen.",
        "F|{P}; {ID}; {T}; {PH}",
    ],
    "fr": [
        "L|Madame, Monsieur, je connais {M} depuis onze ans, d'abord comme voisin à {T}, puis comme collègue. Je reste joignable au {PH} pour toute question.",
        "C|c'est mon 4e mail !!! mon père {ML} attend son remboursement depuis août, compte {IBAN}, merci de faire le nécessaire",
        "R|Merci de recevoir Mme {FS}, 45 ans, revenue vivre à {T} l'an dernier après plusieurs années à l'étranger.",
        "L|Madame {FS}, nous accusons réception de votre courrier du 7 octobre et vous remercions de votre patience.",
        "R|Cher confrère, je vous adresse {M}, 63 ans, installé à {T} depuis l'été, pour avis cardiologique.",
        "C|Ma mère, {F}, a été hospitalisée à {T} lundi et depuis, personne ne nous répond !",
        "E|Bonjour à tous, M. {MS} est joignable au {PHX} à partir d'aujourd'hui.",
        "Q|Est-ce que {P} habite toujours à {T} ?",
        "F|Nom : {P} - Commune de résidence : {T} - N° de sécurité sociale : {ID}",
        "Q|est-ce que {PL} a renvoyé le formulaire ?",
        "E|Merci de rembourser la caution sur le compte {IBAN} (titulaire : {M}).",
        "L|{F}, originaire de {T}, dirige le service comptable depuis 2020.",
        "C|Pourquoi mon numéro {ID} figure-t-il sur une lettre adressée à {M} ?",
        "R|Compte rendu de sortie : {F} (NIR {ID}), retour à domicile à {T}, passage infirmier deux fois par semaine.",
        "Q|Le nouveau portable de Mme {FS}, le {PH}, est-il bien enregistré ?",
        "F|Personne à prévenir : {M}, tél. {PH} (fils)",
        "E|Le correspondant a donné le numéro {ANY_ID} mais a refusé de dire son nom.",
        "L|Nous confirmons que M. {M} a quitté {T} pour s'installer à {T} le 1er avril.",
        "C|Vous avez prélevé deux fois 49,90 € sur {IBAN}. J'attends le remboursement. {F}",
        "Q|Le courrier pour {M} à {T} part-il aujourd'hui ?",
        "E|Petite info : {F} est rentrée de {T} et reprend lundi.",
        "R|Mme {FS}, 88 ans, vit seule à {T}. Sa fille est joignable au {PH}.",
        "Q|qui a validé les congés de {PL} ?",
        "F|Coordonnées bancaires : {IBAN} / titulaire : {F}",
        "L|Né à {T}, M. {MS} réside aujourd'hui à {T} ; son numéro de sécurité sociale est le {ID}.",
        "C|Pour la troisième fois : je n'habite plus à {T}, j'ai déménagé à {T} en juin. {M}",
        "E|Peux-tu rappeler Mme {FS} au {PH} ? Le virement vers {IBAN} a été rejeté.",
        "F|{P}; {ID}; {T}; {PH}",
    ],
    "it": [
        "L|Spettabile ufficio, conosco {M} da undici anni, prima come vicino di casa a {T} e poi come collega. Resto a disposizione al {PH}.",
        "C|è la quarta mail!!! mio padre {ML} aspetta il rimborso da agosto, conto {IBAN}, per favore pagate",
        "R|Grazie per aver preso in carico la sig.ra {FS}, 45 anni, rientrata a {T} l'anno scorso dopo anni all'estero.",
        "L|Gentile signora {FS}, abbiamo ricevuto la Sua lettera del 7 ottobre e La ringraziamo per la pazienza.",
        "R|Invio in visita {M}, 63 anni, trasferitosi a {T} quest'estate, per valutazione cardiologica.",
        "C|Mia madre, {F}, è stata ricoverata a {T} lunedì e da allora nessuno ci risponde!",
        "E|Ciao a tutti, il sig. {MS} da oggi risponde al {PHX}.",
        "Q|{P} abita ancora a {T}?",
        "F|Nominativo: {P} | Comune di residenza: {T} | C.F.: {ID}",
        "Q|ma {PL} ha già firmato il modulo?",
        "E|Si prega di restituire la cauzione sull'IBAN {IBAN} intestato a {M}.",
        "L|{F}, originaria di {T}, guida l'ufficio contabilità dal 2020.",
        "C|Perché il mio codice fiscale {ID} compare su una lettera indirizzata a {M}?",
        "R|Lettera di dimissione: {F} (CF {ID}), rientrata al domicilio a {T}, assistenza infermieristica attivata.",
        "Q|Il nuovo cellulare della sig.ra {FS}, {PH}, è già in anagrafica?",
        "F|Contatto di emergenza: {M}, tel. {PH} (figlio)",
        "E|Chi ha chiamato ha dettato il numero {ANY_ID} ma non ha voluto dire come si chiama.",
        "L|Confermiamo che il sig. {M} si è trasferito da {T} a {T} il 1° aprile.",
        "C|Mi avete addebitato due volte 49,90 euro su {IBAN}. Attendo il rimborso. {F}",
        "Q|La raccomandata per {M} a {T} parte oggi?",
        "E|Info veloce: {F} è tornata da {T} e rientra lunedì.",
        "R|Sig.ra {FS}, 88 anni, vive sola a {T}. La figlia è raggiungibile al {PH}.",
        "Q|chi ha approvato le ferie di {PL}?",
        "F|Coordinate bancarie: {IBAN} - intestataria: {F}",
        "L|Nato a {T}, il sig. {MS} risiede oggi a {T}; il suo codice fiscale è {ID}.",
        "C|Per la terza volta: non abito più a {T}, mi sono trasferito a {T} a giugno. {M}",
        "E|Puoi richiamare la sig.ra {FS} al {PH}? Il bonifico su {IBAN} è tornato indietro.",
        "F|{P}; {ID}; {T}; {PH}",
    ],
    "es": [
        "L|A quien corresponda: conozco a {M} desde hace once años, primero como vecino en {T} y después como compañero. Pueden localizarme en el {PH}.",
        "C|es el 4º correo!!! mi padre {ML} espera la devolución desde agosto, cuenta {IBAN}, por favor pagad ya",
        "R|Gracias por atender a la Sra. {FS}, de 45 años, que volvió a {T} el año pasado tras vivir en el extranjero.",
        "L|Estimada Sra. {FS}: hemos recibido su escrito del 7 de octubre y le agradecemos la información.",
        "R|Remito a {M}, de 63 años, que se mudó a {T} este verano, para valoración por cardiología.",
        "C|¡Mi madre, {F}, fue ingresada en {T} el lunes y desde entonces nadie nos contesta!",
        "E|Hola a todos: el Sr. {MS} atiende desde hoy en el {PHX}.",
        "Q|¿{P} sigue viviendo en {T}?",
        "F|Nombre y apellidos: {P} | Municipio: {T} | DNI/NIE: {ID}",
        "Q|¿ya firmó {PL} el formulario?",
        "E|Por favor, devolved la fianza a la cuenta {IBAN} (titular: {M}).",
        "L|{F}, natural de {T}, dirige el departamento de contabilidad desde 2020.",
        "C|¿Por qué aparece mi número {ID} en una carta dirigida a {M}?",
        "R|Informe de alta: {F} ({ID}) regresa a su domicilio en {T} con seguimiento de enfermería.",
        "Q|¿Está dado de alta el nuevo móvil de la Sra. {FS}, el {PH}?",
        "F|Contacto de emergencia: {M}, tel. {PH} (hijo)",
        "E|El que llamó dio el número {ANY_ID}, pero no quiso decir su nombre.",
        "L|Le confirmamos que D. {M} se trasladó de {T} a {T} el 1 de abril.",
        "C|Me han cobrado dos veces 49,90 € en {IBAN}. Espero la devolución cuanto antes. {F}",
        "Q|¿Sale hoy la carta para {M} en {T}?",
        "E|Para que lo sepáis: {F} ha vuelto de {T} y se reincorpora el lunes.",
        "R|Sra. {FS}, 88 años, vive sola en {T}. Teléfono de su hija: {PH}.",
        "Q|¿quién aprobó las vacaciones de {PL}?",
        "F|Datos bancarios: {IBAN} - titular: {F}",
        "L|Nacido en {T}, el Sr. {MS} reside actualmente en {T}; su documento es el {ID}.",
        "C|Por tercera vez: ya no vivo en {T}, me mudé a {T} en junio. {M}",
        "E|¿Puedes llamar a la Sra. {FS} al {PH}? La transferencia a {IBAN} ha sido devuelta.",
        "F|{P}; {ID}; {T}; {PH}",
    ],
    "nl": [
        "L|Geachte heer/mevrouw, ik ken {M} al elf jaar, eerst als buurman in {T} en later als collega. U kunt mij bereiken op {PH}.",
        "C|dit is mijn 4e mail!!! mijn vader {ML} wacht sinds augustus op zijn terugbetaling, rekening {IBAN}. betaal nou gewoon",
        "R|Dank voor het overnemen van mevrouw {FS}, 45 jaar, die vorig jaar na een verblijf in het buitenland naar {T} is teruggekeerd.",
        "L|Geachte mevrouw {FS}, wij hebben uw brief van 7 oktober in goede orde ontvangen.",
        "R|Graag uw beoordeling van {M}, 63 jaar, deze zomer verhuisd naar {T}; heeft daar nog geen huisarts.",
        "C|Mijn moeder, {F}, is maandag in {T} opgenomen en sindsdien krijgen we niemand te spreken!",
        "E|Hoi allemaal, meneer {MS} is vanaf vandaag bereikbaar op {PHX}.",
        "Q|Woont {P} nog steeds in {T}?",
        "F|Naam: {P} | Woonplaats: {T} | BSN: {ID}",
        "Q|heeft {PL} het formulier al getekend?",
        "E|Wil je de borg terugstorten op {IBAN} (t.n.v. {M})?",
        "L|{F}, afkomstig uit {T}, leidt sinds 2020 de financiële administratie.",
        "C|Waarom staat mijn burgerservicenummer {ID} op een brief aan {M}?",
        "R|Ontslagbrief {F} (BSN {ID}): terug naar huis in {T}, thuiszorg is geregeld.",
        "Q|Staat het nieuwe mobiele nummer van mevrouw {FS}, {PH}, al in het systeem?",
        "F|Contactpersoon bij nood: {M}, tel. {PH} (zoon)",
        "E|De beller noemde nummer {ANY_ID}, maar wilde zijn naam niet geven.",
        "L|Hierbij bevestigen wij dat de heer {M} per 1 april van {T} naar {T} is verhuisd.",
        "C|U heeft twee keer 49,90 euro van {IBAN} afgeschreven. Ik verwacht terugbetaling. {F}",
        "Q|Gaat de brief voor {M} in {T} vandaag nog de deur uit?",
        "E|Even ter info: {F} is terug uit {T} en maandag weer op kantoor.",
        "R|Mevrouw {FS}, 88 jaar, woont alleen in {T}. Dochter bereikbaar op {PH}.",
        "Q|wie heeft het verlof van {PL} goedgekeurd?",
        "F|Bankgegevens: {IBAN} / rekeninghouder: {F}",
        "L|Geboren in {T}, woont de heer {MS} tegenwoordig in {T}; zijn BSN is {ID}.",
        "C|Voor de derde keer: ik woon niet meer in {T}, ik ben in juni naar {T} verhuisd. {M}",
        "E|Kun jij mevrouw {FS} terugbellen op {PH}? De overboeking naar {IBAN} is teruggekomen.",
        "F|{P}; {ID}; {T}; {PH}",
    ],
    "pl": [
        "L|Szanowni Państwo, znam pana {M:acc} od jedenastu lat, najpierw jako sąsiada {T:w}, potem jako współpracownika. W razie pytań proszę dzwonić pod {PH}.",
        "C|to już czwarty mail!!! mój tata {ML} czeka na zwrot od sierpnia, konto {IBAN}, proszę w końcu przelać",
        "R|Dziękuję za przyjęcie pani {FS:gen}, lat 45, która w zeszłym roku wróciła z zagranicy do {T:gen}.",
        "R|Skierowanie: pacjent {M}, lat 71, zamieszkały {T:w}, przyjęty na oddział wewnętrzny z powodu duszności.",
        "L|Szanowni Państwo, w imieniu pana {M:gen} informuję, że od marca mieszka on {T:w}.",
        "E|Dzień dobry, rozmawiałam wczoraj z panią {FS:ins} - prosi o kontakt pod numerem {PH}.",
        "C|Składam skargę, ponieważ nikt nie pomógł mojej matce, {F:dat}, która przyjechała do was aż z {T:gen}!",
        "Q|Czy pan {MS} z {T:gen} dostał już zwrot na konto {IBAN}?",
        "F|PESEL: {ID} | Imię i nazwisko: {M} | Telefon: {PH}",
        "Q|Kto prowadzi sprawę pana {MS:gen}?",
        "E|Proszę przelać kwotę na rachunek {IBAN}, właścicielka: {F}.",
        "R|Pani {F} (PESEL {ID}) wróciła do {T:gen} po zakończeniu rehabilitacji; kontrola za sześć tygodni.",
        "L|Potwierdzamy, że umowa z panem {M:ins} została rozwiązana z dniem 31 października.",
        "C|Od trzech tygodni próbuję dodzwonić się do pani {FS:gen}, numer {PHX} nie odpowiada.",
        "Q|czy {PL} ma jeszcze zaległy urlop?",
        "F|Miejsce zamieszkania: {T} | Nr tel.: {PH}",
        "E|Nr identyfikacyjny: {ANY_ID}. Proszę nie przesyłać go dalej mailem.",
        "L|Pan {M}, urodzony {T:w}, od 2019 roku mieszka pod {T:ins}.",
        "Q|Dlaczego przelew dla {F:gen} na {IBAN} został wstrzymany?",
        "R|Chory przeniesiony ze szpitala {T:w} do {T:gen}; opiekun: syn, {M}, tel. {PH}.",
        "E|Pozdrowienia od {M:gen} - przeprowadził się do {T:gen} i prosi o zmianę adresu w kartotece.",
        "C|Moja sąsiadka, pani {F}, dostała cudzy list z numerem {ANY_ID} na kopercie.",
        "Q|Jaki numer konta podała pani {FS}? W systemie widzę {IBAN}.",
        "L|Uprzejmie prosimy pana {MS:acc} o kontakt z działem kadr pod numerem {PHX}.",
        "F|Dane kontaktowe opiekuna: {F}, {PHX}",
        "E|Rozmawiałem z {M:ins} w sprawie numeru {ID}, wszystko się zgadza.",
        "Q|ktoś wie, czy {PL} dalej pracuje w księgowości?",
        "R|Wywiad: pacjentka {F}, pochodzi z {T:gen}, od roku mieszka u córki {T:w}.",
        "L|Dziękujemy Pani {F:dat} za zgłoszenie. Zwrot zostanie przekazany na rachunek {IBAN}.",
    ],
}

NEGATIVES: dict[str, list[str]] = {
    "en": [
        "The branch in {OTOWN} will close at 3 pm on 24 December; online orders placed before noon still ship the same day.",
        "Invoice {NUM} for GBP 1,240.00 was paid on 14 November. Remittance advice attached.",
        "Reference {BAD_ID} does not match any order on our system - please check the number on your delivery note.",
        "The supplier payment to {BAD_IBAN} was rejected because the account number fails validation.",
        "Part no. {ART} is out of stock until week 51; the alternative is {ART}.",
        "Quarterly figures: revenue up 4.2% to 18.6m, headcount 214, two sites ({OTOWN} and {OTOWN}).",
        "Reminder: fire drill on Thursday at 10:30, assemble in car park B. Room 3.14 is closed for refurbishment.",
    ],
    "de": [
        "Die Filiale in {OTOWN} bleibt am 24. Dezember ab 12 Uhr geschlossen.",
        "Rechnung Nr. {NUM} über 1.240,00 EUR wurde am 14.11.2026 beglichen.",
        "Das Aktenzeichen {BAD_ID} ist uns nicht bekannt; bitte prüfen Sie Ihre Unterlagen.",
        "Die Lastschrift auf {BAD_IBAN} wurde abgelehnt, die Prüfziffer stimmt nicht.",
        "Artikel {ART} ist bis KW 51 nicht lieferbar, Ersatzartikel {ART}.",
        "Die Nordlicht Logistik GmbH mit Sitz in {OTOWN} meldet für das dritte Quartal 18,6 Mio. EUR Umsatz.",
        "Feueralarmübung am Donnerstag um 10:30 Uhr, Sammelplatz Parkplatz B. Raum 3.14 bleibt geschlossen.",
    ],
    "fr": [
        "L'agence de {OTOWN} fermera à 15 h le 24 décembre ; les commandes passées avant midi partent le jour même.",
        "La facture n° {NUM} d'un montant de 1 240,00 € a été réglée le 14/11/2026.",
        "La référence {BAD_ID} ne correspond à aucun dossier ; merci de vérifier votre bon de livraison.",
        "Le virement fournisseur vers {BAD_IBAN} a été refusé : clé de contrôle invalide.",
        "L'article réf. {ART} est en rupture jusqu'à la semaine 51 ; article de remplacement : {ART}.",
        "Le siège social, situé à {OTOWN}, emploie 214 personnes ; chiffre d'affaires 2025 : 18,6 M€.",
        "Exercice d'évacuation jeudi à 10 h 30, rassemblement parking B. La salle 3.14 est fermée pour travaux.",
    ],
    "it": [
        "La filiale di {OTOWN} chiuderà alle 15 del 24 dicembre; gli ordini online partono comunque in giornata.",
        "La fattura n. {NUM} di 1.240,00 euro è stata saldata il 14/11/2026.",
        "Il riferimento {BAD_ID} non corrisponde a nessuna pratica: verificate il documento di trasporto.",
        "Il bonifico al fornitore su {BAD_IBAN} è stato respinto: codice di controllo errato.",
        "L'articolo cod. {ART} non è disponibile fino alla settimana 51; in alternativa {ART}.",
        "La sede legale di {OTOWN} conta 214 dipendenti; fatturato 2025: 18,6 milioni di euro.",
        "Prova di evacuazione giovedì alle 10:30, punto di raccolta parcheggio B. Sala 3.14 chiusa per lavori.",
    ],
    "es": [
        "La sucursal de {OTOWN} cerrará a las 15:00 el 24 de diciembre; los pedidos hechos antes de las 12 salen el mismo día.",
        "La factura n.º {NUM} por importe de 1.240,00 € se abonó el 14/11/2026.",
        "La referencia {BAD_ID} no corresponde a ningún expediente; revise el albarán, por favor.",
        "La transferencia al proveedor a {BAD_IBAN} fue rechazada: dígito de control incorrecto.",
        "El artículo ref. {ART} está agotado hasta la semana 51; alternativa: {ART}.",
        "La sede central, en {OTOWN}, tiene 214 empleados; facturación 2025: 18,6 M€.",
        "Simulacro de evacuación el jueves a las 10:30, punto de encuentro en el aparcamiento B. La sala 3.14 está cerrada por obras.",
    ],
    "nl": [
        "Het filiaal in {OTOWN} sluit op 24 december om 15.00 uur; bestellingen voor 12.00 uur worden dezelfde dag verzonden.",
        "Factuur {NUM} van 1.240,00 euro is op 14-11-2026 voldaan.",
        "Kenmerk {BAD_ID} komt niet overeen met een dossier; controleer a.u.b. uw pakbon.",
        "De betaling aan de leverancier op {BAD_IBAN} is geweigerd: controlegetal klopt niet.",
        "Artikel {ART} is uitverkocht tot week 51; alternatief: {ART}.",
        "Het hoofdkantoor in {OTOWN} telt 214 medewerkers; omzet 2025: 18,6 miljoen euro.",
        "Ontruimingsoefening donderdag om 10.30 uur, verzamelen op parkeerplaats B. Zaal 3.14 is dicht wegens verbouwing.",
    ],
    "pl": [
        "Oddział firmy {OTOWN:w} będzie nieczynny 11 listopada; zamówienie nr {NUM} wyślemy dzień później.",
        "Faktura nr {NUM} na kwotę 4 812,50 zł została opłacona 14.10.2026.",
        "Numer referencyjny {BAD_ID} nie pasuje do żadnego zamówienia - proszę sprawdzić dokument dostawy.",
        "Przelew do dostawcy na rachunek {BAD_IBAN} został odrzucony: błędna suma kontrolna.",
        "Artykuł nr {ART}: 40 sztuk na magazynie, następna dostawa w czwartek; zamiennik {ART}.",
        "Zarząd spółki z siedzibą {OTOWN:w} zatwierdził budżet na 2027 rok: 1,2 mln zł na serwis.",
        "Szkolenie BHP odbędzie się 3 grudnia o 9:00 w sali 214, zapisy do piątku.",
    ],
}

# -- filling ----------------------------------------------------------------------------

_SLOT = re.compile(r"\{([A-Z_]+)(?::([a-z]+))?\}")


def _name_form(first: str, last: str, default: str) -> str:
    surname = last.split("-")
    tokens = last.replace("-", " ").split()
    if any(t[0].islower() or "'" in t for t in tokens):
        return "particle"
    if len(surname) > 1 or len(tokens) > 1:
        return "compound"
    return default


def _person(lang: str, slot: str, case: str | None, rng: random.Random) -> Value:
    """A hand-written name for ``slot`` (M F P MS FS PS PP PL ML), Polish in ``case``."""
    gender = slot[0] if slot[0] in "MF" else rng.choice("MF")
    surname_only = slot in ("MS", "FS", "PS")
    if lang == "pl":
        c = case or "nom"
        if gender == "M":
            first, last = rng.choice(PL_MALE_FIRST), rng.choice(PL_MALE_LAST)
        else:
            first, last = rng.choice(PL_FEMALE_FIRST), rng.choice(PL_FEMALE_LAST)
        text = last[c] if surname_only else f"{first[c]} {last[c]}"
        form = "inflected" if c != "nom" else ("surname" if surname_only else "full")
        if form != "inflected":
            form = _name_form(first["nom"], last["nom"], form)
    else:
        f, la = rng.choice(MALE[lang] if gender == "M" else FEMALE[lang])
        if surname_only:
            text = la[0].upper() + la[1:] if lang == "nl" else la  # "de heer Van der Wal"
            form = _name_form(f, la, "surname")
        else:
            text = f"{f} {la}"
            form = _name_form(f, la, "full")
    if slot in ("PL", "ML"):
        return Value("PERSON", text.lower(), "lower")
    if slot == "PP":
        return Value("PERSON", text, "possessive")
    return Value("PERSON", text, form)


def _town(lang: str, case: str | None, rng: random.Random, org: bool) -> tuple[str, Value, str]:
    """(text before the town, the town, its nominative) for ``{T}``/``{OTOWN}``; ``case``
    as in the slot."""
    if lang == "pl":
        town = rng.choice(PL_ORG_TOWNS if org else PL_TOWNS)
        if case == "w":  # "we" before w/f + consonant: "we Wrocławiu"
            loc = town["loc"]
            prep = "we " if loc[0] in "WwFf" and loc[1] not in "aeiouyąęó" else "w "
            return prep, Value("LOCATION", loc, "inflected"), town["nom"]
        c = case or "nom"
        return "", Value("LOCATION", town[c], "town" if c == "nom" else "inflected"), town["nom"]
    name = rng.choice(ORG_TOWNS[lang] if org else TOWNS[lang])
    return "", Value("LOCATION", name, "town"), name


def _article(rng: random.Random) -> str:
    kind = rng.randrange(3)
    if kind == 0:
        return f"{rng.randint(10, 99)}-{rng.randint(1000, 9999)}-{rng.randint(0, 99):02d}"
    if kind == 1:
        return f"ART{rng.randint(100000, 999999)}"
    return f"{rng.choice('ABKMX')}{rng.randint(100, 999)}.{rng.randint(10, 99)}"


class Filler:
    """Fills templates with values; IBAN forms cycle so every form is represented."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(f"{seed}-{SPLIT}")
        Faker.seed(f"{seed}-{SPLIT}")
        self.fakes = {lang: Faker(LOCALE[lang]) for lang in LANGS}
        self.iban_turn = 0

    def fill(self, template: str, lang: str) -> tuple[str, list[dict[str, object]]]:
        rng = self.rng
        text = ""
        entities: list[dict[str, object]] = []
        pos = 0
        towns: set[str] = set()
        for m in _SLOT.finditer(template):
            text += template[pos : m.start()]
            slot, case = m.group(1), m.group(2)
            gold: Value | None = None
            suffix = ""
            if slot in ("M", "F", "P", "MS", "FS", "PS", "PP", "PL", "ML"):
                gold = _person(lang, slot, case, rng)
                if slot == "PP":
                    suffix = "'s"
            elif slot == "T":
                while True:  # two towns of one sentence differ ("moved from X to Y")
                    prefix, gold, nominative = _town(lang, case, rng, org=False)
                    if nominative not in towns:
                        towns.add(nominative)
                        break
                text += prefix
            elif slot == "OTOWN":
                while True:
                    prefix, town, nominative = _town(lang, case, rng, org=True)
                    if nominative not in towns:
                        towns.add(nominative)
                        break
                text += prefix + town.text
            elif slot == "PH":
                gold = gen_phone(lang, rng)
            elif slot == "PHX":
                gold = gen_phone_ext(lang, rng)
            elif slot == "IBAN":
                form = IBAN_FORMS[self.iban_turn % len(IBAN_FORMS)]
                self.iban_turn += 1
                gold = gen_iban(self.fakes[lang], rng, form=form)
            elif slot == "ID":
                gold = gen_id(lang, self.fakes, rng, True)
            elif slot == "ANY_ID":
                gold = gen_id(None, self.fakes, rng, True)
            elif slot == "NINO":
                gold = gen_nino(rng)
            elif slot == "SSN":
                gold = gen_ssn(rng)
            elif slot == "BAD_ID":
                text += gen_id(rng.choice([lang, None]), self.fakes, rng, False).text
            elif slot == "BAD_IBAN":
                text += gen_iban(self.fakes[lang], rng, valid=False).text
            elif slot == "NUM":
                text += rng.choice(
                    [
                        f"{rng.randint(2024, 2026)}-{rng.randint(10000, 99999)}",
                        str(rng.randint(100000, 999999)),
                    ]
                )
            elif slot == "ART":
                text += _article(rng)
            else:
                raise KeyError(slot)
            if gold is not None:
                start = len(text)
                text += gold.text
                entities.append(
                    {"type": gold.type, "start": start, "end": len(text), "form": gold.form}
                )
                text += suffix
            pos = m.end()
        text += template[pos:]
        return text, entities


def generate(seed: int = SEED) -> list[Sample]:
    """Every holdout2 sentence, deterministic for a seed."""
    filler = Filler(seed)
    samples: list[Sample] = []
    for lang in LANGS:
        entries = [(e, False) for e in TEMPLATES[lang]] + [
            ("N|" + e, True) for e in NEGATIVES[lang]
        ]
        for t_index, (entry, negative) in enumerate(entries):
            genre, template = entry.split("|", 1)
            for k in range(PER_NEGATIVE if negative else PER_TEMPLATE):
                text, entities = filler.fill(template, lang)
                assert bool(entities) != negative, (lang, template)
                samples.append(
                    Sample(
                        f"{SPLIT}-{lang}-{t_index:02d}-{k}",
                        lang,
                        SPLIT,
                        "negative" if negative else genre,
                        text,
                        entities,
                    )
                )
    return samples


def write(force: bool = False) -> None:
    if HOLDOUT2_FILE.exists() and not force:
        print(f"{HOLDOUT2_FILE} exists (frozen); --force to regenerate")
        return
    samples = generate()
    with HOLDOUT2_FILE.open("w", encoding="utf-8") as f:
        for s in samples:
            f.write(json.dumps(s.as_json(), ensure_ascii=False) + "\n")
    n_neg = sum(1 for s in samples if not s.entities)
    print(f"{HOLDOUT2_FILE}: {len(samples)} sentences ({n_neg} negatives)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite the frozen file")
    write(parser.parse_args().force)
