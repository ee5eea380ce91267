# ruff: noqa: E501  (templates are sentences, one a line)
"""The third PII holdout, **holdout3** (``bench/data/pii_holdout3.jsonl``), frozen 2026-11-30.

Written on 2026-11-30 together with dev5 and in the same way (``pii_handwritten.py``),
without reading the detector's code, rules, tests or the privacy guide and without
reading any other holdout, before any detector change tuned on dev5: its own phrasings
and its own hand-typed names and towns (none shared with dev5), values from
``pii_corpus.py``'s generators. The same hard kinds as dev5: names in lower case, names
with particles, rare surnames and names of non-European origin, names with no title or
cue word, names that are also words (Bill, Grace, Mark, Olive, Fortunato, Marzec,
Kwiecień) or towns (Hoogeveen; the town Jarosław is a first name), places tied to a
person (moved from X to Y, lodging with a cousin in, resident of, originally from,
"de"/"uit"/"rodem z" + town; Polish towns inflected), and tempting negatives (May, Bill,
Grace, Olive, Rose, Wolf, Fuchs, Fortunato, Roos, Zima, Lis, Wilk; months, weekdays,
departments, town halls, clause numbers, amounts, identifiers and IBANs with wrong
check digits). 12 positive templates x 5 sentences and 5 negative templates x 4 per
language.

Never tuned on and never regenerated (its sha256 is in ``bench/data/README.md``):
``pii_eval.py --split holdout3`` prints its figures only, never its sentences.

    .venv/bin/python bench/pii_holdout3.py   # refuses to overwrite the frozen file
"""

from __future__ import annotations

from pii_handwritten import HOLDOUT3_FILE, PlTown, Pools, main, names, pl_names

SEED = 20261201

TEMPLATES: dict[str, list[str]] = {
    "en": [
        "E|fyi {P_LC} dropped by the front desk and left {PHONE} for a callback",
        "R|{P_F} moved up from {T} after her husband died and is now lodging with a cousin in {T}.",
        "L|We have updated the file: {PART} is now a resident of {T}.",
        "F|Full name {COMP} · Town {T} · Telephone {PHONE_EXT}",
        "C|Nobody told {P_F} that the branch had shut, so she drove in from {T} for nothing.",
        "Q|does anyone know if {S_LC} got the replacement card?",
        "E|{P_POSS_F} son says his mother is originally from {T}.",
        "F|Account holder: {PART}; IBAN {IBAN}; NINO/SSN {ID}",
        "R|Discussed with {P_M} today; he is happy to be contacted on {PHONE}.",
        "L|Mrs {PART_S_F} of {T} wrote to complain about the new charges.",
        "C|My brother {P_M}, who lives just outside {T}, never received the refund.",
        "E|Met {P} and {P} at the open day; both asked for paper statements.",
        "N|May we remind staff that the {T_ORG} office closes at noon on Christmas Eve.",
        "N|Bill payments above 5,000 GBP need sign-off from the Head of Treasury under section 4(b).",
        "N|Grace, mercy and patience are listed as the charity's core values in its 2025 report.",
        "N|Ticket {BAD_ID} was closed on Wednesday; the number quoted fails the check.",
        "N|Direct debit mandate {BAD_IBAN} is invalid and has been returned to the originator.",
    ],
    "de": [
        "E|ruf bitte {P_LC_F} an, sie wartet auf Rückmeldung unter {PHONE}",
        "R|{P_M} ist aus {T} zu seiner Tochter nach {T} gezogen.",
        "L|Wir haben erfahren, dass {PART} inzwischen in {T} gemeldet ist.",
        "F|Vor- und Nachname: {COMP}; Geburtsort: {T}; Steuer-ID {ID}",
        "C|Seit Wochen versucht {P} vergeblich, bei Ihnen jemanden zu erreichen.",
        "Q|wohnt {S_LC} noch in {T}?",
        "E|{P_POSS} Antrag ist eingegangen, Rückfragen bitte unter {PHONE_EXT}.",
        "F|Empfänger: {PART}; IBAN {IBAN}",
        "R|Die Versicherte lebt mit ihrem Lebensgefährten {P_M} in einer Wohnung am Stadtrand von {T}.",
        "L|Frau {PART_S_F} aus {T} bittet um Ratenzahlung.",
        "C|Mein Schwiegervater {P_M}, wohnhaft in {T}, hat die Erstattung nie erhalten.",
        "E|Bitte Rückruf bei {S}, {PHONE}.",
        "N|Die Sprechstunde im Rathaus {T_ORG} entfällt am Donnerstag wegen der Betriebsversammlung.",
        "N|Im März und April prüft die Innenrevision alle Verträge nach Ziffer 7.3 der Richtlinie.",
        "N|Wolf und Fuchs sind die Maskottchen unserer neuen Sparbuch-Serie für Kinder.",
        "N|Die Kundennummer {BAD_ID} ist ungültig, die Prüfziffer stimmt nicht.",
        "N|Die Gutschrift auf {BAD_IBAN} konnte nicht ausgeführt werden; Betrag 340,00 EUR.",
    ],
    "fr": [
        "E|pouvez-vous rappeler {P_LC_F} ? elle attend au {PHONE}",
        "R|{P_M} a quitté {T} pour s'installer chez son fils à {T}.",
        "L|Nous apprenons que {PART_F} est désormais domiciliée à {T}.",
        "F|Nom et prénom : {COMP} ; lieu de naissance : {T} ; n° de sécurité sociale : {ID}",
        "C|{P} essaie de vous joindre depuis trois semaines, sans succès.",
        "Q|{S_LC} habite toujours à {T} ?",
        "E|Le dossier de {P} est complet ; rappel possible au {PHONE_EXT}.",
        "F|Bénéficiaire : {PART} ; IBAN {IBAN}",
        "R|La patiente vit avec son compagnon, {P_M}, dans un appartement en périphérie de {T}.",
        "L|Mme {PART_S_F}, de {T}, sollicite un échéancier.",
        "C|Mon beau-père, {P_M}, demeurant à {T}, n'a jamais été remboursé.",
        "E|Merci de rappeler M. {S_M} au {PHONE}.",
        "N|La permanence de la mairie de {T_ORG} est supprimée jeudi en raison du comité social.",
        "N|En mars et en avril, l'audit interne contrôle tous les contrats selon le point 7.3 du règlement.",
        "N|Olive, Rose et Violette sont les trois gammes de notre nouvelle collection de linge de maison.",
        "N|Le numéro client {BAD_ID} est invalide, la clé de contrôle est fausse.",
        "N|Le virement vers {BAD_IBAN} n'a pas pu être exécuté ; montant 340,00 EUR.",
    ],
    "it": [
        "E|puoi richiamare {P_LC}? aspetta una risposta al {PHONE}",
        "R|{P_M} ha lasciato {T} per andare a vivere dal figlio a {T}.",
        "L|Ci risulta che {PART} abbia ora la residenza a {T}.",
        "F|Nome e cognome: {COMP}; luogo di nascita: {T}; C.F. {ID}",
        "C|Sono tre settimane che {P} cerca di contattarvi senza risultato.",
        "Q|{S_LC} abita sempre a {T}?",
        "E|La pratica di {P} è completa; per domande {PHONE_EXT}.",
        "F|Beneficiario: {PART}; IBAN {IBAN}",
        "R|La paziente convive con il compagno, {P_M}, in un appartamento alla periferia di {T}.",
        "L|La signora {PART_S_F}, originaria di {T}, chiede una rateizzazione.",
        "C|Mio suocero, {P_M}, domiciliato a {T}, non è mai stato rimborsato.",
        "E|Richiamare il sig. {S_M} al {PHONE}.",
        "N|Lo sportello del Comune di {T_ORG} resta chiuso giovedì per l'assemblea del personale.",
        "N|A marzo e aprile l'audit interno verifica tutti i contratti secondo il punto 7.3 del regolamento.",
        "N|Fortunato chi ha aderito entro maggio: lo sconto del 15% vale fino al 30 giugno.",
        "N|Il numero cliente {BAD_ID} non è valido, il carattere di controllo è sbagliato.",
        "N|Il bonifico a favore di {BAD_IBAN} non è stato eseguito; importo 340,00 EUR.",
    ],
    "es": [
        "E|¿puedes llamar a {P_LC}? espera respuesta en el {PHONE}",
        "R|{P_M} dejó {T} para irse a vivir con su hijo a {T}.",
        "L|Nos consta que {PART_M} está empadronado en {T}.",
        "F|Nombre y apellidos: {COMP}; lugar de nacimiento: {T}; NIF/NIE {ID}",
        "C|{P} lleva tres semanas intentando contactar con ustedes.",
        "Q|¿{S_LC} sigue viviendo en {T}?",
        "E|El expediente de {P} está completo; consultas en el {PHONE_EXT}.",
        "F|Beneficiario: {PART}; IBAN {IBAN}",
        "R|La paciente convive con su pareja, {P_M}, en un piso a las afueras de {T}.",
        "L|La señora {PART_S_F}, oriunda de {T}, solicita un aplazamiento.",
        "C|Mi suegro, {P_M}, con domicilio en {T}, nunca recibió el reembolso.",
        "E|Devolver la llamada al Sr. {S_M}: {PHONE}.",
        "N|La ventanilla del Ayuntamiento de {T_ORG} cierra el jueves por la asamblea de personal.",
        "N|En marzo y abril, Auditoría Interna revisa todos los contratos según el apartado 7.3.",
        "N|El consuelo llegó en mayo, cuando la Dirección de Operaciones aprobó una indemnización de 1.200 EUR.",
        "N|El número de cliente {BAD_ID} no es válido: la letra de control es errónea.",
        "N|La transferencia a {BAD_IBAN} no se ha ejecutado; importe 340,00 EUR.",
    ],
    "nl": [
        "E|kun je {P_LC_F} terugbellen? ze wacht op {PHONE}",
        "R|{P_M} is van {T} naar zijn zoon in {T} verhuisd.",
        "L|Wij vernamen dat {PART} inmiddels in {T} staat ingeschreven.",
        "F|Voor- en achternaam: {COMP}; geboorteplaats: {T}; BSN {ID}",
        "C|{P} probeert u al drie weken te bereiken.",
        "Q|woont {S_LC} nog in {T}?",
        "E|Het dossier van {P} is compleet; vragen via {PHONE_EXT}.",
        "F|Begunstigde: {PART}; IBAN {IBAN}",
        "R|Patiënte woont samen met haar partner {P_M} in een flat aan de rand van {T}.",
        "L|Mevrouw {PART_S_F} uit {T} vraagt om een betalingsregeling.",
        "C|Mijn schoonvader {P_M}, wonende te {T}, heeft nooit iets terugontvangen.",
        "E|Graag terugbellen naar dhr. {S_M}: {PHONE}.",
        "N|Het loket van de gemeente {T_ORG} is donderdag gesloten vanwege de personeelsvergadering.",
        "N|In maart en april controleert de interne audit alle contracten volgens paragraaf 7.3.",
        "N|De Roos en De Mark zijn de twee vergaderzalen op de derde verdieping.",
        "N|Klantnummer {BAD_ID} is ongeldig, het controlecijfer klopt niet.",
        "N|De overboeking naar {BAD_IBAN} is niet uitgevoerd; bedrag 340,00 EUR.",
    ],
    "pl": [
        "E|oddzwoń proszę, {P_LC_F} czeka na telefon pod numerem {PHONE}",
        "R|{P_M} wyprowadził się {PL_Z} i zamieszkał u syna {PL_W}.",
        "L|Z naszych informacji wynika, że {P_M} jest zameldowany {PL_W}.",
        "F|Imię i nazwisko: {COMP}; miejsce urodzenia: {T}; PESEL {ID}",
        "C|Od trzech tygodni razem z {PLN_INS} próbujemy się z Państwem skontaktować.",
        "Q|czy {S_LC} dalej mieszka {PL_W}?",
        "E|Wniosek {PLN_GEN} jest kompletny; pytania pod numerem {PHONE_EXT}.",
        "F|Odbiorca przelewu: {P}; IBAN {IBAN}",
        "R|Pacjentka mieszka z partnerem, {PLN_INS_M}, na obrzeżach {PL_GEN}.",
        "L|Pani {S_F}, rodem {PL_Z}, prosi o rozłożenie długu na raty.",
        "C|Mój teść, {P_M}, zamieszkały {PL_W}, nigdy nie otrzymał zwrotu.",
        "E|Proszę przekazać {PAN_DAT} informację o terminie, tel. {PHONE}.",
        "N|Kasa Urzędu Miasta {PL_GEN_ORG} będzie nieczynna w czwartek z powodu zebrania pracowników.",
        "N|W marcu i kwietniu audyt wewnętrzny sprawdzi wszystkie umowy zgodnie z punktem 7.3 regulaminu.",
        "N|Zima była łagodna, więc sprzedaż pakietu Lis i Wilk spadła rok do roku o 8%.",
        "N|Numer klienta {BAD_ID} jest nieprawidłowy, cyfra kontrolna się nie zgadza.",
        "N|Przelew na {BAD_IBAN} nie został wykonany; kwota 340,00 PLN.",
    ],
}

PL_NAMES = pl_names(
    "m|Bolesław,Bolesława,Bolesławowi,Bolesławem|Kaczmarczyk,Kaczmarczyka,Kaczmarczykowi,Kaczmarczykiem",
    "f|Urszula,Urszuli,Urszuli,Urszulą|Jabłońska,Jabłońskiej,Jabłońskiej,Jabłońską",
    "m|Kazimierz,Kazimierza,Kazimierzowi,Kazimierzem|Marzec,Marca,Marcowi,Marcem",
    "f|Stanisława,Stanisławy,Stanisławie,Stanisławą|Kwiecień,Kwiecień,Kwiecień,Kwiecień",
    "m|Witold,Witolda,Witoldowi,Witoldem|Baran,Barana,Baranowi,Baranem",
    "f|Jolanta,Jolanty,Jolancie,Jolantą|Kruk,Kruk,Kruk,Kruk",
    "m|Dariusz,Dariusza,Dariuszowi,Dariuszem|Sikorski,Sikorskiego,Sikorskiemu,Sikorskim",
    "f|Natalia,Natalii,Natalii,Natalią|Kowalewska,Kowalewskiej,Kowalewskiej,Kowalewską",
    "m|Oleksandr,Oleksandra,Oleksandrowi,Oleksandrem|Melnyk,Melnyka,Melnykowi,Melnykiem",
    "f|Lucyna,Lucyny,Lucynie,Lucyną|Wrona,Wrony,Wronie,Wroną",
    "m|Ireneusz,Ireneusza,Ireneuszowi,Ireneuszem|Gil,Gila,Gilowi,Gilem",
    "f|Teresa,Teresy,Teresie,Teresą|Pham,Pham,Pham,Pham",
)

POOLS = Pools(
    full={
        "en": names(
            "Araminta|Scholefield|f", "Tunde|Bakare|m", "Anjali|Venkataraman|f",
            "Hywel|Bowditch|m", "Yusuf|Demirci|m", "Clemency|Thwaite|f",
            "Bill|Ashdown|m", "Grace|Ibbotson|f", "Zainab|Mahmood|f",
            "Lachlan|Greatorex|m", "Ngozi|Eze|f", "Mark|Fothergill|m",
        ),
        "de": names(
            "Waltraud|Kleinschmidt|f", "Burkhard|Osterloh|m", "Aylin|Kaya|f",
            "Milorad|Jovanović|m", "Frauke|Hinrichsen|f", "Torsten|Wiegelmann|m",
            "Oksana|Bondarenko|f", "Gunnar|Tietjen|m", "Rosemarie|Hupfauf|f",
            "Ahmad|Rahimi|m", "Edeltraud|Pfisterer|f", "Lennart|Brüggemann|m",
        ),
        "fr": names(
            "Solène|Guillermic|f", "Amadou|Traoré|m", "Ségolène|Castagnet|f",
            "Baptiste|Lacombe|m", "Leïla|Mansouri|f", "Gaspard|Fournerie|m",
            "Odile|Brossard|f", "Kévin|Tanguy|m", "Olive|Vigouroux|f",
            "Hoang|Tran|m", "Clotilde|Margerit|f", "Yves|Kerhervé|m",
        ),
        "it": names(
            "Graziella|Toffanin|f", "Osvaldo|Brugnaro|m", "Chiamaka|Obi|f",
            "Marisa|Scolari|f", "Fortunato|Pizzimenti|m", "Liang|Zhou|m",
            "Cesira|Mastrangelo|f", "Nicolò|Fabbrizzi|m", "Ana|Marinescu|f",
            "Severino|Lucchesi|m", "Pina|Sciortino|f", "Ivano|Bortolussi|m",
        ),
        "es": names(
            "Encarnación|Robledillo|f", "Leandro|Cuadrado|m", "Yaiza|Betancor|f",
            "Mohamed|Bouchta|m", "Itziar|Larrañaga|f", "Consuelo|Vizcaíno|f",
            "Jhon|Mosquera|m", "Nerea|Arregi|f", "Bienvenido|Solís|m",
            "Mihaela|Dumitru|f", "Gumersindo|Pardiñas|m", "Lucía|Carbonell|f",
        ),
        "nl": names(
            "Trijntje|Hoogeveen|f", "Femke|Oudshoorn|f", "Mustafa|Yilmaz|m",
            "Hanneke|Brouwer|f", "Klaas|Dijkhuizen|m", "Sanne|Tiemersma|f",
            "Priscilla|Doelwijt|f", "Wim|Koopmans|m", "Esmée|Rademaker|f",
            "Koen|Zandbergen|m", "Aukje|Hettema|f", "Romano|Kartosen|m",
        ),
        "pl": tuple(names(*(f"{n.first[0]}|{n.last[0]}|{n.sex}" for n in PL_NAMES))),
    },
    particle={
        "en": names(
            "Aoife|O'Shaughnessy|f", "Callum|MacLennan|m", "Rafael|de los Santos|m",
            "Marguerite|d'Arcy|f", "Euan|McCorquodale|m", "Hanna|van Zyl|f",
        ),
        "de": names(
            "Viktoria|von Oppersdorff|f", "Leopold|von und zu Steinach|m",
            "Ansgar|ten Brink|m", "Beatrix|zur Nedden|f", "Giulia|de Santis|f",
            "Konrad|van Laack|m",
        ),
        "fr": names(
            "Blanche|de Vaulchier|f", "Gaëtan|d'Harcourt|m", "Armelle|Le Bihan|f",
            "Sixtine|du Mesnil|f", "Lucas|de la Fuente|m", "Ronan|Le Roux|m",
        ),
        "it": names(
            "Ottavia|De Cristofaro|f", "Leonardo|Lo Cascio|m", "Marta|D'Onofrio|f",
            "Arturo|Dal Molin|m", "Giuditta|di Serego|f", "Salvo|La Spina|m",
        ),
        "es": names(
            "Gonzalo|de la Vega|m", "Macarena|del Castillo|f", "Borja|de Urquijo|m",
            "Almudena|de la Torre|f", "Rodrigo|de los Llanos|m", "Covadonga|de Castro|f",
        ),
        "nl": names(
            "Merel|van Wijngaarden|f", "Ruud|de Boer|m", "Nienke|van der Zwaag|f",
            "Gijs|ten Cate|m", "Ineke|van Es|f", "Thijs|uit den Bogaard|m",
        ),
        "pl": names("Ludwik|de Laveaux|m", "Helena|von Kessel|f"),
    },
    compound={
        "en": names(
            "Philippa|Lane-Fox|f", "Ama|Owusu-Ansah|f", "Rupert|Carew-Pole|m",
            "Mary-Kate|Dunleavy|f",
        ),
        "de": names(
            "Hans-Jürgen|Pollmeier|m", "Eva-Maria|Krause-Wendland|f",
            "Jan-Hendrik|Böttcher-Lahn|m", "Sabine|Hoffmann-Ried|f",
        ),
        "fr": names(
            "Marie-Thérèse|Pouliquen|f", "Jean-Marc|Lefebvre-Anquetil|m",
            "Paul-Henri|Cassou-Noguès|m", "Anne-Sophie|Barbe-Duval|f",
        ),
        "it": names(
            "Maria Luisa|Fedrigo|f", "Pier Paolo|Sbrissa|m", "Anna Rita|Colasanti|f",
            "Gian Marco|Pelizzoni|m",
        ),
        "es": names(
            "María Ángeles|Cuenca Morales|f", "Francisco Javier|Rubio-Aranda|m",
            "Rosa María|Expósito Gil|f", "Juan Manuel|Ledesma Paz|m",
        ),
        "nl": names(
            "Anne-Wil|Vos|f", "Jan-Kees|Hoogendijk|m", "Els|Verbeek-Smit|f",
            "Henk-Jan|Oosterveld|m",
        ),
        "pl": names(
            "Monika|Wójcik-Lewandowska|f", "Krystyna|Bąk-Szewczyk|f",
            "Maciej|Rybak-Ostrowski|m", "Maria Magdalena|Sowa|f",
        ),
    },
    towns={
        "en": (
            "Ambleside", "Helmsley", "Oakham", "Wymondham", "Kirkcudbright", "Dolgellau",
            "Bakewell", "Tewkesbury", "Pickering", "Buckie", "Westport", "Carnforth",
        ),
        "de": (
            "Nördlingen", "Cochem", "Wolgast", "Bückeburg", "Bad Segeberg", "Pirna",
            "Lindau", "Itzehoe", "Rinteln", "Greiz", "Leer", "Kulmbach",
        ),
        "fr": (
            "Lannion", "Pézenas", "Ussel", "Dole", "Autun", "Nérac", "Riom", "Morlaix",
            "Bressuire", "Digne-les-Bains", "Uzès", "Mende",
        ),
        "it": (
            "Camogli", "Recanati", "Pienza", "Nuoro", "Lanciano", "Bormio", "Noto",
            "Vignola", "Caltagirone", "Sacile", "Tropea", "Chiavenna",
        ),
        "es": (
            "Cangas de Onís", "Sepúlveda", "Tudela", "Lorca", "Almagro", "Plasencia",
            "Mondoñedo", "Cuéllar", "Alcoy", "Benasque", "Sigüenza", "Lerma",
        ),
        "nl": (
            "Franeker", "Enkhuizen", "Kampen", "Oisterwijk", "Delfzijl", "Boxmeer", "Goes",
            "Dokkum", "Nijkerk", "Hattem", "Zutphen", "Veere",
        ),
    },
    pl_names=PL_NAMES,
    pl_towns=(
        PlTown("Krosno", "Krosna", "Krośnie", "Krosnem"),
        PlTown("Sanok", "Sanoka", "Sanoku", "Sanokiem"),
        PlTown("Łowicz", "Łowicza", "Łowiczu", "Łowiczem"),
        PlTown("Piła", "Piły", "Pile", "Piłą"),
        PlTown("Nysa", "Nysy", "Nysie", "Nysą"),
        PlTown("Leszno", "Leszna", "Lesznie", "Lesznem"),
        PlTown("Otwock", "Otwocka", "Otwocku", "Otwockiem"),
        PlTown("Wieliczka", "Wieliczki", "Wieliczce", "Wieliczką"),
        PlTown("Jarosław", "Jarosławia", "Jarosławiu", "Jarosławiem"),
        PlTown("Skierniewice", "Skierniewic", "Skierniewicach", "Skierniewicami", z="ze"),
        PlTown("Stargard", "Stargardu", "Stargardzie", "Stargardem", z="ze"),
        PlTown("Dębica", "Dębicy", "Dębicy", "Dębicą"),
    ),
)  # fmt: skip

if __name__ == "__main__":
    main("holdout3", SEED, TEMPLATES, POOLS, HOLDOUT3_FILE)
