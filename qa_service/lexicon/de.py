"""German words the service reads for their role, not their topic.

Every German word list lives here (English ones in ``en.py``); ``qa_service.lexicon`` joins
them for callers that read both languages. Lower-case, except where a list says otherwise.
"""

# Question words and auxiliaries: they carry no topic, yet the stock stopword lists keep some.
# "heißen" asks for a name ("Wie heißt der Bürgermeister von X?", "Wie hieß die Burg?"): the
# sentence that answers names it ("Bürgermeister Thomas Keller sagte ...") and does not say
# "heißt" (none of XQuAD-de's 31 answer sentences to a "Wie heißt/hieß/nennt ...?" does), so as
# a question's word it only lowered its words-found share (the abstain evidence, issue 16).
# Being stopwords, they are not keyword-indexed either ("heißt es" opens many a news sentence).
QUESTION_WORDS = frozenset(
    "wer wen wem wessen was wann wo wohin woher wie warum weshalb wieso welche welcher "
    "welches welchem welchen wieviel wieviele wurde wurden worden gibt gab "
    "heißt hieß heißen hießen heisst hiess heissen hiessen".split()
)
# Function words that mark a text as German (``answer/language.py`` counts them).
LANGUAGE_CUES = frozenset(
    "der die das des dem den ein eine einer eines im in am an auf zu ist sind war waren wer "
    "was wann wo welche welcher welches warum wie viele hat haben mit für von über und oder "
    "nicht danke dankeschön".split()
)
# Words that point back into the conversation instead of naming something.
ANAPHORS = frozenset(
    """
    er sie es ihn ihm ihr ihnen sein seine seinen seinem seiner seines ihre ihren ihrem ihrer
    ihres dies diese dieser dieses diesem diesen jener jene jenes jenem jenen derselbe dieselbe
    dasselbe dort dorthin dortig da daher dahin damals dann dabei dazu davon dafür dagegen
    daran darauf darüber darum danach davor dadurch deshalb deswegen ebenfalls ebenso
    """.split()
) | frozenset(  # pronominal adverbs, made by the rule: "da(r)"/"hier" + preposition, "dr" + ...
    f"{head}{'r' if vowel and head == 'da' else ''}{prep}"
    for prep in "an auf aus bei durch für gegen hinter in mit nach neben über um unter von vor "
    "zu zwischen".split()
    for vowel in [prep[0] in "aeiouäöü"]
    for head in ["da", "hier", *(["dr"] if vowel else [])]
)
# Pronouns that stand for a person or thing named elsewhere ("Wie alt ist er?").
PERSONAL_PRONOUNS = frozenset(
    "er sie es ihn ihm ihr ihnen sein seine seinen seinem seiner seines ihre ihren ihrem ihrer "
    "ihres".split()
)
# Demonstratives that are anaphoric only when no noun follows: "Wann war das?" vs "das Treffen".
DEMONSTRATIVES = frozenset(["das", "der", "die", "dem", "den"])
# A message starting with these continues the previous one ("Und wer ...?", "Auch dort?").
CONTINUATIONS = frozenset(["und", "aber", "auch", "sowie", "oder", "außerdem", "zudem"])
# Two-word openers that continue the previous turn (English "What about ...?"); German ones
# start with a continuation word ("Und was ist mit ...?").
CONTINUATION_PHRASES: frozenset[str] = frozenset()
# Not in the BM25 stopword lists, yet no topic of their own.
FUNCTION_WORDS = frozenset(
    """
    wozu wofür womit worüber wovor wodurch woran worauf wovon wobei woraus wie's wieso
    damals dabei dazu davon darüber daran darauf danach davor dadurch dafür dagegen deshalb
    genau eigentlich mehr viele wenige denn sonst gerade bisher jemals erst schon
    ebenfalls ebenso dortig sagen sagte gesagt passiert geschehen gemacht tun getan heißt
    """.split()
)
# Verbs and adjectives that ask about a person or thing without naming a topic ("Wie alt ist
# er?", "Was hat er gesagt?"): a pronoun question made only of these points at nobody.
GENERIC_WORDS = frozenset(
    """
    alt jung groß gesagt sagte sagt sagen geboren gestorben gewählt ernannt gemacht getan
    passiert geschehen kam kommt gekommen ging geht gegangen lebt lebte wohnt wohnte arbeitet
    arbeitete heißt hieß denkt dachte meint meinte verärgert zuletzt eigentlich jetzt heute
    gestern macht machte tut tat will wollte kann konnte zeigt zeigte zeigen zeigten kostet
    kostete leitet leitete los gemeint getroffen trifft traf helfen hilft warnt warnte warnen
    gewarnt
    """.split()
)
# Words that open a reply without naming anything ("Übrigens, wann war das?").
DISCOURSE_WORDS = frozenset(
    "übrigens interessant entschuldigung sorry also nun naja achso stimmt gut richtig echt "
    "wirklich aha oh ach hmm okay".split()
)
# Formal address to the assistant ("Wie alt sind Sie?"): capitalised past the first word.
FORMAL_ADDRESS = frozenset("sie ihnen ihr ihre ihren ihrem ihrer ihres".split())
# Content words of messages that only keep a conversation going (greetings, thanks, assent).
SMALL_TALK = frozenset(
    "hallo moin servus guten tag morgen abend tschüss ciao danke dankeschön vielen dank schön "
    "bitte ok okay super toll prima klasse cool gut perfekt verstanden klar ja jawohl genau "
    "nein nö hilft geholfen hilfreich".split()
)
# Units of measure: what "Um wie viel Prozent?", "Wie viele Jahre?", "In welchem Jahr?" ask
# the answer in, not what it is about. A unit names no topic, so a follow-up made of a question
# phrase and a unit keeps the conversation's topic (``answer/references.is_function_word``).
UNITS = frozenset(
    """
    prozent prozentpunkt prozentpunkte prozentpunkten euro cent dollar franken pfund mal jahr
    jahre jahren jahres monat monate monaten tag tage tagen woche wochen stunde stunden minute
    minuten sekunde sekunden kilometer meter zentimeter kilogramm kilo gramm tonne tonnen liter
    stück grad
    """.split()
)
# The assistant addressed as "du" ("Wer bist du?", "Was kannst du?"); the formal "Sie" is
# ``FORMAL_ADDRESS``. A verb agreeing with "du" ends in -st ("bist", "kannst", "weißt").
SECOND_PERSON = frozenset("du dich dir dein deine deinen deinem deiner deines".split())
SECOND_PERSON_VERB_ENDING = "st"
# Month names by number (index 0 is January); the first name is the standard one.
MONTHS: tuple[tuple[str, ...], ...] = (
    ("januar", "jänner"),
    ("februar",),
    ("märz",),
    ("april",),
    ("mai",),
    ("juni",),
    ("juli",),
    ("august",),
    ("september",),
    ("oktober",),
    ("november",),
    ("dezember",),
)
WEEKDAYS = ("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "sonntag")
TIME_WORDS = ("jahrhundert", "gestern", "heute", "morgen")  # a sentence holding them dates sth.
# A time to come the question asks about ("das nächste Derby", "kommende Woche"): a report of
# what happened does not say it unless it names that time too. Word beginnings.
NEXT_TIMES = ("nächst", "kommend", "künftig")
# A sentence that says something is still to come without those words ("Die Wahl findet am
# 5. Mai statt.", "Der Rat wird im Herbst entscheiden."): whole words.
FUTURE_WORDS = (
    "wird",
    "werden",
    "statt",
    "stattfinden",
    "angesetzt",
    "geplant",
    "voraussichtlich",
    "bevorstehend",
    "bevorstehende",
    "bevorstehenden",
    "demnächst",
    "ansteht",
    "anstehen",
)
# Number words; a cue matches them as word beginnings ("zweimal", "Hälfte").
NUMBER_WORDS = (
    "ein zwei drei vier fünf sechs sieben acht neun zehn elf zwölf zwanzig dreißig hundert "
    "tausend million milliarde dutzend hälfte prozent".split()
)
# Units of time: "1.200 Tage" measures a duration, which answers "Wie lange?" (or "Wie viele
# Tage?"), not "Wie viele Flüchtlinge?" (``answer/cues.holds_asked_quantity``).
DURATION_UNITS = frozenset(
    """
    tag tage tagen tages woche wochen monat monate monaten monats jahr jahre jahren jahres
    jahrzehnt jahrzehnte jahrzehnten jahrhundert jahrhunderte jahrhunderten stunde stunden
    minute minuten sekunde sekunden
    """.split()
)
DURATION_QUESTIONS = (r"wie\s+lange?", r"wie\s+alt")
# Adjectives that ask for a measure after "wie" ("Wie schwer ist es?") and the kind of measure
# each asks (None: any quantity, "Wie hoch ...?" is answered in Meter, Prozent or Euro).
# ``answer/cues.holds_asked_quantity`` wants that measure stated: "Wie alt ist Schoigu?" is not
# answered by "in weniger als drei Monaten".
MEASURES: dict[str, str | None] = {
    "schwer": "weight",
    "teuer": "price",
    "weit": "distance",
    "alt": "age",
    "lang": None,
    "lange": "duration",  # "Wie lange wurde gebaut?" (not "lang": "Wie lang ist sie?")
    "hoch": None,
    "groß": None,
    "gross": None,
}
# Words (verbs, and the nouns below) whose question asks a measure of that kind whatever its
# wh-word ("Wie viel kostete die Brücke?", "Was kostet das Ticket?": a price, not any number;
# "Wie viel wiegt er?": a weight), and the "Was ...?" forms that make a question a number
# question (``answer/cues.py``).
# The nouns naming such a measure ask it too ("Was waren die Kosten der Brücke?", "Wie hoch
# ist der Preis?": a price; issue 16), though "Kosten" and "kostete" share no stem: the
# sentence stating the price says "kostete 5 Millionen Euro". A price asked by its comparative
# or by paying ("Warum wurde die Brücke teurer?", "Was müssen Kunden bezahlen?"; quality17)
# is said by "Mehrkosten", "kostet einen Euro".
MEASURE_WORDS: dict[str, str] = dict.fromkeys(
    "kostet kostete kosteten kosten gekostet preis preise teurer bezahlen bezahlt gezahlt".split(),
    "price",
) | dict.fromkeys("wiegt wog wogen wiegen gewogen gewicht".split(), "weight")
WHAT_MEASURE = r"was\s+(?:kostet|kostete|kosteten|wiegt|wog)"
# The same verbs in the perfect or after a modal, ending the question ("Was hat sie
# gekostet?", "Was wird die Brücke kosten?"; hunt15), not "Was haben die Kosten bewirkt?".
WHAT_MEASURE_LATER = (
    r"was\s+(?:hat|haben|hatte|hatten|wird|werden|würde|würden|soll|sollen|sollte|sollten)"
    r"\b[^?.!]{0,80}?\b(?:gekostet|gewogen|kosten|wiegen)(?=\W*$)"
)
# "Was waren die Kosten ...?", "Was ist der Preis ...?": a measure's noun after "was" and a
# form of "sein" (not "Welche Universität erhielt einen Preis?").
WHAT_MEASURE_NOUN = (
    r"was\s+(?:ist|sind|war|waren|betragen|betrugen|beträgt|betrug)\s+(?:die|der|das)\s+"
    r"(?:kosten|preis|preise|gewicht)\b"
)
# The question words after which those verbs ask their measure: not "Wie viele Leben kostete
# der Krieg?", which counts lives; "Wie hoch" asks any quantity but a named measure's ("Wie
# hoch waren die Kosten?").
MEASURE_VERB_QUESTIONS = (r"wie\s*viel(?!e)", r"was", r"wie\s+hoch")
# What states a measure of each kind (regular expressions, matched case-insensitively): the
# units after its number ("23 Kilogramm", "der 69-Jährige", "im 70. Lebensjahr") and what
# stands before it ("€ 2499"); a scale word may come between number and unit ("2,5 Millionen
# Euro").
MEASURE_UNITS = {
    "weight": r"kilo(?:gramm)?|kg|gramm|g|tonnen?|t|pfund|zentner",
    "price": r"euro|cent|dollar|franken|pfund|rubel|yuan|yen|[€$£]",
    "distance": r"(?:kilo|zenti|milli)?metern?|km|cm|mm|m|(?:see)?meilen?",
    "age": r"jahre?n?|jährig\w*|lebensjahr\w*",
    "duration": r"(?:tag|woche|monat|jahr|jahrzehnt|jahrhundert|stunde|minute|sekunde)\w*",
}
MEASURE_BEFORE = {"price": r"[€$£]", "age": r"alter\s+von", "duration": ""}  # "im Alter von 38"
# What states a measure without a number: a price of nothing ("Der Eintritt ist frei.",
# "Die Teilnahme ist kostenlos.") answers "Wie viel kostet der Eintritt?" (hunt15). "frei"
# only as what something is or stays ("ist frei"), not "freie Wahlen".
MEASURE_WITHOUT_NUMBER = {
    "price": r"kostenlos|kostenfrei|gebührenfrei|gratis|umsonst"
    r"|(?:ist|sind|war|waren|bleibt|bleiben|blieb|blieben)\s+(?:\w+\s+)?frei(?!\w)",
    # a span by its start or end ("seit 2019", "bis Donnerstagmittag"; not "bis zu zwölf")
    "duration": r"seit(?!\w)|bis(?!\w)(?!\s+zu\b)",
}
SCALE_WORDS = r"millionen?|milliarden?|mio\.|mrd\.|tausend"
# Questions asking for a number / a time (regular expressions, matched case-insensitively).
NUMBER_QUESTIONS = (
    r"wie\s*viele?",
    r"wieviele?",
    rf"wie\s+(?:{'|'.join(MEASURES)})",
    WHAT_MEASURE,
    WHAT_MEASURE_LATER,
    WHAT_MEASURE_NOUN,
)
TIME_QUESTIONS = (
    r"wann",
    r"seit\s+wann",
    r"bis\s+wann",
    r"in\s+welchem\s+jahr",
    r"an\s+welchem\s+tag",
)
# What someone said: a question "Was sagte/erklärte X?" asks for reported speech
# (``answer/cues.py``); a sentence reports it with these verbs, "so X", "laut X", "X zufolge",
# a quoted statement, or the subjunctive of indirect speech (Konjunktiv I: "sei", "habe").
SPEECH_VERBS = (
    "sagen sagt sagte sagten gesagt erklären erklärt erklärte erklärten äußern äußert äußerte "
    "geäußert betonen betont betonte betonten meinen meint meinte gemeint antworten antwortet "
    "antwortete mitgeteilt teilte".split()
)
# "Wer trainiert Dynamo?", "Wer leitet die Tafel?": a verb asking who holds a role; the
# sentence naming the holder says it by the role noun ("Trainer Markus Brenner ...",
# "Vereinschefin Monika Schreiber"), not by the verb (``answer/cues.py``, role holders).
# Verb form -> the role it asks for (``ROLE_NOUNS``).
ROLE_VERBS: dict[str, str] = {
    **dict.fromkeys("trainiert trainierte trainieren coacht coachte".split(), "coach"),
    **dict.fromkeys("leitet leitete leiten führt führte führen".split(), "leader"),
    **dict.fromkeys("regiert regierte regieren".split(), "governor"),
}
ROLE_NOUNS: dict[str, tuple[str, ...]] = {
    "coach": ("trainer",),
    "leader": ("leiter", "chef", "vorsitzende", "direktor", "präsident"),
    "governor": ("bürgermeister", "landrat", "ministerpräsident", "kanzler", "regierungschef"),
}
"""Each role -> the nouns naming its holder in the articles (lower case, found inside
compounds: "Feuerwehrchef"). German whatever the question's language: the articles' words,
so every language's ``ROLE_VERBS`` names a role of this table."""
SPEECH_MARKERS = (  # regular expressions, case-sensitive: "laut" before a name, not "laut werden"
    r",\s*so\s+(?:der\s+|die\s+)?[A-ZÄÖÜ]",
    r"\b[Ll]aut\s+[A-ZÄÖÜ]",
    r"\bzufolge\b",
)
SUBJUNCTIVE = (
    "sei seien habe werde könne müsse solle wolle dürfe gebe brauche gehe stehe "
    "liege bedeute".split()
)
# Labels scrapers put before a publication date ("Datum: 4. Juni 2025").
DATE_LABELS = ("datum", "veröffentlicht", "stand", "aktualisiert")
# Labels of a picture credit: "(Quelle: Virginia Mayo)", "(Foto: dpa)" after a caption,
# "Foto: Kay Nietfeld/dpa" on its own line (``ingest/cleaning.py``). "Bild" only in
# parentheses: "Bild: Merz will ..." heads a press review.
CREDIT_LABELS = ("quelle", "bildquelle", "bildrechte", "foto", "fotos", "bild", "bilder")
PHOTO_LABELS = ("foto", "fotos", "fotograf", "fotografin")
# Lines opening with these are page furniture, not article text.
FOOTER_PHRASES = (
    "besuchen sie uns",
    "folgen sie uns",
    "folge uns",
    "mehr zum thema",
    "lesen sie auch",
    "lesen sie mehr",
    "weitere artikel",
    "teilen sie",
    "teilen auf",
    "abonnieren sie",
    "jetzt abonnieren",
    "zum newsletter",
    "alle rechte vorbehalten",
)
# Generated answers (answer/verification.py): number words and their values, capitalised
# first words that name nothing, and nouns that name nothing (German capitalises every noun).
CARDINALS = {
    "null": "0", "eins": "1", "zwei": "2", "drei": "3", "vier": "4", "fünf": "5", "sechs": "6",
    "sieben": "7", "acht": "8", "neun": "9", "zehn": "10", "elf": "11", "zwölf": "12",
    "zwanzig": "20", "hundert": "100", "tausend": "1000",
}  # fmt: skip
SENTENCE_OPENERS = frozenset(
    "laut nach zudem außerdem auch dabei dort damals heute gestern demnach dennoch jedoch "
    "insgesamt zunächst schließlich bereits zuvor seit bis ab mit ohne gemäß etwa rund fast "
    "knapp mehr weniger über unter nur erst noch somit also".split()
)
# Words that never follow an ordinal ("am 3. Juni", "in der 7. Minute": a noun, a month or
# another adjective does): articles, pronouns, prepositions, conjunctions. After "45." they
# open the next sentence, which the sentence splitter took for the ordinal's noun phrase
# ("Die Zahl stieg auf 45. Die Polizei ...": one sentence; ingest/sentences.py).
NOT_AFTER_ORDINALS = frozenset(
    "der die das den dem des ein eine einer einem einen eines er sie es wir ich man dies diese "
    "dieser dieses diesem diesen im am in an auf aus bei mit nach seit von vor zu zum zur und "
    "aber doch denn oder auch so da dann damit dabei dort nun jetzt zudem außerdem laut".split()
)
# Words after which a number counts and never ranks ("stieg auf 45.", "rund 300."): a
# capital after its full stop opens the next sentence, whatever the word
# ("Die Zahl stieg auf 45. Rettungskräfte suchen weiter."; ingest/sentences.py). A bare
# ordinal follows a determiner ("am 3.", "der 7."), a conjunction ("17. und 18.") or "bis".
NOT_BEFORE_ORDINALS = frozenset(
    "auf über unter rund etwa ca. fast knapp mindestens höchstens insgesamt".split()
)
GENERIC_NOUNS = frozenset(
    "mal male jahr jahre jahren jahres monat monate monaten monats woche wochen tag tage tagen "
    "tages zeit zeitpunkt datum ende anfang beginn mitte teil teile zahl anzahl artikel text "
    "bericht berichten angaben angabe informationen information quelle quellen belegstelle "
    "belegstellen stelle frage antwort rahmen fall grund folge weise art".split()
)
# Finite verbs that send the main verb to the end of a question ("Wann wurde er gewählt?"):
# an all-caps question's last word is then an infinitive or participle (answer/casing.py).
AUXILIARIES = frozenset(
    "wird werden wurde wurden kann können konnte konnten soll sollen sollte sollten will "
    "wollen wollte wollten muss müssen musste mussten darf dürfen durfte durften".split()
)
# Forms of "sein" and "haben": the last word is a participle only if it looks like one
# ("Was hat Merz gesagt?"), not in "Wer ist der Bürgermeister von Gotham?".
PERFECT_AUXILIARIES = frozenset("ist sind war waren hat haben hatte hatten".split())
# Words that turn a statement into its opposite: a generated sentence must carry one exactly
# where its span does (answer/verification.py). "nicht nur" ("not only") is no negation.
NEGATIONS = frozenset(
    "nicht nichts kein keine keinen keinem keiner keines nie niemals nimmer niemand niemandem "
    "niemanden nirgends nirgendwo weder ohne".split()
)
NOT_NEGATIONS = ("nicht nur", "nicht zuletzt")
# Words that make a statement a plan, a possibility or a claim ("Die Drohnen sollen ab Herbst
# eingesetzt werden", "angeblich"): a generated sentence restating such a clause of its span
# must keep one (answer/verification.py, modality_problem). "kann/können" (ability) and
# "will/wollen" (also English "will") are left out: too common to read as a plan.
MODAL_CUES = frozenset(
    "soll sollen sollte sollten solle sollst könnte könnten könne dürfte dürften "
    "möglicherweise vielleicht eventuell wahrscheinlich vermutlich voraussichtlich angeblich "
    "mutmaßlich mutmasslich offenbar anscheinend geplant plant planen plante planten "
    "vorgesehen beabsichtigt".split()
)
# A sentence holding one of these (or a cue above) does not state the span's plan as fact:
# a wish, an ability, an estimate and reported speech ("will", "kann", "schätzungsweise", "gilt
# als", "werde", "würde") keep it open too; "werden" does not (the passive "werden
# eingesetzt" states a fact).
MODAL_KEEPERS = frozenset(
    "würde würden werde wolle wollen will kann können konnte konnten schätzungsweise "
    "geschätzt gilt gelten galt vermutet".split()
)
# Question words that ask for something the answer must add (not "wurde": a yes/no question
# is answered by restating it).
WH_WORDS = frozenset(
    "wer wen wem wessen was wann wo wohin woher wie warum weshalb wieso welche welcher "
    "welches welchem welchen wieviel wieviele".split()
)
# Words a generated sentence may add to its span's: they attribute or approximate, and state
# no fact of their own (answer/verification.py).
# Words before a common noun ("die Kosten", "am Freitag", "seine Renovierung"): a capitalised
# word after one is a thing of the kind, not a name (answer/verification.py, off_topic).
DETERMINERS = frozenset(
    """
    der die das den dem des ein eine einen einem einer eines am im zum zur vom beim ins ans
    aufs dieser diese dieses diesem diesen jener jene jenes sein seine seinen seinem seiner
    seines ihr ihre ihren ihrem ihrer ihres unser unsere kein keine keinen keinem keiner
    """.split()
)
CONNECTIVES = frozenset(
    "laut gemäß zufolge demnach zudem außerdem ausserdem sowie ebenfalls ebenso etwa rund "
    "ungefähr circa ca insgesamt".split()
)
