# ruff: noqa: E501  (templates are sentences, one a line)
"""The fifth PII tuning set, **dev5** (``bench/data/pii_dev5.jsonl``).

Written on 2026-11-30 without reading the detector's code, rules, tests or the privacy
guide, and without reading any holdout: new phrasings and names and towns typed by hand
(no Faker name lists; values from ``pii_corpus.py``'s generators), built by
``pii_handwritten.py`` (slots documented there). Weighted towards what a detector finds
hard: names in lower case ("please call harriet pennycook back", "is mr o'rourke..."),
names with particles (van der, de la, di, von, d', O', Mac), rare surnames and names of
non-European origin, names with no title or cue word, names that are also words (Will,
Rose, Roos, Lis, Wilk); places tied to a person in many phrasings (born in, moved from X
to Y, staying with her sister in, resident of, "from" + town; Polish towns inflected);
negatives that tempt: words that are also names (Will, May, Mark, Bill, Grace, Rose,
Frank, Dolores, rok), months and weekdays, job titles and departments, towns as an
organisation's seat, product names, clause numbers, amounts, dates, reference numbers
and identifiers/IBANs with wrong check digits. 12 positive templates x 5 sentences and
5 negative templates x 4 per language. A tuning set: ``pii_eval.py --split dev5``
prints its misses.

    .venv/bin/python bench/pii_dev5.py [--force]
"""

from __future__ import annotations

from pii_handwritten import DEV5_FILE, PlTown, Pools, main, names, pl_names

SEED = 20261130

TEMPLATES: dict[str, list[str]] = {
    "en": [
        "E|please call {P_LC} back before five, the number is {PHONE}",
        "L|I spoke to {P_F} on Tuesday and she confirmed the move from {T} to {T}.",
        "R|{PART} was born in {T} and now lives alone above the old post office.",
        "F|Surname: {PART_S} / Home town: {T} / NI or SSN: {ID}",
        "C|The refund went to {COMP} instead of me; my account is {IBAN}.",
        "Q|is mr {PART_S_LC_M} still staying with his sister in {T}?",
        "E|Forwarding this from {P_F}: the engineer never turned up at her flat in {T}.",
        "R|Referral for {S} (first name unknown), resident of {T}, phone {PHONE_EXT}.",
        "L|Thanks to {P_POSS} help, the forms reached us on time.",
        "C|{P} and I have both lived in {T} for years and neither of us got the letter.",
        "F|Payee {P}, IBAN {IBAN}, from {T}",
        "E|Can someone ring {S} on {PHONE}? {P} says it is urgent.",
        "N|Will the {T_ORG} office be open in May, or only from June?",
        "N|Mark invoice {NUM} as paid and bill the remainder to the Finance Department.",
        "N|Grace periods of 30 days apply under clause 14.2; see policy ref {BAD_ID}.",
        "N|The Rose Room is booked every Monday for the Head of Compliance and the Data Protection Officer.",
        "N|The standing order to {BAD_IBAN} was rejected on 3 April because the check digits do not match.",
    ],
    "de": [
        "E|bitte {P_LC} zurückrufen, Nummer {PHONE}",
        "L|Herr {PART_S_M} aus {T} hat uns seine neue Bankverbindung mitgeteilt: {IBAN}.",
        "R|{P_F} wohnt seit der Scheidung bei ihrer Schwester in {T}.",
        "F|Name: {COMP} | Wohnort: {T} | Steuer-ID: {ID}",
        "C|Meine Nachbarin {P_F} ist von {T} nach {T} gezogen und bekommt ihre Post nicht.",
        "Q|war frau {S_LC_F} schon beim Termin?",
        "L|Laut {P_POSS} Schreiben lebt die Familie inzwischen in {T}.",
        "E|Gestern hat {PART_M} angerufen, er ist unter {PHONE_EXT} erreichbar.",
        "R|Die Patientin, gebürtig aus {T}, wird von ihrem Sohn {P_M} betreut.",
        "F|Kontoinhaberin {P_F}, IBAN {IBAN}",
        "C|Ich habe zweimal mit {P} gesprochen, aber niemand hat sich gemeldet.",
        "E|{S} kommt aus {T} und braucht zum Termin einen Dolmetscher.",
        "N|Das Bürgeramt im Rathaus {T_ORG} bleibt am Mittwoch, dem 12. Mai, geschlossen.",
        "N|Frank und frei: Die Abteilungsleitung Einkauf hat die Frist nach § 14 Abs. 2 versäumt.",
        "N|Vorgang {BAD_ID} wurde an die Rechtsabteilung weitergeleitet; Betrag 1.250,00 EUR.",
        "N|Die Lastschrift auf {BAD_IBAN} ist wegen einer falschen Prüfziffer zurückgekommen.",
        "N|Im Winter rechnet das Sozialamt {T_ORG} mit rund 400 Anträgen auf Heizkostenzuschuss.",
    ],
    "fr": [
        "E|merci de rappeler {P_LC} au {PHONE}, c'est urgent",
        "L|Mme {PART_S_F}, installée à {T} depuis son mariage, demande une attestation.",
        "R|{P_M} est né à {T} et vit désormais chez sa sœur à {T}.",
        "F|Nom : {COMP} — Commune de résidence : {T} — NIR : {ID}",
        "C|J'ai quitté {T} pour {T} en janvier et ma carte n'a jamais suivi. {P}",
        "Q|est-ce que m. {PART_S_LC_M} a bien reçu le courrier ?",
        "E|{P_F} a appelé hier soir ; elle est hébergée chez sa fille à {T}.",
        "F|Titulaire du compte : {P} ; IBAN : {IBAN}",
        "R|Adressé par le Dr {S}, le patient {PART_M} réside à {T}.",
        "L|Nous avons transmis le dossier à {P} comme convenu.",
        "E|Joignable au {PHONE_EXT}, {S} habite à deux pas de la gare de {T}.",
        "C|{P_LC_F}, domiciliée à {T}, conteste le prélèvement.",
        "N|L'agence de {T_ORG} ferme le lundi de Pâques et rouvre mardi à 9 h.",
        "N|Selon l'article 6.3 des conditions générales, le délai de rétractation est de 14 jours.",
        "N|La direction voit la vie en rose : le chiffre d'affaires atteint 2,4 millions d'euros en juillet.",
        "N|La référence {BAD_ID} est invalide : la clé ne correspond pas.",
        "N|Le prélèvement sur le compte {BAD_IBAN} a été rejeté le 2 juin.",
    ],
    "it": [
        "E|per favore richiamare {P_LC} al {PHONE}",
        "L|La signora {PART_S_F}, trasferitasi da {T} a {T}, chiede il cambio di filiale.",
        "R|{P_M} è nato a {T} e vive con il fratello a {T}.",
        "F|Cognome e nome: {COMP}; comune di residenza: {T}; codice fiscale: {ID}",
        "C|Ho parlato con {P} tre volte e nessuno ha risolto il problema.",
        "Q|il sig. {PART_S_LC_M} abita ancora a {T}?",
        "E|{P_F} è ospite da sua sorella a {T} fino a fine mese, cell. {PHONE}",
        "F|Intestatario: {P}; IBAN: {IBAN}",
        "R|Paziente {PART_M}, residente a {T}, accompagnato dalla figlia.",
        "L|Come concordato con {S}, le inviamo i moduli.",
        "C|{P_LC} di {T} segnala un addebito non autorizzato.",
        "E|Ha chiamato {COMP}: richiamare al {PHONE_EXT}.",
        "N|La filiale di {T_ORG} sarà chiusa il 2 giugno per la Festa della Repubblica.",
        "N|Franco domicilio: la merce viene consegnata entro 5 giorni lavorativi, ai sensi dell'art. 12.",
        "N|La Rosa dei Venti è la nostra nuova linea di polizze per le piccole imprese.",
        "N|Il codice {BAD_ID} risulta errato, il carattere di controllo non corrisponde.",
        "N|Il bonifico verso {BAD_IBAN} è stato stornato il 4 luglio.",
    ],
    "es": [
        "E|por favor, llamar a {P_LC} al {PHONE}",
        "L|La señora {PART_S_F}, natural de {T}, reside ahora en {T}.",
        "R|{P_M} se mudó de {T} a {T} tras jubilarse.",
        "F|Nombre: {COMP}; municipio: {T}; DNI/NIE: {ID}",
        "C|Hablé con {P} en la oficina y me dijo que lo solucionaría.",
        "Q|¿sigue el sr. {PART_S_LC_M} viviendo con su hija en {T}?",
        "E|{P_F} pasa unos meses en casa de su hermana en {T}; móvil {PHONE}.",
        "F|Titular: {P}; IBAN: {IBAN}",
        "R|Paciente {PART_F}, vecina de {T}, acude acompañada de su marido.",
        "L|Según nos indicó {S}, el recibo se devolvió por error.",
        "C|{P_LC}, de {T}, reclama la devolución de la comisión.",
        "E|Ha llamado {COMP}; devolver la llamada al {PHONE_EXT}.",
        "N|La oficina de {T_ORG} cerrará el 12 de octubre por la Fiesta Nacional.",
        "N|Dolores de cabeza, mareos y cansancio son los efectos adversos más frecuentes según el prospecto.",
        "N|El Departamento de Recursos Humanos publicará el calendario laboral de 2027 en enero.",
        "N|La referencia {BAD_ID} no es válida: la letra de control no coincide.",
        "N|El adeudo en la cuenta {BAD_IBAN} fue devuelto el 5 de mayo; importe 89,90 EUR.",
    ],
    "nl": [
        "E|graag {P_LC} terugbellen op {PHONE}",
        "L|Mevrouw {PART_S_F}, afkomstig uit {T}, woont sinds kort in {T}.",
        "R|{P_M} is geboren in {T} en logeert nu bij zijn zus in {T}.",
        "F|Naam: {COMP} | Woonplaats: {T} | BSN: {ID}",
        "C|Ik heb {P} al drie keer gesproken en er gebeurt niets.",
        "Q|is meneer {PART_S_LC_M} al verhuisd naar {T}?",
        "E|{P_POSS} nieuwe adres is in {T}; mobiel {PHONE}.",
        "F|Rekeninghouder: {P}; IBAN: {IBAN}",
        "R|Patiënt {PART_M}, inwoner van {T}, komt met zijn dochter.",
        "L|Zoals afgesproken met {S} sturen wij u de stukken.",
        "C|{P_LC} uit {T} betwist de incasso.",
        "E|{COMP} belde; terugbellen op {PHONE_EXT}.",
        "N|Het stadskantoor {T_ORG} is op Koningsdag gesloten.",
        "N|Volgens artikel 7:2 BW heeft de koper een bedenktijd van 14 dagen.",
        "N|Op woensdag en vrijdag is de Servicedesk van Facilitaire Zaken tot 17:00 bereikbaar.",
        "N|Referentie {BAD_ID} is ongeldig: het controlecijfer klopt niet.",
        "N|De incasso van rekening {BAD_IBAN} is op 8 maart gestorneerd.",
    ],
    "pl": [
        "E|proszę oddzwonić, dzwoniła {P_LC_F}, numer {PHONE}",
        "L|Pani {S_F} mieszka {PL_W} u swojej siostry.",
        "R|{P_M} urodził się {PL_W}, a od 2019 roku mieszka {PL_POD}.",
        "F|Imię i nazwisko: {COMP}; miejscowość: {T}; PESEL: {ID}",
        "C|Rozmawiałem z {PLN_INS} trzy razy i nic się nie zmieniło.",
        "Q|czy pan {S_LC_M} przeprowadził się już {PL_DO}?",
        "E|Proszę przekazać {PAN_DAT}, że dokumenty są gotowe; tel. {PHONE_EXT}.",
        "F|Właściciel rachunku: {P}; IBAN: {IBAN}",
        "R|Pacjentka {P_F}, mieszkanka {PL_GEN}, przyszła z mężem.",
        "L|W imieniu {PLN_GEN} prosimy o zmianę adresu korespondencyjnego.",
        "C|Przeprowadziłam się {PL_Z} {PL_DO} i nie dostaję wyciągów. {P_F}",
        "E|Spotkanie z {PAN_INS} przełożono, bo klient jest u rodziny {PL_KOLO}.",
        "N|Punkt obsługi klienta {PL_W_ORG} od 1 marca przyjmuje interesantów w nowym budynku.",
        "N|Rok obrotowy kończy się 31 marca; w tym roku premia wyniesie 5%.",
        "N|Róża Wiatrów to nazwa nowego pakietu ubezpieczeń dla małych firm.",
        "N|Wniosek {BAD_ID} odrzucono – niepoprawna cyfra kontrolna.",
        "N|Polecenie zapłaty z rachunku {BAD_IBAN} zostało zwrócone 7 kwietnia.",
    ],
}

PL_NAMES = pl_names(
    "m|Zbigniew,Zbigniewa,Zbigniewowi,Zbigniewem|Sołtysiak,Sołtysiaka,Sołtysiakowi,Sołtysiakiem",
    "m|Radosław,Radosława,Radosławowi,Radosławem|Kmiecik,Kmiecika,Kmiecikowi,Kmiecikiem",
    "f|Bogumiła,Bogumiły,Bogumile,Bogumiłą|Zawadzka,Zawadzkiej,Zawadzkiej,Zawadzką",
    "f|Iwona,Iwony,Iwonie,Iwoną|Szymczak,Szymczak,Szymczak,Szymczak",
    "m|Ignacy,Ignacego,Ignacemu,Ignacym|Wróblewski,Wróblewskiego,Wróblewskiemu,Wróblewskim",
    "f|Wiktoria,Wiktorii,Wiktorii,Wiktorią|Lis,Lis,Lis,Lis",
    "m|Przemysław,Przemysława,Przemysławowi,Przemysławem|Kot,Kota,Kotu,Kotem",
    "f|Olena,Oleny,Olenie,Oleną|Hrycenko,Hrycenko,Hrycenko,Hrycenko",
    "m|Tadeusz,Tadeusza,Tadeuszowi,Tadeuszem|Gąsiorowski,Gąsiorowskiego,Gąsiorowskiemu,Gąsiorowskim",
    "f|Marzena,Marzeny,Marzenie,Marzeną|Wilk,Wilk,Wilk,Wilk",
    "m|Arkadiusz,Arkadiusza,Arkadiuszowi,Arkadiuszem|Zima,Zimy,Zimie,Zimą",
    "f|Genowefa,Genowefy,Genowefie,Genowefą|Pietras,Pietras,Pietras,Pietras",
)

POOLS = Pools(
    full={
        "en": names(
            "Harriet|Pennycook|f", "Oluwaseun|Adeyemi|m", "Priya|Raghunathan|f",
            "Barnaby|Quarrington|m", "Tamsin|Hollinrake|f", "Imogen|Sowerbutts|f",
            "Rhodri|Prydderch|m", "Farah|Chaudhry|f", "Nkechi|Okonkwo|f",
            "Gethin|Llewellyn|m", "Will|Tasker|m", "Rose|Fairbairn|f",
        ),
        "de": names(
            "Hannelore|Wübbenhorst|f", "Jörg|Pfannkuche|m", "Emine|Yıldırım|f",
            "Dragan|Petrović|m", "Ulrike|Schwertfeger|f", "Rüdiger|Quante|m",
            "Svetlana|Reimer|f", "Mehmet|Öztürk|m", "Ingeborg|Aschenbrenner|f",
            "Thanh|Nguyen|m", "Gesa|Lührs|f", "Frank|Wintermeyer|m",
        ),
        "fr": names(
            "Gwenaëlle|Moysan|f", "Thibault|Rouxel|m", "Fatoumata|Diallo|f",
            "Karim|Benali|m", "Bénédicte|Vasseur|f", "Rosine|Pelletan|f",
            "Théophile|Groscolas|m", "Nadia|Haddad|f", "Sylvain|Quéméner|m",
            "Pierre|Lhermitte|m", "Mireille|Chabrol|f", "Olivier|Bertrandias|m",
        ),
        "it": names(
            "Ornella|Bettiol|f", "Tiziano|Pegoraro|m", "Adaeze|Nwosu|f",
            "Rosa|Maniscalco|f", "Ilario|Casagrande|m", "Ludmila|Horvat|f",
            "Samir|Bouzid|m", "Vittorino|Sartori|m", "Agata|Crisafulli|f",
            "Wei|Xu|m", "Bruna|Facchinetti|f", "Franco|Zanchetta|m",
        ),
        "es": names(
            "Ainhoa|Goikoetxea|f", "Baltasar|Quiroga|m", "Yolanda|Manzanares|f",
            "Wilson|Quispe|m", "Nayara|Cabrera|f", "Abdelkader|Amrani|m",
            "Xiana|Outeiral|f", "Dolores|Pitarch|f", "Fermín|Echeverría|m",
            "Ioana|Popescu|f", "Rigoberto|Valladares|m", "Montserrat|Puigdollers|f",
        ),
        "nl": names(
            "Hendrikje|Scheepstra|f", "Maarten|Hoekstra|m", "Ilse|Bruinsma|f",
            "Redouan|Azzouzi|m", "Sevda|Aksoy|f", "Gerrit|Wolthuis|m",
            "Roos|Kamphuis|f", "Wubbo|Pruim|m", "Dewi|Sastrowardojo|f",
            "Marijke|Tuinstra|f", "Rinus|Bosboom|m", "Anouk|Zwiers|f",
        ),
        "pl": tuple(names(*(f"{n.first[0]}|{n.last[0]}|{n.sex}" for n in PL_NAMES))),
    },
    particle={
        "en": names(
            "Siobhan|O'Rourke|f", "Hamish|MacAlister|m", "Pieter|van Rensburg|m",
            "Amélie|de la Cour|f", "Connor|O'Dwyer|m", "Ruaridh|Mac an t-Saoir|m",
        ),
        "de": names(
            "Clemens|von Rautenfeld|m", "Adelheid|zu Eltz|f", "Friedrich|von der Heydt|m",
            "Marlies|van Deest|f", "Carla|di Lorenzo|f", "Jens|op de Hipt|m",
        ),
        "fr": names(
            "Hortense|de la Roncière|f", "Étienne|d'Aubigny|m", "Maël|Le Floch|m",
            "Capucine|du Plessis|f", "Loïc|de Kergorlay|m", "Inès|Ben Youssef|f",
        ),
        "it": names(
            "Benedetta|Di Giacomo|f", "Raffaele|De Rosa|m", "Federica|Lo Presti|f",
            "Giacomo|D'Ambrosio|m", "Costanza|Dalla Torre|f", "Ludovico|di Collalto|m",
        ),
        "es": names(
            "Álvaro|de la Serna|m", "Begoña|del Olmo|f", "Tomás|de las Heras|m",
            "Pilar|de Miguel|f", "Iñigo|de Arteaga|m", "Rocío|de los Ríos|f",
        ),
        "nl": names(
            "Jelle|van der Meulen|m", "Fenna|de Haan|f", "Bram|van 't Hek|m",
            "Lieke|ter Horst|f", "Mirjam|op den Kamp|f", "Sjaak|in 't Veld|m",
        ),
        "pl": names("Marek|de Tramecourt|m", "Aleksandra|von Bergen|f"),
    },
    compound={
        "en": names(
            "Joanna|Harcourt-Bligh|f", "Kofi|Mensah-Bonsu|m",
            "Eleanor|Stanley-Wainwright|f", "Anne-Marie|Pritchard|f",
        ),
        "de": names(
            "Kai-Uwe|Brandstetter|m", "Anna-Lena|Schulte-Vennbur|f",
            "Heinz|Oberhuber-Kranich|m", "Lisa-Marie|Tebbe|f",
        ),
        "fr": names(
            "Jean-Baptiste|Fauvel|m", "Marie-Claude|Rivière-Duclos|f",
            "Anne-Laure|Ménard-Thiers|f", "Pierre-Yves|Goasdoué|m",
        ),
        "it": names(
            "Maria Grazia|Pellegatta|f", "Gian Luca|Zanardi|m",
            "Anna Maria|Bonfiglio Rinaldi|f", "Pier Giorgio|Cattaneo|m",
        ),
        "es": names(
            "María José|Villalba Ortuño|f", "Juan Carlos|Bermejo Sáez|m",
            "Ana Belén|Peñalver-Soto|f", "José Luis|Garrido Alcántara|m",
        ),
        "nl": names(
            "Anne-Fleur|Bakker|f", "Jan-Willem|Schuurman-Dijk|m",
            "Marie-José|Verhoeven|f", "Pieter-Jan|Koster-Bleeker|m",
        ),
        "pl": names(
            "Joanna|Nowak-Grzelak|f", "Elżbieta|Kozłowska-Rudnik|f",
            "Jan|Dąbrowa-Szulc|m", "Anna Maria|Cieślik|f",
        ),
    },
    towns={
        "en": (
            "Whitby", "Ripon", "Morpeth", "Ilkley", "Bridport", "Ledbury", "Totnes",
            "Brecon", "Matlock", "Clitheroe", "Lanark", "Kinsale",
        ),
        "de": (
            "Husum", "Wernigerode", "Tuttlingen", "Lüneburg", "Bad Tölz", "Quedlinburg",
            "Meppen", "Aurich", "Traunstein", "Eschwege", "Sigmaringen", "Zittau",
        ),
        "fr": (
            "Paimpol", "Lodève", "Carhaix", "Issoire", "Mauriac", "Oloron-Sainte-Marie",
            "Châteaubriant", "Gien", "Lectoure", "Montbard", "Thann", "Briançon",
        ),
        "it": (
            "Bobbio", "Tolmezzo", "Fabriano", "Cividale", "Sciacca", "Gubbio",
            "Montepulciano", "Bosa", "Tirano", "Melfi", "Nardò", "Varallo",
        ),
        "es": (
            "Tarazona", "Zafra", "Ribadeo", "Alcañiz", "Baeza", "Olot", "Jaca", "Llanes",
            "Trujillo", "Medina del Campo", "Haro", "Úbeda",
        ),
        "nl": (
            "Harlingen", "Zierikzee", "Winterswijk", "Meppel", "Steenwijk", "Heusden",
            "Tiel", "Sneek", "Doetinchem", "Vlissingen", "Hoorn", "Coevorden",
        ),
    },
    pl_names=PL_NAMES,
    pl_towns=(
        PlTown("Kalisz", "Kalisza", "Kaliszu", "Kaliszem"),
        PlTown("Legnica", "Legnicy", "Legnicy", "Legnicą"),
        PlTown("Konin", "Konina", "Koninie", "Koninem"),
        PlTown("Elbląg", "Elbląga", "Elblągu", "Elblągiem"),
        PlTown("Tczew", "Tczewa", "Tczewie", "Tczewem"),
        PlTown("Żywiec", "Żywca", "Żywcu", "Żywcem"),
        PlTown("Bochnia", "Bochni", "Bochni", "Bochnią"),
        PlTown("Sieradz", "Sieradza", "Sieradzu", "Sieradzem"),
        PlTown("Głogów", "Głogowa", "Głogowie", "Głogowem"),
        PlTown("Mielec", "Mielca", "Mielcu", "Mielcem"),
        PlTown("Włodawa", "Włodawy", "Włodawie", "Włodawą", "we"),
        PlTown("Zgorzelec", "Zgorzelca", "Zgorzelcu", "Zgorzelcem", z="ze"),
    ),
)  # fmt: skip

if __name__ == "__main__":
    main("dev5", SEED, TEMPLATES, POOLS, DEV5_FILE)
