"""Questions on the manual-page set (bench/data/manpages_passages.jsonl).

The passages are Debian's manual pages of apropos, whatis, man, apt-cache,
run-parts and savelog in English, German, French, Italian and Polish, written
and translated by their projects' authors (sources and licences in each JSONL
row; rebuilt by manpages_build.py). Nobody on the team wrote them.

The questions were written for this benchmark (by the helper who built the set,
29-30 Nov 2026) as a user would ask them, describing the need rather than
copying the passage's wording or naming the option, in each of the five
languages. They were frozen (committed) before either embedder was run on them;
nothing was tuned on this set.

``gold``: the passage ids that answer the question (``page#flag``; the same in
every language). Where two pages document the same thing (``man -k`` is
``apropos``), both count. A question is scored in a language against that
language's passages only; a gold id missing from a language (untranslated
passage dropped) simply is not there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "manpages_passages.jsonl"
LANGUAGES = ("en", "de", "fr", "it", "pl")

QUESTIONS: list[dict[str, Any]] = [
    {
        "gold": ["man.1#-f", "whatis.1#name"],
        "q": {
            "en": "How can I get a one-line summary of what some command is for?",
            "de": "Wie bekomme ich in einer Zeile kurz erklärt, wozu ein Befehl da ist?",
            "fr": "Comment obtenir en une ligne à quoi sert une commande ?",
            "it": "Come ottengo in una sola riga a cosa serve un comando?",
            "pl": "Jak w jednej linijce dowiedzieć się, do czego służy dane polecenie?",
        },
    },
    {
        "gold": ["man.1#-k", "apropos.1#name"],
        "q": {
            "en": "I don't know the name of the command; how do I find manual pages about a topic?",
            "de": "Ich kenne den Befehlsnamen nicht. Wie finde ich Handbuchseiten zu einem Thema?",
            "fr": "Je ne connais pas le nom de la commande : comment trouver les pages de "
            "manuel sur un sujet ?",
            "it": "Non conosco il nome del comando: come trovo le pagine di manuale su un "
            "argomento?",
            "pl": "Nie znam nazwy polecenia. Jak znaleźć strony podręcznika na jakiś temat?",
        },
    },
    {
        "gold": ["man.1#-a"],
        "q": {
            "en": "Several sections have a page with the same name; how do I read every one "
            "of them in turn instead of only the first?",
            "de": "Mehrere Abschnitte haben eine Seite gleichen Namens. Wie lese ich alle "
            "nacheinander statt nur der ersten?",
            "fr": "Plusieurs sections ont une page du même nom : comment les lire toutes à la "
            "suite au lieu de la première seulement ?",
            "it": "Più sezioni hanno una pagina con lo stesso nome: come le leggo tutte una "
            "dopo l'altra invece della prima soltanto?",
            "pl": "Kilka sekcji ma stronę o tej samej nazwie. Jak przeczytać je wszystkie po "
            "kolei, a nie tylko pierwszą?",
        },
    },
    {
        "gold": ["man.1#-I"],
        "q": {
            "en": "How do I make man treat upper and lower case letters in the page name as "
            "different?",
            "de": "Wie bringe ich man dazu, Groß- und Kleinbuchstaben im Seitennamen zu "
            "unterscheiden?",
            "fr": "Comment faire pour que man distingue majuscules et minuscules dans le nom "
            "de la page ?",
            "it": "Come faccio a far distinguere a man le maiuscole dalle minuscole nel nome "
            "della pagina?",
            "pl": "Jak sprawić, by man odróżniał wielkie i małe litery w nazwie strony?",
        },
    },
    {
        "gold": ["man.1#-L", "apropos.1#-L", "whatis.1#-L"],
        "q": {
            "en": "My system is set to one language but I want the manual in another; what "
            "do I pass?",
            "de": "Mein System ist auf eine Sprache eingestellt, ich will das Handbuch aber "
            "in einer anderen. Was gebe ich an?",
            "fr": "Mon système est réglé sur une langue mais je veux le manuel dans une "
            "autre : que dois-je indiquer ?",
            "it": "Il mio sistema è impostato su una lingua ma voglio il manuale in un'altra: "
            "cosa devo indicare?",
            "pl": "System mam ustawiony na jeden język, a podręcznik chcę w innym. Co podać?",
        },
    },
    {
        "gold": ["man.1#-H"],
        "q": {
            "en": "Can I look at a manual page in my web browser?",
            "de": "Kann ich mir eine Handbuchseite im Webbrowser ansehen?",
            "fr": "Puis-je consulter une page de manuel dans mon navigateur web ?",
            "it": "Posso guardare una pagina di manuale nel browser web?",
            "pl": "Czy mogę obejrzeć stronę podręcznika w przeglądarce internetowej?",
        },
    },
    {
        "gold": ["man.1#-7"],
        "q": {
            "en": "Some symbols come out garbled on my old terminal that only handles 7-bit "
            "characters; what helps?",
            "de": "Auf meinem alten 7-Bit-Terminal erscheinen manche Zeichen verstümmelt. "
            "Was hilft?",
            "fr": "Sur mon vieux terminal 7 bits certains symboles s'affichent mal : que faire ?",
            "it": "Sul mio vecchio terminale a 7 bit alcuni simboli escono storpiati: cosa aiuta?",
            "pl": "Na moim starym 7-bitowym terminalu niektóre znaki wychodzą zniekształcone. "
            "Co pomoże?",
        },
    },
    {
        "gold": ["man.1#-E", "man.1#-R"],
        "q": {
            "en": "How do I get man's output in a character set other than the usual one?",
            "de": "Wie erhalte ich die Ausgabe von man in einem anderen Zeichensatz als üblich?",
            "fr": "Comment obtenir la sortie de man dans un autre jeu de caractères que "
            "d'habitude ?",
            "it": "Come ottengo l'output di man in un set di caratteri diverso dal solito?",
            "pl": "Jak uzyskać wynik man w innym zestawie znaków niż zwykle?",
        },
    },
    {
        "gold": ["man.1#-D"],
        "q": {
            "en": "Options from my environment variable keep changing how man behaves; how "
            "do I go back to plain behaviour for one call?",
            "de": "Optionen aus meiner Umgebungsvariable verändern ständig, wie man sich "
            "verhält. Wie bekomme ich für einen Aufruf das normale Verhalten zurück?",
            "fr": "Des options de ma variable d'environnement modifient le comportement de "
            "man : comment revenir au comportement normal pour un appel ?",
            "it": "Le opzioni della mia variabile d'ambiente cambiano il comportamento di "
            "man: come torno al comportamento normale per una chiamata?",
            "pl": "Opcje z mojej zmiennej środowiskowej zmieniają zachowanie man. Jak na "
            "jedno wywołanie wrócić do zwykłego działania?",
        },
    },
    {
        "gold": ["man.1#-M", "apropos.1#-M", "whatis.1#-M"],
        "q": {
            "en": "The pages I want live in some other directory tree; how do I point the "
            "search there?",
            "de": "Die gewünschten Seiten liegen in einem anderen Verzeichnisbaum. Wie lenke "
            "ich die Suche dorthin?",
            "fr": "Les pages que je veux sont dans une autre arborescence de répertoires : "
            "comment y diriger la recherche ?",
            "it": "Le pagine che voglio stanno in un altro albero di directory: come indirizzo "
            "lì la ricerca?",
            "pl": "Potrzebne strony są w innym drzewie katalogów. Jak skierować tam wyszukiwanie?",
        },
    },
    {
        "gold": ["apropos.1#-e"],
        "q": {
            "en": "With apropos, how do I find only the precise word I typed rather than "
            "treating it as a pattern?",
            "de": "Wie findet apropos nur genau das eingegebene Wort, statt es als Muster zu "
            "behandeln?",
            "fr": "Avec apropos, comment trouver seulement le mot précis tapé, sans le "
            "traiter comme un motif ?",
            "it": "Con apropos, come trovo solo la parola precisa che ho scritto invece di "
            "trattarla come un modello?",
            "pl": "Jak w apropos szukać tylko dokładnie wpisanego słowa, a nie traktować go "
            "jak wzorca?",
        },
    },
    {
        "gold": ["apropos.1#-w", "whatis.1#-w", "man.1#--wildcard"],
        "q": {
            "en": "Can I search with a star, like 'pass*', the way the shell expands file names?",
            "de": "Kann ich mit einem Sternchen wie 'pass*' suchen, so wie die Shell "
            "Dateinamen erweitert?",
            "fr": "Puis-je chercher avec une étoile, comme 'pass*', à la manière dont le "
            "shell développe les noms de fichiers ?",
            "it": "Posso cercare con un asterisco, tipo 'pass*', come fa la shell con i nomi "
            "dei file?",
            "pl": "Czy mogę szukać z gwiazdką, np. 'pass*', tak jak powłoka rozwija nazwy plików?",
        },
    },
    {
        "gold": ["apt-cache.8#--installed"],
        "q": {
            "en": "When listing what a package depends on, how do I see only packages that "
            "are present on this machine?",
            "de": "Wie sehe ich bei den Abhängigkeiten eines Pakets nur die Pakete, die auf "
            "diesem Rechner vorhanden sind?",
            "fr": "Quand je liste les dépendances d'un paquet, comment ne voir que les "
            "paquets présents sur cette machine ?",
            "it": "Quando elenco le dipendenze di un pacchetto, come vedo solo i pacchetti "
            "presenti su questa macchina?",
            "pl": "Jak przy wypisywaniu zależności pakietu zobaczyć tylko pakiety obecne na "
            "tym komputerze?",
        },
    },
    {
        "gold": ["apt-cache.8#--recurse"],
        "q": {
            "en": "How do I get the whole dependency tree, the dependencies of the "
            "dependencies too?",
            "de": "Wie bekomme ich den ganzen Abhängigkeitsbaum, also auch die "
            "Abhängigkeiten der Abhängigkeiten?",
            "fr": "Comment obtenir tout l'arbre des dépendances, y compris les dépendances "
            "des dépendances ?",
            "it": "Come ottengo l'intero albero delle dipendenze, anche le dipendenze delle "
            "dipendenze?",
            "pl": "Jak dostać całe drzewo zależności, razem z zależnościami zależności?",
        },
    },
    {
        "gold": ["apt-cache.8#-i"],
        "q": {
            "en": "I want to hide recommended and suggested packages and see just the hard "
            "requirements; how?",
            "de": "Ich will empfohlene und vorgeschlagene Pakete ausblenden und nur die "
            "zwingenden Anforderungen sehen. Wie?",
            "fr": "Je veux masquer les paquets recommandés et suggérés et ne voir que les "
            "exigences strictes : comment ?",
            "it": "Voglio nascondere i pacchetti raccomandati e suggeriti e vedere solo i "
            "requisiti obbligatori: come?",
            "pl": "Chcę ukryć pakiety polecane i sugerowane i widzieć tylko twarde wymagania. Jak?",
        },
    },
    {
        "gold": ["apt-cache.8#-q"],
        "q": {
            "en": "The output is going into a log file; how do I get rid of the progress display?",
            "de": "Die Ausgabe landet in einer Logdatei. Wie werde ich die Fortschrittsanzeige "
            "los?",
            "fr": "La sortie part dans un fichier journal : comment supprimer l'affichage "
            "de la progression ?",
            "it": "L'output finisce in un file di log: come elimino la visualizzazione dello "
            "stato di avanzamento?",
            "pl": "Wynik trafia do pliku logu. Jak pozbyć się wskaźnika postępu?",
        },
    },
    {
        "gold": ["apt-cache.8#-o"],
        "q": {
            "en": "Can I set any APT setting directly on the command line, without editing a file?",
            "de": "Kann ich eine beliebige APT-Einstellung direkt auf der Kommandozeile "
            "setzen, ohne eine Datei zu bearbeiten?",
            "fr": "Puis-je régler n'importe quel paramètre d'APT directement sur la ligne de "
            "commande, sans modifier de fichier ?",
            "it": "Posso impostare qualsiasi parametro di APT direttamente dalla riga di "
            "comando, senza modificare un file?",
            "pl": "Czy mogę ustawić dowolny parametr APT prosto z wiersza poleceń, bez "
            "edycji pliku?",
        },
    },
    {
        "gold": ["apt-cache.8#--all-names"],
        "q": {
            "en": "The list of package names leaves out virtual packages; how do I include them?",
            "de": "Die Liste der Paketnamen lässt virtuelle Pakete weg. Wie nehme ich sie mit auf?",
            "fr": "La liste des noms de paquets omet les paquets virtuels : comment les inclure ?",
            "it": "L'elenco dei nomi dei pacchetti tralascia i pacchetti virtuali: come li "
            "includo?",
            "pl": "Lista nazw pakietów pomija pakiety wirtualne. Jak je uwzględnić?",
        },
    },
    {
        "gold": ["apt-cache.8#-f"],
        "q": {
            "en": "When I search for packages, how do I see each one's complete record "
            "rather than a one-liner?",
            "de": "Wie sehe ich bei der Paketsuche zu jedem Treffer den kompletten Eintrag "
            "statt nur einer Zeile?",
            "fr": "Quand je cherche des paquets, comment voir la fiche complète de chacun "
            "plutôt qu'une seule ligne ?",
            "it": "Quando cerco pacchetti, come vedo la scheda completa di ciascuno invece "
            "di una riga sola?",
            "pl": "Jak przy wyszukiwaniu pakietów zobaczyć pełny opis każdego zamiast jednej "
            "linijki?",
        },
    },
    {
        "gold": ["run-parts.8#--test", "run-parts.8#--list"],
        "q": {
            "en": "Which scripts in the folder would be executed? I want to check without "
            "running anything.",
            "de": "Welche Skripte im Ordner würden ausgeführt? Ich will das prüfen, ohne "
            "etwas zu starten.",
            "fr": "Quels scripts du dossier seraient exécutés ? Je veux vérifier sans rien lancer.",
            "it": "Quali script della cartella verrebbero eseguiti? Voglio controllare senza "
            "avviare niente.",
            "pl": "Które skrypty z folderu zostałyby wykonane? Chcę to sprawdzić niczego nie "
            "uruchamiając.",
        },
    },
    {
        "gold": ["run-parts.8#--exit-on-error"],
        "q": {
            "en": "If one of the scripts fails, how do I make it stop instead of carrying on "
            "with the others?",
            "de": "Wenn eines der Skripte fehlschlägt: Wie höre ich dann auf, statt mit den "
            "anderen weiterzumachen?",
            "fr": "Si l'un des scripts échoue, comment tout arrêter au lieu de continuer "
            "avec les autres ?",
            "it": "Se uno degli script fallisce, come faccio a fermare tutto invece di "
            "proseguire con gli altri?",
            "pl": "Jeśli któryś skrypt się nie powiedzie, jak przerwać zamiast ciągnąć pozostałe?",
        },
    },
    {
        "gold": ["run-parts.8#--reverse"],
        "q": {
            "en": "Can the scripts be run back to front, last one first?",
            "de": "Können die Skripte rückwärts laufen, das letzte zuerst?",
            "fr": "Peut-on lancer les scripts à l'envers, le dernier en premier ?",
            "it": "Si possono lanciare gli script al contrario, l'ultimo per primo?",
            "pl": "Czy skrypty można puścić od końca, ostatni jako pierwszy?",
        },
    },
    {
        "gold": ["run-parts.8#-u"],
        "q": {
            "en": "What default permission mask do the scripts start with, and how do I "
            "choose another?",
            "de": "Mit welcher Standard-Rechtemaske starten die Skripte, und wie wähle ich "
            "eine andere?",
            "fr": "Avec quel masque de permissions par défaut les scripts démarrent-ils, et "
            "comment en choisir un autre ?",
            "it": "Con quale maschera dei permessi predefinita partono gli script, e come ne "
            "scelgo un'altra?",
            "pl": "Z jaką domyślną maską uprawnień startują skrypty i jak wybrać inną?",
        },
    },
    {
        "gold": ["run-parts.8#-a"],
        "q": {
            "en": "How do I hand a parameter to every script that gets run?",
            "de": "Wie übergebe ich jedem gestarteten Skript einen Parameter?",
            "fr": "Comment transmettre un paramètre à chaque script lancé ?",
            "it": "Come passo un parametro a ogni script che viene lanciato?",
            "pl": "Jak przekazać parametr każdemu uruchamianemu skryptowi?",
        },
    },
    {
        "gold": ["run-parts.8#--new-session"],
        "q": {
            "en": "If I kill run-parts, will the script it is currently running die too?",
            "de": "Wenn ich run-parts abschieße, stirbt dann auch das gerade laufende Skript?",
            "fr": "Si je tue run-parts, le script en cours meurt-il aussi ?",
            "it": "Se uccido run-parts, muore anche lo script in corso?",
            "pl": "Jeśli zabiję run-parts, czy zginie też aktualnie działający skrypt?",
        },
    },
    {
        "gold": ["savelog.8#-j"],
        "q": {
            "en": "Can the old logs be packed with bzip2 rather than the usual tool?",
            "de": "Lassen sich die alten Logs mit bzip2 statt mit dem üblichen Werkzeug packen?",
            "fr": "Les anciens journaux peuvent-ils être compactés avec bzip2 plutôt qu'avec "
            "l'outil habituel ?",
            "it": "I vecchi log si possono comprimere con bzip2 invece che con lo strumento "
            "solito?",
            "pl": "Czy stare logi da się spakować bzip2 zamiast zwykłym narzędziem?",
        },
    },
    {
        "gold": ["savelog.8#-l"],
        "q": {
            "en": "I want the saved copies of my log left as plain text, not squeezed; how?",
            "de": "Ich will die gesicherten Kopien meines Logs als reinen Text behalten, "
            "nicht gepackt. Wie?",
            "fr": "Je veux garder les copies sauvegardées de mon journal en texte brut, "
            "sans les compacter : comment ?",
            "it": "Voglio tenere le copie salvate del mio log come testo semplice, non "
            "compresse: come?",
            "pl": "Chcę zostawić zapisane kopie logu jako zwykły tekst, bez pakowania. Jak?",
        },
    },
    {
        "gold": ["savelog.8#-n"],
        "q": {
            "en": "How do I skip the rotation when the log has nothing in it?",
            "de": "Wie lasse ich die Rotation aus, wenn im Log nichts drinsteht?",
            "fr": "Comment sauter la rotation quand le journal ne contient rien ?",
            "it": "Come salto la rotazione quando il log non contiene niente?",
            "pl": "Jak pominąć rotację, gdy w logu nic nie ma?",
        },
    },
    {
        "gold": ["savelog.8#-p"],
        "q": {
            "en": "The fresh log file should keep the same owner and access rights as "
            "before; which flag?",
            "de": "Die frische Logdatei soll denselben Eigentümer und dieselben "
            "Zugriffsrechte wie vorher behalten. Welcher Schalter?",
            "fr": "Le nouveau fichier journal doit garder le même propriétaire et les mêmes "
            "droits d'accès qu'avant : quel drapeau ?",
            "it": "Il nuovo file di log deve mantenere lo stesso proprietario e gli stessi "
            "diritti di accesso di prima: quale flag?",
            "pl": "Nowy plik logu ma mieć tego samego właściciela i te same prawa dostępu "
            "co wcześniej. Która flaga?",
        },
    },
]


def load_passages() -> list[dict[str, str]]:
    """The rows of bench/data/manpages_passages.jsonl (id, lang, page, text, source)."""
    with DATA.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def check(passages: list[dict[str, str]]) -> None:
    """Every question has all five languages and its first gold id in every language.

    Raises:
        AssertionError: a question or a gold passage is missing.
    """
    present = {(p["lang"], p["id"]) for p in passages}
    for q in QUESTIONS:
        texts = q["q"]
        assert isinstance(texts, dict) and set(texts) == set(LANGUAGES), q
        gold = q["gold"]
        assert isinstance(gold, list)
        for lang in LANGUAGES:
            assert (lang, gold[0]) in present, (lang, gold[0])


if __name__ == "__main__":
    rows = load_passages()
    check(rows)
    print(f"{len(QUESTIONS)} questions x {len(LANGUAGES)} languages; {len(rows)} passages")
