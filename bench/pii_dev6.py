# ruff: noqa: E501  (templates are sentences, one a line)
"""The sixth PII tuning set, **dev6** (``bench/data/pii_dev6.jsonl``), in two halves.

Written on 2026-11-30 (issue 16, round 7) without reading the detector's code, rules,
tests or the privacy guide, and without reading any holdout, after holdout3 showed that
rules tuned on dev5's phrasings did not transfer. So the weight is on *syntax* rather
than on more of dev5's kinds: many templates with two sentences each (dev5 had few with
five), 442 sentences, names as objects, in the passive, in lists, after commas, in
signatures (on their own line), in parentheses, in "cc:" lines, possessives, lower-case
chat typing, Polish names in the genitive, dative and instrumental (with and without
"pan"/"pani", and in lower case); places tied to a person in many phrasings ("drove over
from", "lives with her parents in", "works near", "was transferred from the hospital
in", "commutes from", "grew up in", "rents a room in", Polish towns in the genitive,
locative and instrumental, plural town names); identifiers, IBANs and phones in the
generators' forms. Negatives (90 of 442, a fifth; a negative template without a slot
gives one sentence): a town as an organisation's seat, departments and job titles,
months, car models named after places, internal extensions and room numbers, statute
articles, words that are names elsewhere, identifiers/IBANs with wrong check digits.
Hand-typed names and towns, none from dev5; built by ``pii_handwritten.py`` (slots
documented there).

The set is split by template, not by sentence, into two halves with a fixed seed
(``SPLIT_SEED``), per language and separately for positive and negative templates:
**dev6a** is tuned on (``pii_eval.py --split dev6a`` prints its misses) and **dev6b**
is a within-session check of transfer to other phrasings (``--split dev6b`` prints
figures only, never its sentences; never tuned on). Every sentence's ``split`` field
says its half.

    .venv/bin/python bench/pii_dev6.py [--force]
"""

from __future__ import annotations

import argparse
import random

from pii_corpus import DATA_DIR, LANGS, Sample
from pii_handwritten import PlTown, Pools, build, names, pl_names, write

SEED = 20261207
SPLIT_SEED = 7
DEV6_FILE = DATA_DIR / "pii_dev6.jsonl"
HALVES = ("dev6a", "dev6b")

TEMPLATES: dict[str, list[str]] = {
    "en": [
        "E|Hi all, {P_M} drove over from {T} this morning to sign the lease.",
        "L|We have written to {P} twice about the arrears, without reply.",
        "F|Signature of applicant: {COMP}   Usual address: {T}",
        "E|Kind regards,\n{P}\n{PHONE}",
        "C|The parcel was left with a neighbour ({P_F}) instead of at my flat in {T}.",
        "R|Mrs {S_F} was transferred from the hospital in {T} on Friday; her daughter can be reached on {PHONE_EXT}.",
        "Q|did anyone hear back from {P_LC} about the boiler?",
        "E|sorry typing on my phone, {S_LC} wants the keys back by monday",
        "L|Present at the meeting: {P}, {P} and {PART}.",
        "C|My late husband's pension was paid into {P_POSS} account by mistake.",
        "R|The patient stays at her parents' place in {T} and works part-time near {T}.",
        "F|Name {P_M} | NI/SSN {ID} | IBAN {IBAN}",
        "E|{P_POSS_F} new number is {PHONE}, she moved out to {T} last month.",
        "L|I am writing on behalf of my mother, {P_F}, who has lived in {T} since 1978.",
        "C|Nobody told {S} that the appointment had been cancelled.",
        "Q|is {PART_S_LC} still working and living near {T}?",
        "E|Thanks, {P_M}! I'll forward the invoice to {P_F} tomorrow.",
        "R|Referred by Dr {PART_S}; the patient grew up in {T} and now rents a room in {T}.",
        "L|The cheque was made out to {COMP} and posted to her address in {T}.",
        "F|Account holder: {PART} / IBAN: {IBAN} / Tel.: {PHONE}",
        "C|I rang Mr {S_M} three times and was told he had gone back to {T} for good.",
        "E|cc: {P_LC}, {P_LC}",
        "L|The power of attorney was signed by {P} and witnessed by {P}.",
        "R|{P_M}, 71, commutes from {T} three days a week for dialysis.",
        "E|Please pay the deposit back to {P_F}: {IBAN}. She is with her son in {T} until June.",
        "N|The branch in {T_ORG} will close at noon on Christmas Eve.",
        "N|In August the Quality Team restarts induction training for new nurses.",
        "N|The Jazz and the Civic from the pool cars are booked in for their MOT next week.",
        "N|Reference {BAD_ID} was rejected because the check character is wrong.",
        "N|The transfer to {BAD_IBAN} failed: invalid checksum.",
        "N|If the printer on floor 3 jams again, call the service desk on extension 4410.",
        "N|Hope, Faith and Charity are the three wards of the hospice in {T_ORG}.",
        "N|Under section 75 of the Consumer Credit Act the card issuer shares liability.",
        "N|The ward sister will present the new admission form on 4 March.",
    ],
    "de": [
        "E|Hallo zusammen, {P_M} ist heute früh aus {T} herübergefahren, um den Vertrag zu unterschreiben.",
        "L|Wir haben {P} bereits zweimal angeschrieben, leider ohne Antwort.",
        "F|Unterschrift Antragsteller/in: {COMP} · Wohnort: {T}",
        "E|Viele Grüße\n{P}\nTel. {PHONE}",
        "C|Das Paket wurde bei einer Nachbarin ({P_F}) abgegeben statt an meiner Wohnung in {T}.",
        "R|Frau {S_F} wurde am Freitag aus dem Krankenhaus in {T} verlegt; die Tochter ist unter {PHONE_EXT} erreichbar.",
        "Q|hat sich {P_LC} wegen der heizung schon gemeldet?",
        "E|sorry, tippe am handy – {S_LC} will die schlüssel bis montag zurück",
        "L|Anwesend: {P}, {P} und {PART}.",
        "C|Die Rente meines verstorbenen Mannes ging versehentlich auf {P_POSS} Konto.",
        "R|Die Patientin wohnt bei ihren Eltern in {T} und arbeitet halbtags in der Nähe von {T}.",
        "F|Name: {P_M} | Steuer-ID: {ID} | IBAN: {IBAN}",
        "E|{P_POSS_F} neue Nummer ist {PHONE}, sie ist letzten Monat nach {T} gezogen.",
        "L|Ich schreibe im Auftrag meiner Mutter, {P_F}, die seit 1978 in {T} lebt.",
        "C|Niemand hat {S} gesagt, dass der Termin ausfällt.",
        "Q|wohnt und arbeitet {PART_S_LC} noch in der Gegend um {T}?",
        "E|Danke, {P_M}! Die Rechnung schicke ich morgen an {P_F} weiter.",
        "R|Überwiesen von Dr. {PART_S}; der Patient ist in {T} aufgewachsen und hat jetzt ein Zimmer in {T}.",
        "L|Der Scheck wurde auf {COMP} ausgestellt und an ihre Adresse in {T} geschickt.",
        "F|Kontoinhaber: {PART} / IBAN: {IBAN} / Telefon: {PHONE}",
        "C|Ich habe dreimal bei Herrn {S_M} angerufen; angeblich ist er ganz nach {T} zurückgezogen.",
        "E|cc: {P_LC}, {P_LC}",
        "L|Die Vollmacht wurde von {P} unterschrieben und von {P} bezeugt.",
        "R|{P_M}, 71, pendelt dreimal pro Woche aus {T} zur Dialyse.",
        "E|Bitte die Kaution an {P_F} zurücküberweisen: {IBAN}. Sie ist bis Juni bei ihrem Sohn in {T}.",
        "N|Die Filiale in {T_ORG} schließt an Heiligabend bereits um 12 Uhr.",
        "N|Im August übernimmt die Stabsstelle Qualität die Einarbeitung der neuen Pflegekräfte.",
        "N|Der Golf und der Passat aus dem Fuhrpark müssen nächste Woche zur Hauptuntersuchung.",
        "N|Die Steuer-ID {BAD_ID} wurde abgelehnt, weil die Prüfziffer nicht stimmt.",
        "N|Die Überweisung auf {BAD_IBAN} ist fehlgeschlagen.",
        "N|Wenn der Drucker im 3. Stock wieder klemmt, bitte den Service unter Durchwahl 4410 anrufen.",
        "N|Herbst und Winter sind für die Stadtwerke {T_ORG} die teuersten Monate.",
        "N|Nach § 312g BGB steht Verbrauchern bei Fernabsatzverträgen ein Widerrufsrecht zu.",
        "N|Die Stationsleitung stellt am 4. März das neue Aufnahmeformular vor.",
    ],
    "fr": [
        "E|Bonjour à tous, {P_M} est venu de {T} en voiture ce matin pour signer le bail.",
        "L|Nous avons écrit à {P} à deux reprises au sujet des impayés, sans réponse.",
        "F|Nom du déclarant : {COMP} — Domicile : {T}",
        "E|Bien cordialement,\n{P}\n{PHONE}",
        "C|Le colis a été laissé chez une voisine ({P_F}) au lieu de mon appartement à {T}.",
        "R|Mme {S_F} a été transférée vendredi de l'hôpital de {T} ; sa fille est joignable au {PHONE_EXT}.",
        "Q|quelqu'un a eu des nouvelles de {P_LC} pour la chaudière ?",
        "E|dsl j'écris du téléphone, {S_LC} veut récupérer les clés lundi",
        "L|Étaient présents : {P}, {P} et {PART}.",
        "C|La pension de mon défunt mari a été versée par erreur sur le compte de {P}.",
        "R|La patiente vit chez ses parents à {T} et travaille à mi-temps près de {T}.",
        "F|Nom : {P_M} | NIR : {ID} | IBAN : {IBAN}",
        "E|Le nouveau numéro de {P_F} est le {PHONE} ; elle s'est installée à {T} le mois dernier.",
        "L|Je vous écris au nom de ma mère, {P_F}, qui habite {T} depuis 1978.",
        "C|Personne n'a prévenu {S} que le rendez-vous était annulé.",
        "Q|est-ce que {PART_S_LC} vit et travaille toujours du côté de {T} ?",
        "E|Merci {P_M} ! Je transmets la facture à {P_F} demain.",
        "R|Adressé par le Dr {PART_S} ; le patient a grandi à {T} et loue aujourd'hui une chambre à {T}.",
        "L|Le chèque a été établi à l'ordre de {COMP} et envoyé à son adresse à {T}.",
        "F|Titulaire : {PART} / IBAN : {IBAN} / Tél. : {PHONE}",
        "C|J'ai appelé trois fois M. {S_M} ; on m'a dit qu'il était reparti vivre à {T}.",
        "E|En copie : {P_LC}, {P_LC}",
        "L|La procuration a été signée par {P} en présence de {P}.",
        "R|{P_M}, 71 ans, fait le trajet depuis {T} trois fois par semaine pour sa dialyse.",
        "E|Merci de rembourser la caution à {P_F} : {IBAN}. Elle loge chez son fils à {T} jusqu'en juin.",
        "N|L'agence de {T_ORG} fermera à midi la veille de Noël.",
        "N|En août, le service Qualité reprend l'accueil des nouveaux infirmiers.",
        "N|La Clio et la Mégane du parc automobile passent au contrôle technique la semaine prochaine.",
        "N|Le numéro {BAD_ID} a été refusé : la clé de contrôle est fausse.",
        "N|Le virement vers {BAD_IBAN} a échoué.",
        "N|Si l'imprimante du 3e étage se bloque encore, appelez le support au poste 4410.",
        "N|Constance et Prudence sont les deux nouvelles résidences seniors de la mutuelle à {T_ORG}.",
        "N|Selon l'article L. 221-18 du Code de la consommation, le délai est de quatorze jours.",
        "N|La cadre de santé présentera le nouveau formulaire d'admission le 4 mars.",
    ],
    "it": [
        "E|Ciao a tutti, stamattina {P_M} è venuto in macchina da {T} per firmare il contratto.",
        "L|Abbiamo scritto due volte a {P} per gli arretrati, senza risposta.",
        "F|Firma del dichiarante: {COMP} — residente in {T}",
        "E|Cordiali saluti,\n{P}\n{PHONE}",
        "C|Il pacco è stato lasciato a una vicina ({P_F}) invece che a casa mia a {T}.",
        "R|La signora {S_F} è stata trasferita venerdì dall'ospedale di {T}; la figlia risponde al {PHONE_EXT}.",
        "Q|qualcuno ha sentito {P_LC} per la caldaia?",
        "E|scusate scrivo dal cell, {S_LC} rivuole le chiavi entro lunedì",
        "L|Presenti: {P}, {P} e {PART}.",
        "C|La pensione del mio defunto marito è stata accreditata per errore sul conto di {P}.",
        "R|La paziente vive dai genitori a {T} e lavora part-time vicino a {T}.",
        "F|Nome: {P_M} | Codice fiscale: {ID} | IBAN: {IBAN}",
        "E|Il nuovo numero di {P_F} è {PHONE}; si è trasferita a {T} il mese scorso.",
        "L|Scrivo per conto di mia madre, {P_F}, che abita a {T} dal 1978.",
        "C|Nessuno ha avvisato {S} che l'appuntamento era stato annullato.",
        "Q|{PART_S_LC} vive e lavora ancora dalle parti di {T}?",
        "E|Grazie {P_M}! Domani giro la fattura a {P_F}.",
        "R|Inviato dal dott. {PART_S}; il paziente è cresciuto a {T} e ora affitta una stanza a {T}.",
        "L|L'assegno è stato intestato a {COMP} e spedito al suo indirizzo di {T}.",
        "F|Intestatario: {PART} / IBAN: {IBAN} / Tel.: {PHONE}",
        "C|Ho chiamato tre volte il sig. {S_M}; mi dicono che è tornato a vivere a {T}.",
        "E|In copia: {P_LC}, {P_LC}",
        "L|La delega è stata firmata da {P} alla presenza di {P}.",
        "R|{P_M}, 71 anni, fa il pendolare da {T} tre volte a settimana per la dialisi.",
        "E|Vi prego di restituire la caparra a {P_F}: {IBAN}. Sta dal figlio a {T} fino a giugno.",
        "N|La filiale di {T_ORG} chiuderà alle 12 la vigilia di Natale.",
        "N|Ad agosto l'Ufficio Qualità riprende l'inserimento dei nuovi infermieri.",
        "N|La Panda e la Tipo aziendali vanno in revisione la settimana prossima.",
        "N|Il codice {BAD_ID} è stato respinto: il carattere di controllo è sbagliato.",
        "N|Il bonifico verso {BAD_IBAN} non è andato a buon fine.",
        "N|Se la stampante al terzo piano si blocca di nuovo, chiamare l'assistenza all'interno 4410.",
        "N|Speranza e Fortuna sono i nomi delle due nuove residenze per anziani della cooperativa di {T_ORG}.",
        "N|Ai sensi dell'art. 52 del Codice del consumo il recesso va esercitato entro 14 giorni.",
        "N|La caposala presenterà il nuovo modulo di ricovero il 4 marzo.",
    ],
    "es": [
        "E|Hola a todos: {P_M} vino esta mañana en coche desde {T} para firmar el contrato.",
        "L|Hemos escrito dos veces a {P} por los atrasos, sin respuesta.",
        "F|Firma del solicitante: {COMP} — con domicilio en {T}",
        "E|Un saludo,\n{P}\n{PHONE}",
        "C|Dejaron el paquete a una vecina ({P_F}) en lugar de en mi piso de {T}.",
        "R|La señora {S_F} fue trasladada el viernes desde el hospital de {T}; su hija atiende en el {PHONE_EXT}.",
        "Q|¿alguien sabe algo de {P_LC} por lo de la caldera?",
        "E|perdón escribo desde el móvil, {S_LC} quiere las llaves el lunes",
        "L|Asistentes: {P}, {P} y {PART}.",
        "C|La pensión de mi difunto marido se ingresó por error en la cuenta de {P}.",
        "R|La paciente vive en casa de sus padres en {T} y trabaja media jornada cerca de {T}.",
        "F|Nombre: {P_M} | DNI/NIE: {ID} | IBAN: {IBAN}",
        "E|El nuevo número de {P_F} es el {PHONE}; se mudó a {T} el mes pasado.",
        "L|Le escribo en nombre de mi madre, {P_F}, que vive en {T} desde 1978.",
        "C|Nadie avisó a {S} de que la cita se había anulado.",
        "Q|¿{PART_S_LC} sigue viviendo y trabajando por la zona de {T}?",
        "E|¡Gracias, {P_M}! Mañana le paso la factura a {P_F}.",
        "R|Derivado por el Dr. {PART_S}; el paciente se crio en {T} y ahora alquila una habitación en {T}.",
        "L|El cheque se extendió a nombre de {COMP} y se envió a su domicilio de {T}.",
        "F|Titular: {PART} / IBAN: {IBAN} / Tel.: {PHONE}",
        "C|Llamé tres veces al Sr. {S_M} y me dicen que ha vuelto a vivir a {T}.",
        "E|CC: {P_LC}, {P_LC}",
        "L|El poder fue firmado por {P} ante {P}.",
        "R|{P_M}, de 71 años, viaja desde {T} tres veces por semana para la diálisis.",
        "E|Devuelvan la fianza a {P_F}: {IBAN}. Está con su hijo en {T} hasta junio.",
        "N|La sucursal de {T_ORG} cerrará a las 12 en Nochebuena.",
        "N|En agosto, el Servicio de Calidad retoma la acogida del nuevo personal de enfermería.",
        "N|El Ibiza y el León de la flota pasan la ITV la semana que viene.",
        "N|El DNI {BAD_ID} fue rechazado: la letra de control no es correcta.",
        "N|La transferencia a {BAD_IBAN} no se pudo completar.",
        "N|Si la impresora de la tercera planta vuelve a atascarse, llame a soporte a la extensión 4410.",
        "N|Esperanza, Consuelo y Amparo son las tres residencias de mayores del grupo en {T_ORG}.",
        "N|Según el artículo 102 de la Ley General para la Defensa de los Consumidores, el plazo es de 14 días naturales.",
        "N|La supervisora de planta presentará el nuevo formulario de ingreso el 4 de marzo.",
    ],
    "nl": [
        "E|Hoi allemaal, {P_M} is vanochtend vanuit {T} komen rijden om het contract te tekenen.",
        "L|Wij hebben {P} twee keer aangeschreven over de achterstand, zonder reactie.",
        "F|Handtekening aanvrager: {COMP} — woonachtig te {T}",
        "E|Met vriendelijke groet,\n{P}\n{PHONE}",
        "C|Het pakket is afgegeven bij een buurvrouw ({P_F}) in plaats van bij mijn flat in {T}.",
        "R|Mevrouw {S_F} is vrijdag overgeplaatst vanuit het ziekenhuis in {T}; haar dochter is bereikbaar op {PHONE_EXT}.",
        "Q|heeft iemand al wat gehoord van {P_LC} over de cv-ketel?",
        "E|sorry typ vanaf mn telefoon, {S_LC} wil de sleutels maandag terug",
        "L|Aanwezig: {P}, {P} en {PART}.",
        "C|Het pensioen van mijn overleden man is per ongeluk op {P_POSS} rekening gestort.",
        "R|Patiënte woont bij haar ouders in {T} en werkt parttime in de buurt van {T}.",
        "F|Naam: {P_M} | BSN: {ID} | IBAN: {IBAN}",
        "E|{P_POSS_F} nieuwe nummer is {PHONE}; ze is vorige maand naar {T} verhuisd.",
        "L|Ik schrijf namens mijn moeder, {P_F}, die sinds 1978 in {T} woont.",
        "C|Niemand heeft {S} verteld dat de afspraak niet doorging.",
        "Q|woont en werkt {PART_S_LC} nog steeds in de omgeving van {T}?",
        "E|Dank je, {P_M}! Ik stuur de factuur morgen door naar {P_F}.",
        "R|Verwezen door dr. {PART_S}; de patiënt is opgegroeid in {T} en huurt nu een kamer in {T}.",
        "L|De cheque is uitgeschreven op naam van {COMP} en naar haar adres in {T} gestuurd.",
        "F|Rekeninghouder: {PART} / IBAN: {IBAN} / Tel.: {PHONE}",
        "C|Ik heb drie keer meneer {S_M} gebeld; hij schijnt weer in {T} te wonen.",
        "E|cc: {P_LC}, {P_LC}",
        "L|De volmacht is ondertekend door {P} in aanwezigheid van {P}.",
        "R|{P_M} (71) reist drie keer per week vanuit {T} heen en weer voor dialyse.",
        "E|Graag de borg terugstorten aan {P_F}: {IBAN}. Ze logeert tot juni bij haar zoon in {T}.",
        "N|Het filiaal in {T_ORG} sluit op kerstavond om 12 uur.",
        "N|In augustus hervat de afdeling Kwaliteit de inwerkdagen voor nieuwe verpleegkundigen.",
        "N|De Polo en de Octavia uit het wagenpark moeten volgende week naar de APK.",
        "N|BSN {BAD_ID} is afgewezen: de elfproef klopt niet.",
        "N|De overboeking naar {BAD_IBAN} is mislukt.",
        "N|Als de printer op de derde verdieping weer vastloopt, bel dan de servicedesk op toestel 4410.",
        "N|De Gouden Leeuw en De Zwaan zijn de twee oudste hotels van {T_ORG}.",
        "N|Volgens artikel 6:230o BW heeft de consument een bedenktijd van 14 dagen.",
        "N|De teamleider van Cardiologie presenteert op 4 maart het nieuwe opnameformulier.",
    ],
    "pl": [
        "E|Cześć wszystkim, {P_M} przyjechał dziś rano samochodem {PL_Z}, żeby podpisać umowę.",
        "L|Dwukrotnie pisaliśmy do {PLN_GEN} w sprawie zaległości, bez odpowiedzi.",
        "F|Podpis wnioskodawcy: {COMP}; miejsce zamieszkania: {T}",
        "E|Pozdrawiam serdecznie\n{P}\n{PHONE}",
        "C|Paczkę zostawiono u sąsiadki ({P_F}) zamiast w moim mieszkaniu {PL_W}.",
        "R|Pani {S_F} została w piątek przeniesiona ze szpitala {PL_W}; córka odbiera pod numerem {PHONE_EXT}.",
        "Q|czy ktoś miał kontakt z {PLN_INS_LC} w sprawie pieca?",
        "E|sorki pisze z telefonu, {S_LC} chce klucze z powrotem do poniedziałku",
        "L|Obecni: {P}, {P} i {PART}.",
        "C|Emerytura mojego zmarłego męża wpłynęła przez pomyłkę na konto {PLN_GEN}.",
        "R|Pacjentka mieszka u rodziców {PL_W} i pracuje na pół etatu niedaleko {PL_GEN}.",
        "F|Imię i nazwisko: {P_M} | PESEL: {ID} | IBAN: {IBAN}",
        "E|Nowy numer {PAN_GEN_F} to {PHONE}; w zeszłym miesiącu przeprowadziła się {PL_DO}.",
        "L|Piszę w imieniu mojej mamy, {PLN_GEN_F}, która od 1978 roku mieszka {PL_W}.",
        "C|Nikt nie powiadomił {PAN_GEN} o odwołaniu wizyty.",
        "Q|czy {S_LC} dalej mieszka i pracuje w okolicach {PL_GEN}?",
        "E|Dzięki, {P_M}! Jutro przekażę fakturę {PLN_DAT}.",
        "R|Skierowany przez dr. {PART_S}; pacjent wychował się {PL_W}, a teraz wynajmuje pokój {PL_POD}.",
        "L|Czek wystawiono na {COMP} i wysłano na jej adres {PL_W}.",
        "F|Właściciel rachunku: {PART} / IBAN: {IBAN} / Tel.: {PHONE}",
        "C|Trzy razy dzwoniłem do {PAN_GEN_M}; podobno wrócił na stałe {PL_DO}.",
        "E|do wiadomości: {P_LC}, {P_LC}",
        "L|Pełnomocnictwo podpisał {P_M} w obecności {PLN_GEN}.",
        "R|{P_M}, lat 71, dojeżdża {PL_Z} na dializy trzy razy w tygodniu.",
        "E|Proszę zwrócić kaucję {PAN_DAT_F}: {IBAN}. Do czerwca mieszka u syna {PL_POD}.",
        "C|Rozmawiałam z {PLS_INS} z działu kadr i od tamtej pory cisza.",
        "N|Oddział banku {PL_W_ORG} będzie w Wigilię czynny do 12.",
        "N|W sierpniu Dział Jakości wznawia szkolenia wdrożeniowe dla nowych pielęgniarek.",
        "N|Skoda Octavia i Toyota Corolla z floty idą w przyszłym tygodniu na przegląd.",
        "N|Numer {BAD_ID} odrzucono: cyfra kontrolna się nie zgadza.",
        "N|Przelew na rachunek {BAD_IBAN} nie został zrealizowany.",
        "N|Jeśli drukarka na trzecim piętrze znowu się zatnie, proszę dzwonić do serwisu, wewnętrzny 4410.",
        "N|Sowa i Wrona to nazwy dwóch nowych sal konferencyjnych na trzecim piętrze.",
        "N|Zgodnie z art. 27 ustawy o prawach konsumenta termin na odstąpienie wynosi 14 dni.",
        "N|Pielęgniarka oddziałowa przedstawi nowy formularz przyjęcia 4 marca.",
    ],
}

PL_NAMES = pl_names(
    "m|Władysław,Władysława,Władysławowi,Władysławem|Jaworski,Jaworskiego,Jaworskiemu,Jaworskim",
    "f|Grażyna,Grażyny,Grażynie,Grażyną|Kwiatkowska,Kwiatkowskiej,Kwiatkowskiej,Kwiatkowską",
    "m|Kazimierz,Kazimierza,Kazimierzowi,Kazimierzem|Wójcik,Wójcika,Wójcikowi,Wójcikiem",
    "f|Danuta,Danuty,Danucie,Danutą|Pawlak,Pawlak,Pawlak,Pawlak",
    "m|Mirosław,Mirosława,Mirosławowi,Mirosławem|Baran,Barana,Baranowi,Baranem",
    "f|Halina,Haliny,Halinie,Haliną|Sowa,Sowy,Sowie,Sową",
    "m|Jerzy,Jerzego,Jerzemu,Jerzym|Kaczmarek,Kaczmarka,Kaczmarkowi,Kaczmarkiem",
    "f|Agnieszka,Agnieszki,Agnieszce,Agnieszką|Mróz,Mróz,Mróz,Mróz",
    "m|Dariusz,Dariusza,Dariuszowi,Dariuszem|Ostrowski,Ostrowskiego,Ostrowskiemu,Ostrowskim",
    "f|Teresa,Teresy,Teresie,Teresą|Dudek,Dudek,Dudek,Dudek",
    "m|Bogdan,Bogdana,Bogdanowi,Bogdanem|Wrona,Wrony,Wronie,Wroną",
    "f|Natalia,Natalii,Natalii,Natalią|Kowalczyk,Kowalczyk,Kowalczyk,Kowalczyk",
    "m|Stanisław,Stanisława,Stanisławowi,Stanisławem|Głowacki,Głowackiego,Głowackiemu,Głowackim",
    "f|Jadwiga,Jadwigi,Jadwidze,Jadwigą|Kubiak,Kubiak,Kubiak,Kubiak",
)

POOLS = Pools(
    full={
        "en": names(
            "Margery|Thistlewood|f", "Desmond|Akinola|m", "Dawn|Pilkington|f",
            "Cormac|Breslin|m", "Penny|Marchbank|f", "Rajesh|Venkataraman|m",
            "Bethan|Gwilliam|f", "Leofric|Hatherley|m", "Sunita|Bhattacharya|f",
            "Ewan|Crabtree|m", "Hope|Ashdown|f", "Baxter|Mould|m", "Carys|Penhaligon|f",
            "Tobias|Wrenfield|m",
        ),
        "de": names(
            "Waltraud|Biermösl|f", "Gunnar|Pöhlmann|m", "Ayşe|Karakaya|f",
            "Milan|Jovanović|m", "Roswitha|Klingelhöfer|f", "Detlef|Haberkorn|m",
            "Oksana|Wiebe|f", "Bernd|Winter|m", "Heike|Sommer|f", "Malte|Ohlendorf|m",
            "Tuan|Pham|m", "Swantje|Fuchs|f",
        ),
        "fr": names(
            "Solène|Kerbrat|f", "Gaëtan|Morvan|m", "Aminata|Traoré|f", "Youssef|Bensaïd|m",
            "Clémence|Fougerolles|f", "Régis|Pontmartin|m", "Noémie|Castagné|f",
            "Hervé|Lacombe|m", "Blanche|Aubry|f", "Florent|Mercier|m", "Agathe|Vidal|f",
            "Rémi|Salaün|m",
        ),
        "it": names(
            "Graziella|Buonocore|f", "Ettore|Scognamiglio|m", "Chiamaka|Eze|f",
            "Fabrizio|Lanzillotta|m", "Speranza|Murgia|f", "Amedeo|Tosatto|m",
            "Rosaria|Cuccurullo|f", "Mirko|Baldan|m", "Letizia|Serra|f", "Hamza|Ouali|m",
            "Nives|Pavan|f", "Dario|Fontana|m",
        ),
        "es": names(
            "Remedios|Carrasco|f", "Eusebio|Garmendia|m", "Milagros|Santamaría|f",
            "Yeray|Hernández|m", "Lucía|Pozuelo|f", "Anselmo|Bravo|m", "Soledad|Lorente|f",
            "Jhon|Mosquera|m", "Itziar|Arrieta|f", "Mustafá|Benjelloun|m",
            "Paz|Calatrava|f", "Gonzalo|Manrique|m",
        ),
        "nl": names(
            "Geertruida|Veldkamp|f", "Koen|Hazelhoff|m", "Yasmina|Bouzambou|f",
            "Thijs|Wagenaar|m", "Femke|Dijkhuizen|f", "Ruud|Kok|m", "Esmee|Visser|f",
            "Hakan|Yılmaz|m", "Wilhelmina|Post|f", "Stijn|Bakker|m", "Fleur|Smit|f",
            "Ravi|Ramdin|m",
        ),
        "pl": tuple(names(*(f"{n.first[0]}|{n.last[0]}|{n.sex}" for n in PL_NAMES))),
    },
    particle={
        "en": names(
            "Declan|O'Callaghan|m", "Morag|MacKinnon|f", "Annelie|van Schalkwyk|f",
            "Lucien|de Villiers|m", "Fionnuala|Ní Bhriain|f", "Seamus|Mac Giolla|m",
        ),
        "de": names(
            "Leopold|von Hohenau|m", "Mechthild|von dem Bussche|f", "Konstantin|zu Sayn|m",
            "Anke|van der Linde|f", "Henrike|vom Stein|f", "Arne|ter Veen|m",
        ),
        "fr": names(
            "Aymeric|de Saint-Just|m", "Ségolène|d'Harcourt|f", "Yannick|Le Goff|m",
            "Bérénice|de la Fontaine|f", "Mathis|du Roure|m", "Samia|Ben Ammar|f",
        ),
        "it": names(
            "Gaetano|Di Stefano|m", "Annalisa|De Luca|f", "Rocco|Lo Bianco|m",
            "Margherita|Dal Santo|f", "Vittoria|Della Valle|f", "Emanuele|D'Agostino|m",
        ),
        "es": names(
            "Cayetana|de la Vega|f", "Borja|del Río|m", "Inmaculada|de los Santos|f",
            "Ramiro|de Castro|m", "Mercedes|de Ávila|f", "Lorenzo|de las Cuevas|m",
        ),
        "nl": names(
            "Joost|van den Broek|m", "Annemiek|de Wit|f", "Gijs|van 't Zand|m",
            "Ineke|ten Brink|f", "Sander|van der Zee|m", "Noor|in den Bosch|f",
        ),
        "pl": names("Zofia|de Virion|f", "Henryk|von Lossow|m"),
    },
    compound={
        "en": names(
            "Harriet-Rose|Bamford|f", "Oliver|Ashby-Crane|m",
            "Kwame|Boateng-Lartey|m", "Lucy|Fenwick-Moore|f",
        ),
        "de": names(
            "Hans-Peter|Mühlbauer|m", "Eva-Maria|Kötter-Lindner|f",
            "Karl-Heinz|Reiß|m", "Ann-Kathrin|Vogelsang-Ebert|f",
        ),
        "fr": names(
            "Marie-Hélène|Dufresne|f", "Jean-Marc|Roussel-Pagès|m",
            "Anne-Sophie|Lefort|f", "Paul-Émile|Carrère|m",
        ),
        "it": names(
            "Anna Rita|Scarpellini|f", "Gian Paolo|Morandi|m",
            "Maria Luisa|Ferraro Galli|f", "Pier Luigi|Botta|m",
        ),
        "es": names(
            "Ana Isabel|Prieto Nogales|f", "Francisco Javier|Ruiz-Tagle|m",
            "María del Mar|Segura|f", "Luis Miguel|Casado Ferrer|m",
        ),
        "nl": names(
            "Anne-Marije|Huisman|f", "Jan-Pieter|Groot-Wassink|m",
            "Marie-Louise|Hofstede|f", "Kees-Jan|Vos-de Lange|m",
        ),
        "pl": names(
            "Katarzyna|Wąsik-Bury|f", "Piotr|Skała-Nowicki|m",
            "Maria Magdalena|Cichoń|f", "Ewa|Lis-Borowska|f",
        ),
    },
    towns={
        "en": (
            "Helmsley", "Buxton", "Sherborne", "Dolgellau", "Wells", "Reading", "Bath",
            "Cockermouth", "Frome", "Westport", "Dingle", "Crieff",
        ),
        "de": (
            "Rinteln", "Büsum", "Wunsiedel", "Schwäbisch Hall", "Bad Kissingen",
            "Weißenfels", "Leer", "Kappeln", "Ansbach", "Prüm", "Mölln", "Emden",
        ),
        "fr": (
            "Dieppe", "Lannion", "Aurillac", "Digne-les-Bains", "Saumur", "Privas", "Apt",
            "Bar-le-Duc", "Vierzon", "Tulle", "Morlaix", "Mende",
        ),
        "it": (
            "Orvieto", "Bagnoregio", "Chiavari", "Aosta", "Merano", "Noto", "Ragusa",
            "Lecco", "Potenza", "Iglesias", "Pordenone", "Cefalù",
        ),
        "es": (
            "Cangas de Onís", "Tudela", "Ronda", "Cuenca", "Betanzos", "Calatayud",
            "Laredo", "Mérida", "Sigüenza", "Tomelloso", "Villena", "Estella",
        ),
        "nl": (
            "Dokkum", "Bolsward", "Zutphen", "Kampen", "Goes", "Venlo", "Roermond", "Oss",
            "Den Helder", "Brielle", "Lochem", "Emmen",
        ),
    },
    pl_names=PL_NAMES,
    pl_towns=(
        PlTown("Gniezno", "Gniezna", "Gnieźnie", "Gnieznem"),
        PlTown("Przemyśl", "Przemyśla", "Przemyślu", "Przemyślem"),
        PlTown("Kętrzyn", "Kętrzyna", "Kętrzynie", "Kętrzynem"),
        PlTown("Zamość", "Zamościa", "Zamościu", "Zamościem"),
        PlTown("Łowicz", "Łowicza", "Łowiczu", "Łowiczem"),
        PlTown("Ostrołęka", "Ostrołęki", "Ostrołęce", "Ostrołęką"),
        PlTown("Sandomierz", "Sandomierza", "Sandomierzu", "Sandomierzem"),
        PlTown("Chełm", "Chełma", "Chełmie", "Chełmem"),
        PlTown("Wadowice", "Wadowic", "Wadowicach", "Wadowicami"),
        PlTown("Szczytno", "Szczytna", "Szczytnie", "Szczytnem", z="ze"),
        PlTown("Władysławowo", "Władysławowa", "Władysławowie", "Władysławowem", w="we"),
        PlTown("Nowy Targ", "Nowego Targu", "Nowym Targu", "Nowym Targiem"),
    ),
)  # fmt: skip


def once(samples: list[Sample]) -> list[Sample]:
    """The samples without repeats: a negative template with no slot gives one sentence
    (the builder writes it ``per_negative`` times, the same each time)."""
    seen: set[str] = set()
    out = []
    for s in samples:
        if s.text not in seen:
            seen.add(s.text)
            out.append(s)
    return out


def halves(
    samples: list[Sample], seed: int = SPLIT_SEED, names: tuple[str, str] = HALVES
) -> list[Sample]:
    """The samples with ``split`` set to ``names`` (dev6a or dev6b; ``pii_dev7.py`` passes
    its own): every template's sentences go to one half, drawn with ``seed`` per language,
    positive and negative templates apart."""
    rng = random.Random(seed)
    first: set[str] = set()
    for lang in LANGS:
        for negative in (False, True):
            keys = sorted(
                {
                    s.id.rsplit("-", 1)[0]
                    for s in samples
                    if s.lang == lang and (s.genre == "negative") == negative
                }
            )
            rng.shuffle(keys)
            first.update(keys[: (len(keys) + 1) // 2])
    for s in samples:
        s.split = names[0] if s.id.rsplit("-", 1)[0] in first else names[1]
    return samples


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=f"write {DEV6_FILE.name}")
    parser.add_argument("--force", action="store_true", help="overwrite an existing file")
    samples = halves(once(build("dev6", SEED, TEMPLATES, POOLS, per_positive=2, per_negative=2)))
    write(samples, DEV6_FILE, parser.parse_args().force)
