"""A small multilingual retrieval set about the GDPR (Regulation (EU) 2016/679).

No translation of the GDPR is on the build machine (only the English text,
bench/qa/gdpr.md) and no package on the registry ships one, so these passages
were WRITTEN FOR THIS BENCHMARK: each is a short summary, in our own words, of
what one article says, in English, German, French, Italian and Polish (the
official texts are not copied). The questions were written apart from the
passages, as staff would ask them, and avoid the passages' wording where a
natural question allows. Licence: same as this repository.

14 topics (articles) x 5 languages; each question has exactly one right topic.
"""

from __future__ import annotations

LANGUAGES = ("en", "de", "fr", "it", "pl")

# topic id -> {"passage": {lang: text}, "question": {lang: text}}
TOPICS: dict[str, dict[str, dict[str, str]]] = {
    "art17-erasure": {
        "passage": {
            "en": "Right to erasure. A person can require the controller to delete their personal "
            "data without undue delay, for instance when the data are no longer needed for the "
            "purpose they were collected for, when consent is withdrawn, or when they were "
            "processed unlawfully.",
            "de": "Recht auf Löschung. Eine Person kann verlangen, dass der Verantwortliche ihre "
            "personenbezogenen Daten unverzüglich löscht, etwa wenn sie für den Zweck der "
            "Erhebung nicht mehr gebraucht werden, die Einwilligung widerrufen wurde oder die "
            "Verarbeitung unrechtmäßig war.",
            "fr": "Droit à l'effacement. Une personne peut exiger du responsable du traitement "
            "qu'il efface ses données personnelles dans les meilleurs délais, par exemple "
            "lorsqu'elles ne sont plus nécessaires à la finalité de la collecte, que le "
            "consentement a été retiré ou que le traitement était illicite.",
            "it": "Diritto alla cancellazione. Una persona può ottenere dal titolare la "
            "cancellazione dei propri dati personali senza ingiustificato ritardo, per esempio "
            "quando non sono più necessari per lo scopo della raccolta, quando il consenso è "
            "stato revocato o quando il trattamento era illecito.",
            "pl": "Prawo do usunięcia danych. Osoba może żądać od administratora niezwłocznego "
            "usunięcia jej danych osobowych, na przykład gdy nie są już potrzebne do celu, w "
            "którym je zebrano, gdy cofnęła zgodę albo gdy były przetwarzane niezgodnie z "
            "prawem.",
        },
        "question": {
            "en": "Can a former customer make us wipe everything we keep about them?",
            "de": "Kann ein ehemaliger Kunde verlangen, dass wir alles über ihn entfernen?",
            "fr": "Un ancien client peut-il nous obliger à supprimer tout ce que nous avons "
            "sur lui ?",
            "it": "Un ex cliente può costringerci a eliminare tutto ciò che conserviamo su di lui?",
            "pl": "Czy były klient może zmusić nas do skasowania wszystkiego, co o nim mamy?",
        },
    },
    "art33-breach": {
        "passage": {
            "en": "Notification of a personal data breach. The controller informs the supervisory "
            "authority of a breach without undue delay and, where feasible, within 72 hours of "
            "becoming aware of it, unless the breach is unlikely to result in a risk to people.",
            "de": "Meldung einer Verletzung des Schutzes personenbezogener Daten. Der "
            "Verantwortliche meldet die Verletzung der Aufsichtsbehörde unverzüglich und "
            "möglichst binnen 72 Stunden, nachdem sie ihm bekannt wurde, es sei denn, sie führt "
            "voraussichtlich zu keinem Risiko für die Betroffenen.",
            "fr": "Notification d'une violation de données. Le responsable du traitement notifie "
            "la violation à l'autorité de contrôle dans les meilleurs délais et, si possible, "
            "72 heures au plus tard après en avoir pris connaissance, sauf si elle n'engendre "
            "probablement aucun risque pour les personnes.",
            "it": "Notifica di una violazione dei dati. Il titolare notifica la violazione "
            "all'autorità di controllo senza ingiustificato ritardo e, ove possibile, entro 72 "
            "ore dal momento in cui ne è venuto a conoscenza, salvo che sia improbabile che "
            "presenti un rischio per le persone.",
            "pl": "Zgłaszanie naruszenia ochrony danych. Administrator zgłasza naruszenie organowi "
            "nadzorczemu bez zbędnej zwłoki, w miarę możliwości w ciągu 72 godzin od jego "
            "stwierdzenia, chyba że jest mało prawdopodobne, by skutkowało ryzykiem dla osób.",
        },
        "question": {
            "en": "Someone hacked our server and copied patient files: how fast must the regulator "
            "hear about it?",
            "de": "Unser Server wurde gehackt und Patientenakten kopiert: wie schnell müssen wir "
            "die Behörde informieren?",
            "fr": "Notre serveur a été piraté et des dossiers de patients copiés : en combien de "
            "temps faut-il prévenir la CNIL ?",
            "it": "Il nostro server è stato attaccato e sono state copiate cartelle di pazienti: "
            "entro quanto dobbiamo avvisare il Garante?",
            "pl": "Ktoś włamał się na nasz serwer i skopiował dokumentację pacjentów: jak szybko "
            "musimy powiadomić urząd?",
        },
    },
    "art20-portability": {
        "passage": {
            "en": "Right to data portability. People may receive the data they provided in a "
            "structured, commonly used and machine-readable format and pass them to another "
            "controller, where processing is based on consent or a contract and carried out by "
            "automated means.",
            "de": "Recht auf Datenübertragbarkeit. Betroffene können die Daten, die sie "
            "bereitgestellt haben, in einem strukturierten, gängigen und maschinenlesbaren "
            "Format erhalten und einem anderen Verantwortlichen übermitteln, wenn die "
            "Verarbeitung auf Einwilligung oder Vertrag beruht und automatisiert erfolgt.",
            "fr": "Droit à la portabilité. La personne peut recevoir les données qu'elle a "
            "fournies dans un format structuré, couramment utilisé et lisible par machine, et "
            "les transmettre à un autre responsable, lorsque le traitement repose sur le "
            "consentement ou un contrat et est automatisé.",
            "it": "Diritto alla portabilità dei dati. L'interessato può ricevere i dati che ha "
            "fornito in un formato strutturato, di uso comune e leggibile da dispositivo "
            "automatico e trasmetterli a un altro titolare, se il trattamento si basa sul "
            "consenso o su un contratto ed è automatizzato.",
            "pl": "Prawo do przenoszenia danych. Osoba może otrzymać dostarczone przez siebie dane "
            "w ustrukturyzowanym, powszechnie używanym formacie nadającym się do odczytu "
            "maszynowego i przesłać je innemu administratorowi, gdy przetwarzanie opiera się na "
            "zgodzie lub umowie i jest zautomatyzowane.",
        },
        "question": {
            "en": "A client is switching to a competitor and wants their records in a file they "
            "can take along. Do we have to provide that?",
            "de": "Ein Kunde wechselt zur Konkurrenz und will seine Unterlagen als Datei "
            "mitnehmen. Müssen wir das liefern?",
            "fr": "Un client part chez un concurrent et veut emporter ses informations dans un "
            "fichier. Sommes-nous tenus de le lui fournir ?",
            "it": "Un cliente passa a un concorrente e vuole portare con sé le sue informazioni in "
            "un file. Siamo obbligati a fornirlo?",
            "pl": "Klient przechodzi do konkurencji i chce zabrać swoje informacje w pliku. Czy "
            "musimy mu je wydać?",
        },
    },
    "art8-children": {
        "passage": {
            "en": "Conditions for a child's consent. When online services are offered directly to "
            "a child, consent is valid only from the age of 16; below that a holder of parental "
            "responsibility must give or authorise it. Member States may set a lower age, but "
            "not below 13.",
            "de": "Bedingungen für die Einwilligung eines Kindes. Werden Online-Dienste einem Kind "
            "direkt angeboten, ist seine Einwilligung erst ab 16 Jahren wirksam; darunter muss "
            "der Träger der elterlichen Verantwortung zustimmen. Die Mitgliedstaaten dürfen eine "
            "niedrigere Altersgrenze festlegen, jedoch nicht unter 13 Jahren.",
            "fr": "Conditions applicables au consentement des enfants. Pour les services en ligne "
            "proposés directement à un enfant, le consentement n'est valable qu'à partir de 16 "
            "ans ; en dessous, le titulaire de l'autorité parentale doit le donner. Les États "
            "membres peuvent prévoir un âge inférieur, mais pas moins de 13 ans.",
            "it": "Condizioni per il consenso dei minori. Per i servizi online offerti "
            "direttamente a un minore, il consenso è valido solo dai 16 anni; al di sotto deve "
            "prestarlo chi esercita la responsabilità genitoriale. Gli Stati membri possono "
            "fissare un'età inferiore, ma non sotto i 13 anni.",
            "pl": "Warunki zgody dziecka. Gdy usługi internetowe są oferowane bezpośrednio "
            "dziecku, jego zgoda jest ważna dopiero od 16 lat; poniżej tego wieku zgodę musi "
            "wyrazić opiekun prawny. Państwa członkowskie mogą obniżyć ten wiek, ale nie poniżej "
            "13 lat.",
        },
        "question": {
            "en": "How old must a pupil be to sign up for our learning app without asking mum or "
            "dad?",
            "de": "Wie alt muss ein Schüler sein, um sich ohne Mama oder Papa bei unserer Lern-App "
            "anzumelden?",
            "fr": "À quel âge un élève peut-il s'inscrire sur notre application sans demander à "
            "ses parents ?",
            "it": "Quanti anni deve avere un alunno per iscriversi alla nostra app senza chiedere "
            "ai genitori?",
            "pl": "Ile lat musi mieć uczeń, żeby założyć konto w naszej aplikacji bez pytania "
            "rodziców?",
        },
    },
    "art37-dpo": {
        "passage": {
            "en": "Designation of the data protection officer. A controller or processor appoints "
            "a data protection officer when it is a public authority, or when its core "
            "activities involve regular and systematic monitoring of people on a large scale or "
            "large-scale processing of special categories of data.",
            "de": "Benennung eines Datenschutzbeauftragten. Verantwortliche und "
            "Auftragsverarbeiter benennen einen Datenschutzbeauftragten, wenn sie eine "
            "Behörde sind oder ihre Kerntätigkeit in der umfangreichen regelmäßigen und "
            "systematischen Überwachung von Personen oder der umfangreichen Verarbeitung "
            "besonderer Datenkategorien besteht.",
            "fr": "Désignation du délégué à la protection des données. Le responsable ou le "
            "sous-traitant désigne un délégué lorsqu'il est une autorité publique, ou lorsque "
            "ses activités de base consistent en un suivi régulier et systématique à grande "
            "échelle des personnes ou en un traitement à grande échelle de données sensibles.",
            "it": "Designazione del responsabile della protezione dei dati. Il titolare o il "
            "responsabile del trattamento designa un RPD quando è un'autorità pubblica oppure "
            "quando le sue attività principali consistono nel monitoraggio regolare e "
            "sistematico su larga scala o nel trattamento su larga scala di categorie "
            "particolari di dati.",
            "pl": "Wyznaczenie inspektora ochrony danych. Administrator lub podmiot przetwarzający "
            "wyznacza inspektora, gdy jest organem publicznym albo gdy jego główna działalność "
            "polega na regularnym i systematycznym monitorowaniu osób na dużą skalę lub na "
            "przetwarzaniu na dużą skalę szczególnych kategorii danych.",
        },
        "question": {
            "en": "Our hospital group treats thousands of patients: are we obliged to name a "
            "privacy officer?",
            "de": "Unser Klinikverbund behandelt Tausende Patienten: brauchen wir zwingend einen "
            "eigenen Beauftragten für Privatsphäre?",
            "fr": "Notre groupe hospitalier soigne des milliers de patients : devons-nous nommer "
            "un responsable de la vie privée ?",
            "it": "Il nostro gruppo ospedaliero cura migliaia di pazienti: dobbiamo nominare un "
            "incaricato per la privacy?",
            "pl": "Nasza sieć szpitali leczy tysiące pacjentów: czy musimy powołać osobę "
            "odpowiedzialną za prywatność?",
        },
    },
    "art83-fines": {
        "passage": {
            "en": "Administrative fines. Infringements of the basic principles, of data subjects' "
            "rights or of the rules on transfers can be fined up to 20 million euros or, for an "
            "undertaking, up to 4 % of its total worldwide annual turnover, whichever is higher.",
            "de": "Geldbußen. Verstöße gegen die Grundsätze, die Rechte der betroffenen Personen "
            "oder die Vorschriften über Übermittlungen können mit bis zu 20 Millionen Euro oder "
            "bei Unternehmen mit bis zu 4 % des weltweiten Jahresumsatzes geahndet werden, je "
            "nachdem, welcher Betrag höher ist.",
            "fr": "Amendes administratives. Les violations des principes de base, des droits des "
            "personnes ou des règles sur les transferts peuvent être sanctionnées jusqu'à 20 "
            "millions d'euros ou, pour une entreprise, jusqu'à 4 % de son chiffre d'affaires "
            "annuel mondial, le montant le plus élevé étant retenu.",
            "it": "Sanzioni amministrative pecuniarie. Le violazioni dei principi di base, dei "
            "diritti degli interessati o delle norme sui trasferimenti possono essere punite "
            "fino a 20 milioni di euro o, per un'impresa, fino al 4 % del fatturato mondiale "
            "annuo, se superiore.",
            "pl": "Administracyjne kary pieniężne. Za naruszenie podstawowych zasad, praw osób "
            "lub przepisów o przekazywaniu danych grozi kara do 20 milionów euro, a w przypadku "
            "przedsiębiorstwa do 4 % jego całkowitego światowego obrotu rocznego, w zależności "
            "od tego, która kwota jest wyższa.",
        },
        "question": {
            "en": "What is the most a company can be made to pay for breaking the privacy rules?",
            "de": "Wie viel muss eine Firma höchstens zahlen, wenn sie gegen die "
            "Datenschutzregeln verstößt?",
            "fr": "Combien une société risque-t-elle de payer au maximum si elle enfreint les "
            "règles sur la vie privée ?",
            "it": "Quanto può dover pagare al massimo un'azienda che viola le regole sulla "
            "privacy?",
            "pl": "Ile najwięcej może zapłacić firma za złamanie przepisów o prywatności?",
        },
    },
    "art15-access": {
        "passage": {
            "en": "Right of access by the data subject. A person may obtain confirmation whether "
            "their personal data are processed and, if so, access to them and a copy, together "
            "with the purposes, recipients, storage period and the source of the data.",
            "de": "Auskunftsrecht der betroffenen Person. Eine Person kann eine Bestätigung "
            "verlangen, ob sie betreffende Daten verarbeitet werden, und in diesem Fall Auskunft "
            "und eine Kopie erhalten, samt Zwecken, Empfängern, Speicherdauer und Herkunft der "
            "Daten.",
            "fr": "Droit d'accès de la personne concernée. Une personne peut obtenir la "
            "confirmation que des données la concernant sont traitées et, le cas échéant, y "
            "accéder et en recevoir une copie, avec les finalités, les destinataires, la durée "
            "de conservation et la source des données.",
            "it": "Diritto di accesso dell'interessato. Una persona può ottenere conferma che "
            "siano trattati dati che la riguardano e, in tal caso, accedervi e riceverne una "
            "copia, insieme alle finalità, ai destinatari, al periodo di conservazione e "
            "all'origine dei dati.",
            "pl": "Prawo dostępu osoby, której dane dotyczą. Osoba może uzyskać potwierdzenie, czy "
            "przetwarzane są jej dane, a jeśli tak, dostęp do nich i ich kopię wraz z "
            "informacją o celach, odbiorcach, okresie przechowywania i źródle danych.",
        },
        "question": {
            "en": "An employee asks to see what the company has on file about him. What must we "
            "give him?",
            "de": "Ein Mitarbeiter möchte sehen, was die Firma über ihn gespeichert hat. Was "
            "müssen wir ihm geben?",
            "fr": "Un salarié demande à voir ce que l'entreprise a enregistré sur lui. Que "
            "devons-nous lui remettre ?",
            "it": "Un dipendente chiede di vedere cosa l'azienda ha registrato su di lui. Cosa "
            "dobbiamo dargli?",
            "pl": "Pracownik prosi, żeby zobaczyć, co firma o nim zapisała. Co musimy mu wydać?",
        },
    },
    "art35-dpia": {
        "passage": {
            "en": "Data protection impact assessment. Before processing that is likely to result "
            "in a high risk to people's rights, in particular when new technologies are used, "
            "the controller assesses the impact of the planned operations on the protection of "
            "personal data.",
            "de": "Datenschutz-Folgenabschätzung. Hat eine Verarbeitung, insbesondere beim Einsatz "
            "neuer Technologien, voraussichtlich ein hohes Risiko für die Rechte von Personen "
            "zur Folge, so schätzt der Verantwortliche vorab die Folgen der geplanten "
            "Vorgänge für den Schutz personenbezogener Daten ab.",
            "fr": "Analyse d'impact relative à la protection des données. Lorsqu'un traitement, "
            "notamment par le recours à de nouvelles technologies, est susceptible d'engendrer "
            "un risque élevé pour les droits des personnes, le responsable évalue au préalable "
            "l'impact des opérations envisagées.",
            "it": "Valutazione d'impatto sulla protezione dei dati. Quando un trattamento, in "
            "particolare con l'uso di nuove tecnologie, può presentare un rischio elevato per i "
            "diritti delle persone, il titolare valuta prima l'impatto dei trattamenti previsti "
            "sulla protezione dei dati.",
            "pl": "Ocena skutków dla ochrony danych. Jeżeli przetwarzanie, zwłaszcza z użyciem "
            "nowych technologii, może powodować wysokie ryzyko naruszenia praw osób, "
            "administrator przed jego rozpoczęciem ocenia skutki planowanych operacji dla "
            "ochrony danych osobowych.",
        },
        "question": {
            "en": "We plan to install face recognition cameras at the entrance. What study do we "
            "need to do first?",
            "de": "Wir wollen am Eingang Kameras mit Gesichtserkennung aufstellen. Welche "
            "Untersuchung brauchen wir vorher?",
            "fr": "Nous voulons installer des caméras à reconnaissance faciale à l'entrée. Quelle "
            "étude faut-il mener avant ?",
            "it": "Vogliamo installare telecamere con riconoscimento facciale all'ingresso. Quale "
            "studio dobbiamo fare prima?",
            "pl": "Chcemy zamontować przy wejściu kamery z rozpoznawaniem twarzy. Jaką analizę "
            "musimy najpierw przeprowadzić?",
        },
    },
    "art46-transfers": {
        "passage": {
            "en": "Transfers subject to appropriate safeguards. Without an adequacy decision, "
            "personal data may go to a third country or an international organisation only with "
            "appropriate safeguards, such as standard data protection clauses adopted by the "
            "Commission or binding corporate rules.",
            "de": "Datenübermittlung vorbehaltlich geeigneter Garantien. Ohne "
            "Angemessenheitsbeschluss dürfen personenbezogene Daten nur mit geeigneten Garantien "
            "an ein Drittland oder eine internationale Organisation gehen, etwa mit "
            "Standarddatenschutzklauseln der Kommission oder verbindlichen internen "
            "Datenschutzvorschriften.",
            "fr": "Transferts moyennant des garanties appropriées. En l'absence de décision "
            "d'adéquation, des données personnelles ne peuvent être transférées vers un pays "
            "tiers ou une organisation internationale qu'avec des garanties appropriées, comme "
            "les clauses types de la Commission ou des règles d'entreprise contraignantes.",
            "it": "Trasferimenti soggetti a garanzie adeguate. In mancanza di una decisione di "
            "adeguatezza, i dati personali possono essere trasferiti verso un paese terzo o "
            "un'organizzazione internazionale solo con garanzie adeguate, come le clausole tipo "
            "adottate dalla Commissione o norme vincolanti d'impresa.",
            "pl": "Przekazywanie z zastrzeżeniem odpowiednich zabezpieczeń. Bez decyzji "
            "stwierdzającej odpowiedni stopień ochrony dane osobowe mogą trafić do państwa "
            "trzeciego lub organizacji międzynarodowej tylko przy odpowiednich zabezpieczeniach, "
            "np. standardowych klauzulach Komisji lub wiążących regułach korporacyjnych.",
        },
        "question": {
            "en": "May we store our customer list with a cloud provider in India?",
            "de": "Dürfen wir unsere Kundenliste bei einem Cloud-Anbieter in Indien speichern?",
            "fr": "Pouvons-nous héberger notre fichier clients chez un prestataire cloud en Inde ?",
            "it": "Possiamo conservare l'elenco clienti presso un fornitore cloud in India?",
            "pl": "Czy możemy trzymać listę klientów u dostawcy chmury w Indiach?",
        },
    },
    "art7-consent": {
        "passage": {
            "en": "Conditions for consent. The controller must be able to show that the person "
            "consented. Consent can be withdrawn at any time, and withdrawing it must be as "
            "easy as giving it; withdrawal does not make earlier processing unlawful.",
            "de": "Bedingungen für die Einwilligung. Der Verantwortliche muss nachweisen können, "
            "dass die Person eingewilligt hat. Die Einwilligung kann jederzeit widerrufen "
            "werden, und der Widerruf muss so einfach sein wie die Erteilung; die frühere "
            "Verarbeitung bleibt rechtmäßig.",
            "fr": "Conditions applicables au consentement. Le responsable doit pouvoir démontrer "
            "que la personne a consenti. Elle peut retirer son consentement à tout moment, et "
            "le retirer doit être aussi simple que de le donner ; le retrait ne rend pas "
            "illicite le traitement antérieur.",
            "it": "Condizioni per il consenso. Il titolare deve poter dimostrare che la persona ha "
            "acconsentito. Il consenso può essere revocato in qualsiasi momento e revocarlo deve "
            "essere facile quanto darlo; la revoca non rende illecito il trattamento "
            "precedente.",
            "pl": "Warunki wyrażenia zgody. Administrator musi być w stanie wykazać, że osoba "
            "wyraziła zgodę. Zgodę można wycofać w dowolnym momencie, a jej wycofanie musi być "
            "równie łatwe jak jej wyrażenie; nie czyni to wcześniejszego przetwarzania "
            "niezgodnym z prawem.",
        },
        "question": {
            "en": "A subscriber ticked the newsletter box and now regrets it. How simple must it "
            "be to change his mind?",
            "de": "Ein Abonnent hat das Häkchen für den Newsletter gesetzt und bereut es. Wie "
            "leicht muss es sein, es sich anders zu überlegen?",
            "fr": "Un abonné a coché la case de la newsletter et le regrette. Quelle doit être la "
            "facilité pour revenir sur sa décision ?",
            "it": "Un iscritto ha spuntato la casella della newsletter e se ne pente. Quanto deve "
            "essere semplice cambiare idea?",
            "pl": "Subskrybent zaznaczył pole newslettera i teraz żałuje. Jak łatwo musi móc "
            "zmienić zdanie?",
        },
    },
    "art25-by-design": {
        "passage": {
            "en": "Data protection by design and by default. The controller builds appropriate "
            "technical and organisational measures, such as pseudonymisation and data "
            "minimisation, into its systems, and by default processes only the data necessary "
            "for each specific purpose.",
            "de": "Datenschutz durch Technikgestaltung und durch datenschutzfreundliche "
            "Voreinstellungen. Der Verantwortliche baut geeignete technische und organisatorische "
            "Maßnahmen wie Pseudonymisierung und Datenminimierung in seine Systeme ein und "
            "verarbeitet standardmäßig nur die für den jeweiligen Zweck nötigen Daten.",
            "fr": "Protection des données dès la conception et par défaut. Le responsable intègre "
            "dans ses systèmes des mesures techniques et organisationnelles appropriées, comme "
            "la pseudonymisation et la minimisation, et ne traite par défaut que les données "
            "nécessaires à chaque finalité.",
            "it": "Protezione dei dati fin dalla progettazione e per impostazione predefinita. Il "
            "titolare integra nei sistemi misure tecniche e organizzative adeguate, come la "
            "pseudonimizzazione e la minimizzazione, e per impostazione predefinita tratta solo "
            "i dati necessari per ogni finalità.",
            "pl": "Uwzględnianie ochrony danych w fazie projektowania oraz domyślna ochrona "
            "danych. Administrator wbudowuje w systemy odpowiednie środki techniczne i "
            "organizacyjne, takie jak pseudonimizacja i minimalizacja danych, a domyślnie "
            "przetwarza tylko dane niezbędne do danego celu.",
        },
        "question": {
            "en": "Our developers are building a new booking system. Which privacy principle "
            "should guide how they design it?",
            "de": "Unsere Entwickler bauen ein neues Buchungssystem. Welcher Grundsatz soll ihre "
            "Software-Architektur leiten?",
            "fr": "Nos développeurs créent un nouveau système de réservation. Quel principe doit "
            "guider leur architecture logicielle ?",
            "it": "I nostri sviluppatori stanno creando un nuovo sistema di prenotazione. Quale "
            "principio deve guidare l'architettura del software?",
            "pl": "Nasi programiści tworzą nowy system rezerwacji. Jaka zasada powinna kierować "
            "architekturą oprogramowania?",
        },
    },
    "art30-records": {
        "passage": {
            "en": "Records of processing activities. Each controller keeps a written record of "
            "its processing: purposes, categories of people and data, recipients, transfers and "
            "time limits for erasure. Organisations with fewer than 250 employees are exempt "
            "unless the processing is risky, regular or involves special data.",
            "de": "Verzeichnis von Verarbeitungstätigkeiten. Jeder Verantwortliche führt ein "
            "schriftliches Verzeichnis seiner Verarbeitungen: Zwecke, Kategorien von Personen und "
            "Daten, Empfänger, Übermittlungen und Löschfristen. Einrichtungen mit weniger als "
            "250 Beschäftigten sind ausgenommen, außer die Verarbeitung ist riskant, regelmäßig "
            "oder betrifft besondere Daten.",
            "fr": "Registre des activités de traitement. Chaque responsable tient un registre "
            "écrit de ses traitements : finalités, catégories de personnes et de données, "
            "destinataires, transferts et délais d'effacement. Les structures de moins de 250 "
            "salariés en sont dispensées, sauf traitement risqué, régulier ou portant sur des "
            "données sensibles.",
            "it": "Registro delle attività di trattamento. Ogni titolare tiene un registro scritto "
            "dei trattamenti: finalità, categorie di interessati e di dati, destinatari, "
            "trasferimenti e termini di cancellazione. Le organizzazioni con meno di 250 "
            "dipendenti sono esentate, salvo trattamenti rischiosi, non occasionali o su dati "
            "particolari.",
            "pl": "Rejestr czynności przetwarzania. Każdy administrator prowadzi pisemny rejestr "
            "przetwarzania: cele, kategorie osób i danych, odbiorców, przekazania i terminy "
            "usunięcia. Organizacje zatrudniające mniej niż 250 osób są zwolnione, chyba że "
            "przetwarzanie jest ryzykowne, regularne lub dotyczy danych szczególnych.",
        },
        "question": {
            "en": "Does a small bakery with twelve staff need to document every way it uses "
            "customer information?",
            "de": "Muss eine kleine Bäckerei mit zwölf Angestellten jede Nutzung von "
            "Kundeninformationen dokumentieren?",
            "fr": "Une petite boulangerie de douze employés doit-elle documenter chaque usage des "
            "informations de ses clients ?",
            "it": "Una piccola panetteria con dodici addetti deve documentare ogni uso delle "
            "informazioni sui clienti?",
            "pl": "Czy mała piekarnia z dwunastoma pracownikami musi dokumentować każde użycie "
            "informacji o klientach?",
        },
    },
    "art21-objection": {
        "passage": {
            "en": "Right to object. A person may object at any time to processing for direct "
            "marketing, including profiling related to it; the personal data must then no "
            "longer be processed for such purposes.",
            "de": "Widerspruchsrecht. Eine Person kann jederzeit der Verarbeitung zum Zweck der "
            "Direktwerbung widersprechen, einschließlich eines damit verbundenen Profilings; "
            "danach dürfen ihre Daten nicht mehr für diese Zwecke verarbeitet werden.",
            "fr": "Droit d'opposition. Une personne peut s'opposer à tout moment au traitement à "
            "des fins de prospection, y compris au profilage lié à celle-ci ; ses données ne "
            "peuvent alors plus être traitées à ces fins.",
            "it": "Diritto di opposizione. Una persona può opporsi in qualsiasi momento al "
            "trattamento per finalità di marketing diretto, compresa la profilazione connessa; "
            "i suoi dati non possono più essere trattati per tali finalità.",
            "pl": "Prawo do sprzeciwu. Osoba może w każdej chwili wnieść sprzeciw wobec "
            "przetwarzania na potrzeby marketingu bezpośredniego, w tym profilowania z nim "
            "związanego; jej danych nie wolno już wtedy przetwarzać w tych celach.",
        },
        "question": {
            "en": "A man is fed up with our advertising leaflets and calls. Can he make us stop "
            "targeting him?",
            "de": "Ein Mann hat genug von unseren Werbebriefen und Anrufen. Kann er verlangen, "
            "dass wir ihn nicht mehr ansprechen?",
            "fr": "Un homme en a assez de nos publicités et de nos appels. Peut-il nous obliger à "
            "arrêter de le solliciter ?",
            "it": "Un signore è stanco dei nostri volantini pubblicitari e delle telefonate. Può "
            "farci smettere di contattarlo?",
            "pl": "Mężczyzna ma dość naszych ulotek reklamowych i telefonów. Czy może zażądać, "
            "żebyśmy przestali go nagabywać?",
        },
    },
    "art28-processor": {
        "passage": {
            "en": "Processor. A controller uses only processors that give sufficient guarantees, "
            "and their work is governed by a binding contract setting out the subject-matter, "
            "duration, nature and purpose of the processing; the processor acts only on the "
            "controller's documented instructions.",
            "de": "Auftragsverarbeiter. Der Verantwortliche arbeitet nur mit "
            "Auftragsverarbeitern, die hinreichende Garantien bieten; ihre Tätigkeit regelt ein "
            "verbindlicher Vertrag über Gegenstand, Dauer, Art und Zweck der Verarbeitung, und "
            "sie handeln nur auf dokumentierte Weisung.",
            "fr": "Sous-traitant. Le responsable ne fait appel qu'à des sous-traitants présentant "
            "des garanties suffisantes, et leur activité est régie par un contrat qui définit "
            "l'objet, la durée, la nature et la finalité du traitement ; le sous-traitant "
            "n'agit que sur instruction documentée.",
            "it": "Responsabile del trattamento. Il titolare ricorre solo a responsabili che "
            "presentano garanzie sufficienti, e la loro attività è disciplinata da un contratto "
            "che stabilisce materia, durata, natura e finalità del trattamento; il responsabile "
            "agisce solo su istruzione documentata.",
            "pl": "Podmiot przetwarzający. Administrator korzysta wyłącznie z podmiotów "
            "przetwarzających, które dają wystarczające gwarancje, a ich pracę reguluje umowa "
            "określająca przedmiot, czas trwania, charakter i cel przetwarzania; podmiot działa "
            "tylko na udokumentowane polecenie.",
        },
        "question": {
            "en": "We are outsourcing our payroll to an external agency. What agreement must we "
            "sign with them?",
            "de": "Wir geben die Lohnabrechnung an ein externes Büro ab. Welche Vereinbarung "
            "müssen wir mit ihm schließen?",
            "fr": "Nous confions la paie à un cabinet externe. Quel accord devons-nous signer "
            "avec lui ?",
            "it": "Affidiamo le buste paga a uno studio esterno. Quale accordo dobbiamo firmare "
            "con loro?",
            "pl": "Zlecamy naliczanie płac zewnętrznemu biuru. Jaką umowę musimy z nim podpisać?",
        },
    },
}


def check() -> None:
    """Every topic has a passage and a question in every language."""
    for topic, parts in TOPICS.items():
        for kind in ("passage", "question"):
            missing = set(LANGUAGES) - set(parts[kind])
            assert not missing, f"{topic}: {kind} missing in {sorted(missing)}"
