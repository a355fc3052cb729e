"""The words appraisal listens for, in English and Norwegian (bokmål, with cheap nynorsk spellings), as data.

Each group is a list of regular-expression alternatives matched as whole words in lower-cased text, with what
they mean as written, what they mean under negation, and whom they must be about. Tune a persona's reading
here, and check the result with `aiki mood explain "..."` and `bench/appraisal.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from bot.mood import MoodEventKind

THANKED = MoodEventKind.THANKED
CRITICISED = MoodEventKind.CRITICISED
DISTRESSED = MoodEventKind.PERSON_DISTRESSED
GRIEVING = MoodEventKind.PERSON_GRIEVING
HAPPY = MoodEventKind.PERSON_HAPPY
MILESTONE = MoodEventKind.MILESTONE


class Need(Enum):
    """Whom a cue must be about before it counts."""

    NOTHING = "nothing"
    SELF = "self"  # the person themselves: "I'm so tired", not "the film was sad"
    AIKI = "aiki"  # AIKI: "you're useless", not "my code is useless"
    BEING = "being"  # a person or a pet: "my dog died", not "my battery died"


@dataclass(frozen=True)
class Cues:
    kind: MoodEventKind | None  # None: the words mean nothing by themselves (idioms that only mask)
    reason: str
    words: tuple[str, ...]
    negated: MoodEventKind | None = None  # "not happy" is distress; "not sad" is nothing
    needs: Need = Need.NOTHING
    rules_out: tuple[MoodEventKind, ...] = ()  # idioms: what the meaning reader must not read where they are
    held: bool = True  # a feeling someone holds ("she is stressed"), not a situation ("my mom is in the ER")


# Fixed expressions, read over the whole message before anything else; what they match is then hidden from the
# single-word cues ("can't wait" is not distress, "no thanks" is not thanks, "passed away" is not a pass).
IDIOMS: tuple[Cues, ...] = (
    Cues(
        HAPPY,
        "they are doing well",
        (
            r"never (?:been|felt) (?:this|so|more) (?:relaxed|happy|calm|good|great|free|alive|rested|loved|content)",
            r"(?:har )?aldri (?:vært|følt meg) så (?:avslappa|avslappet|glad|rolig|lykkelig|bra|fri|uthvilt|fornøyd)",
        ),
    ),
    Cues(
        None,
        "a word mentioned, not said",
        (
            r"(?:sier|si|skriver|skrive) (?:man |jeg |en )?(?:takk|tusen takk|unnskyld|beklager) (?:på|in)",
            r"(?:say|write|spell) (?:'thank you'|thank you|thanks|sorry) in",
        ),
        rules_out=(THANKED,),
    ),
    Cues(
        CRITICISED,
        "they were sarcastic about my help",
        (r"thanks? for nothing", r"takk for ingenting"),
        rules_out=(THANKED,),
    ),
    Cues(
        None,
        "a polite refusal, not thanks",
        (
            r"thanks?,? but no thanks",
            r"thanks?,? but i'?ll pass",
            r"no,? thanks?(?: you)?",
            r"no,? thank (?:you|u)",
            r"no,? (?:thx|ty|tnx)",
            r"nei,? takk",
            r"ellers takk",
            r"takk for sist",
        ),
        rules_out=(THANKED,),
    ),
    Cues(
        None,
        "relief, not thanks",
        (r"thank (?:god|goodness|heavens)", r"takk og (?:lov|pris)", r"gudskjelov"),
        rules_out=(THANKED,),
    ),
    Cues(
        None,
        "a set phrase",
        (
            r"(?:glad|gla|glade) i",  # Norwegian "fond of", not "glad"
            r"can'?t complain",
            r"(?:can'?t|cannot|could ?n'?t) believe",
            r"kan (?:ikke|ikkje) tro",
            # Not negations: what follows is meant as said ("can't stop smiling", "never been this calm").
            r"(?:can'?t|cannot|could ?n'?t) stop",
            r"(?:klarer|kan) (?:ikke|ikkje) (?:å )?slutte å",
            r"not (?:gonna|going to) lie",
            r"ngl",
            r"(?:skal|ska) (?:ikke|ikkje) lyve",
            r"ikke for å skryte",
            r"never (?:been|felt) (?:this|so|more)",
            r"(?:har )?aldri (?:vært|følt meg) så",
            r"no (?:problem|worries)",
            r"ikke noe problem",
            r"ikke sant",  # "right?", not "not true"
            # A feeling that belongs to a story, not to the person: "a sad movie", "en trist film".
            r"(?:sad|depressing|scary|happy) "
            r"(?:movie|film|song|story|book|poem|news|ending|episode|show|scene|chapter|character)s?",
            r"(?:trist|triste|skummel|skumle|deprimerende|lykkelig) "
            r"(?:film|sang|historie|bok|dikt|slutt|episode|serie|scene|kapittel)"
            r"(?:en|a|et|er|ene)?",
        ),
    ),
    Cues(
        None,
        "a greeting or wish",
        (
            r"ha det (?:bra|fint|godt|gøy)",
            r"ha en (?:fin|god|flott|fortsatt fin|strålende|kjekk|deilig) (?:dag|kveld|helg|tur|ferie|natt|uke)",
            r"have a (?:good|nice|great|lovely) (?:one|day|evening|weekend|night|trip|week)",
            r"happy birthday",
            r"gratulerer med dagen",
            r"good (?:morning|night|evening)",
            r"god (?:morgen|natt|kveld|helg|jul|påske|tur)",
            r"(?:happy|merry) (?:new year|christmas|easter|holidays)",
            r"godt nyttår",
            r"nice to meet you",
            r"hyggelig å (?:hilse på|møte|snakke med) deg",
        ),
        rules_out=(HAPPY, THANKED),
    ),
    Cues(
        None,
        "irony",
        (
            r"said no one ever",
            r"sa ingen (?:noensinne|noen gang|aldri)",
            r"oh (?:great|joy|perfect|wonderful|fantastic|fun)",
            r"(?:åh|å) (?:så )?(?:flott|fint|herlig|kjekt|morsomt|topp)",
            r"yeah,? right",
            r"ja,? sikkert",
        ),
        rules_out=(HAPPY, THANKED, MILESTONE),
    ),
    Cues(
        None,
        "laughter, not death",
        (r"(?:almost |nearly )?died (?:laughing|of laughter)", r"(?:holdt på å |nesten )?(?:dø|døde|dør) av latter"),
        rules_out=(GRIEVING, DISTRESSED),
    ),
    Cues(
        None,
        "a death that is no loss",
        (
            # Nobody grieves for themselves: "i'm dead lol", "æ e daud" (a laugh or a tired day, not a loss).
            r"(?:i'?m|i am|im) (?:literally |actually |so |just )?dead",
            r"(?:jeg|eg|æ) (?:er|e) (?:jo |helt |heilt )?(?:død|daud)",
            # A death in a game: "my character died on the last boss", "karakteren min døde", "my minecraft dog".
            r"(?:character|karakter\w*|avatar|npc|minecraft(?: \w+)?|tamagotchi\w*|sim)(?: \w+){0,2} "
            r"(?:died|dies|dead|døde|dødde|døydde|dør|død)",
            r"(?:died|dies|døde|dødde|døydde|dør) (?:\w+ ){0,4}(?:last|final|same|siste|samme|første) boss\w*",
        ),
        rules_out=(GRIEVING,),
    ),
    Cues(
        CRITICISED,
        "they said I missed their point",
        (
            r"(?:that'?s|that is|that was|this is|it'?s|it was) not what i (?:asked|meant|wanted|said)(?: for)?",
            r"not what i asked(?: for)?",
            r"(?:det|dette) (?:var|er) (?:ikke|ikkje) det (?:jeg|eg) (?:spurte om|mente|ba om|sa|ville)",
            r"(?:did|have) you even read",
            r"(?:leste|har) du (?:i det hele tatt|egentlig) (?:lest )?",
            # A correction: "i asked for sunday, not saturday", "jeg spurte om bokmål, ikke nynorsk". Only what the
            # person asked or said, and a short "what" unless it is "about"/"for"/"om": "i wanted pizza, not sushi"
            # and "i asked my boss for a raise, not a bonus" are no correction of AIKI.
            r"(?:i|jeg|eg|æ) (?:asked|said|meant|spurte|spurde|ba|sa|mente)(?: jo)?"
            r"(?: (?:about|for|om|etter|you|u|deg|du) [^.!?,]{1,50}?| [\w'-]+(?: [\w'-]+)?),? (?:not|ikke|ikkje)",
        ),
    ),
    Cues(
        CRITICISED,
        "they want me to stop doing something",
        (
            r"(?:stop|quit) (?:repeating|lecturing|moralizing|moralising|preaching|hallucinating)",
            r"(?:stop|quit) making (?:things|stuff) up",
            r"slutte? (?:å|med å) (?:gjenta|moralisere|preke|belære|dikte)",
        ),
    ),
    Cues(
        THANKED,
        "they were glad of what I did",
        (
            r"(?:digg|fint|deilig|flott|herlig|godt|kjekt|great|nice|love|glad|happy) (?:at|that) (?:du|you)",
            r"(?:you'?re|you are|du er) (?:the best|a lifesaver|best|gull|en livredder)",
            r"(?:huge|big|great|such a) help",
            r"(?:stor|god) hjelp",
            r"(?:great|good|nice|smart) (?:suggestion|idea|tip|call)",
            r"(?:godt|bra|fint|smart|lurt) (?:forslag|tips|råd|tenkt)",
        ),
    ),
    Cues(
        HAPPY,
        "they are looking forward to something",
        (
            r"(?:can'?t|cannot) wait",
            r"looking forward",
            r"look forward",
            r"gleder meg",
            r"gleda meg",
            r"gler meg",
            r"ser fram til",
            r"ser frem til",
        ),
    ),
    Cues(
        HAPPY,
        "they are doing well",
        (
            r"never been happier",
            r"could ?n'?t be better",
            r"could not be better",
            r"kunne (?:ikke|ikkje) (?:ha )?(?:vært|vore) (?:bedre|betre)",
            r"not (?:too |that |so )?bad(?: at all)?",
            r"(?:ikke|ikkje) (?:så |så veldig )?verst",
            r"(?:ikke|ikkje) (?:så )?(?:dårlig|dårleg)",
        ),
    ),
    Cues(
        DISTRESSED,
        "they are exhausted",
        (
            r"(?:can'?t|cannot|could ?n'?t) sleep",
            r"(?:have|has|had|did) ?n'?t slept",
            r"(?:have|has|had|did) not slept",
            r"no sleep",
            r"(?:har|hadde|har jo) (?:ikke|ikkje) (?:sovet|sove)",
            r"(?:får|fikk|fekk) (?:ikke|ikkje) sove",
        ),
    ),
    Cues(
        DISTRESSED,
        "they cannot take any more",
        (
            r"(?:can'?t|cannot) (?:do|take) (?:this|it) any ?more",
            r"(?:can'?t|cannot) cope",
            r"orker (?:ikke|ikkje)",
            r"orkar (?:ikke|ikkje)",
            r"klarer (?:ikke|ikkje) mer",
        ),
    ),
    Cues(
        DISTRESSED,
        "something went wrong for them",
        (
            r"did ?n'?t pass",
            r"did not pass",
            r"(?:besto|bestod) (?:ikke|ikkje)",
            r"lost my job",
            r"mistet jobben",
            r"miste jobben",
            r"(?:got|been) fired",
            r"laid off",
            r"fikk sparken",
            r"fekk sparken",
            r"broke up with me",
            r"dumped me",
            r"slo opp med meg",
            r"gjorde det slutt",
            r"(?:got |been |was )?rejected",
            r"(?:fikk|fekk) (?:avslag|nei)",
        ),
    ),
    Cues(
        GRIEVING,
        "they lost someone",
        (r"passed away", r"funeral", r"begravelse\w*", r"gravferd\w*", r"omkom\w*", r"minnestund\w*", r"memorial"),
    ),
    Cues(THANKED, "they thanked me", (r"thanks to you", r"takket være deg", r"takka vere deg")),
    Cues(
        THANKED,
        "they were glad of what I did",
        (
            r"(?:explained|explain|forklarte|forklarer) (?:\w+ )?(?:\w+ )?"
            r"(?:way |much |so |mye |så |langt )?(?:better|bedre)",
        ),
    ),
    Cues(
        MILESTONE,
        "they reached something they worked for",
        (
            r"(?:is|er|ble|was|got) (?:endelig|finally) (?:squashed|fixed|solved|done|merged|live|out|knust|fikset|"
            r"løst|merget|ute|ferdig|godkjent|approved)",
            r"go me",
            r"sterkt av meg",
            r"(?:good|well done) me",
        ),
    ),
    Cues(
        HAPPY,
        "they sound happy",
        (
            r"went (?:really |so |very |super )?well",
            r"gikk (?:veldig |så |skikkelig |kjempe|super)(?:bra|fint|godt)",
            r"first steps",
            r"første skritt",
            r"best day",
            r"beste dag",
            r"endelig (?:sol|fredag|helg|ferie|sommer)",
            r"finally (?:friday|the weekend|weekend|vacation|holiday|summer)",
        ),
    ),
    Cues(
        DISTRESSED,
        "something hard is happening to them",
        (
            r"(?:don'?t|do not) know (?:what to do|where to go|how to cope)",
            r"(?:throw|kaste) (?:my |the )?(?:laptop|pc|computer|phone|pc-en|mobilen|laptopen)",
            r"nobody (?:showed up|came)",
            r"ingen kom",
            r"legevakt\w*",
            r"akutten",
            r"(?:in|at) the er",
            r"emergency room",
            r"(?:tight|tightness) in my chest",
            r"chest (?:gets|is|feels) tight",
            r"strammer seg i brystet",
            r"(?:i'?m|i am|jeg er|eg er) (?:\w+ )?(?:sick|ill|syk|sjuk)(?! of)",
        ),
        held=False,
    ),
    Cues(
        None,
        "a question about someone else's feelings",
        (
            r"what (?:do|should|can|would) (?:you|i|one) (?:say|write|do|get|give|bring|buy) "
            r"(?:to |for )?(?:someone|a friend|\w+ who)",
            r"hvordan (?:kan|skal|bør) (?:jeg|man) (?:hjelpe|trøste|støtte|muntre opp|snakke med)",
        ),
        rules_out=(GRIEVING, DISTRESSED, HAPPY, MILESTONE),
    ),
    Cues(
        CRITICISED,
        "they said my help did not help",
        (
            r"(?:that|this|it|det|dette|det der) (?:var |was )?(?:ikke|ikkje) til (?:noe |noen )?hjelp"
            r"(?: i det hele tatt)?",
            r"(?:that|this|det|dette|det der) hjalp (?:virkelig |jo |absolutt )?(?:ingenting|ikke|ikkje)",
            r"(?:that|this) (?:did ?n'?t|did not|does ?n'?t|does not) (?:help|fix anything)(?: at all| much| one bit)?",
        ),
    ),
    Cues(
        CRITICISED,
        "they want me to stop doing something",
        (
            r"(?:can|could) you (?:please )?(?:not be|stop \w+ing|quit \w+ing)",
            r"(?:kan|kunne) du (?:please |være så snill og )?(?:la være|slutte) (?:å|med)",
            r"stop with the \w+",
            r"slutt med \w+(?:ene|ne)",
            r"(?:stop|quit) (?:pretend|lectur|moraliz|moralis|preach|repeat|assum|guess|interrupt|spamm|patroniz)\w*",
        ),
    ),
    Cues(
        GRIEVING,
        "they lost someone",
        (
            r"rest in peace",
            r"hvil i fred",
            r"(?:took|taken) (?:his|her|their) own life",
            r"tok livet (?:sitt|av seg)",
            r"(?:klarer|kan) (?:fortsatt |enda |ennå )?(?:ikke|ikkje) (?:fatte|forstå|tro) at "
            r"(?:hun|han|de|mamma|pappa) er borte",
            r"would(?:'ve| have) (?:been|turned) (?:[\w']+ ){0,3}(?:birthday|\d+)",
            r"(?:skulle|ville) (?:ha )?fylt \d+",
            r"\w+'s grave",
            r"(?:grava|graven|gravstedet) til",
            r"(?:på|ved) (?:grava|graven)",
        ),
    ),
    Cues(
        HAPPY,
        "they laughed till they cried",
        (
            r"(?:lo|ler|ledde|laughed|laughing) (?:så |so hard |till |until )?(?:jeg |eg |i )?(?:grein|gråt|cried|cry)",
            r"tears of joy",
            r"gledestårer",
        ),
        rules_out=(DISTRESSED,),
    ),
    Cues(
        HAPPY,
        "they are doing well",
        (
            r"(?:har|have) (?:ikke|ikkje|not) (?:vært|been|felt) (?:så|this|so) (?:glad|happy|fornøyd|lykkelig)"
            r"(?: på lenge| in (?:ages|years|a long time))",
            r"have ?n'?t (?:been|felt) (?:this|so) (?:happy|good) in (?:ages|years|a long time)",
            r"(?:helt )?i hundre",
            r"healthy again",
            r"cancer[- ]free",
            r"kreftfri",
        ),
    ),
    Cues(
        HAPPY,
        "they are expecting a child",
        (
            r"(?:skal|ska|kommer til å) bli (?:foreldre|mamma|pappa|mor|far|storebror|storesøster|besteforeldre)",
            r"going to be (?:parents|a dad|a mom|a mum|a father|a mother|grandparents)",
        ),
    ),
    Cues(
        MILESTONE,
        "they reached something they worked for",
        (
            r"tok (?:lappen|sertifikatet|doktorgraden|mastergraden|bachelor\w*|fagbrevet|svennebrevet)",
            r"(?:fikk|fått) (?:lappen|fast (?:stilling|jobb)|fagbrevet)",
            r"(?:nothing|ingenting) (?:broke|knakk|brakk|crashed|krasjet)",
            r"(?:on|at) the first try",
            r"på første forsøk",
            r"(?:got|have) my (?:driver'?s )?licen[cs]e",
            r"signed the (?:lease|contract|deal)",
            r"signerte (?:kontrakten|avtalen)",
            r"bought (?:a|our|my) (?:first )?(?:house|apartment|flat|home)",
            r"personal best",
            r"ny pers",
            r"first paycheck",
            r"første lønning",
            r"(?:søknaden|forslaget|saken|lånet) (?:gikk gjennom|ble godkjent|ble innvilget)",
            r"(?:got|was|were|been) approved",
            r"innvilget",
            r"sold my first",
            r"solgte (?:mitt|min|det) første",
            r"(?:hit|reached|nådde) (?:my|our|the|mitt|målet)(?: \w+)? (?:goal|mål\w*)",
            r"nådde målet",
            r"lost \d+ ?(?:kg|kilos|pounds|lbs)",
            r"(?:is|are|er) (?:nå |now )?(?:live|ute) (?:i|in|on) "
            r"(?:app store|google play|the store|produksjon|production|prod)",
            r"alt (?:funker|virker|fungerer)(?! ikke)",
            r"(?:fiksa|fikset|fixed) (?:den |the |that )?(?:bug\w*|feilen)",
            r"(?:got |ble |is |er )(?:merget|merged)",
        ),
    ),
    Cues(
        DISTRESSED,
        "they have had enough",
        (
            r"(?:so|så) (?:done|ferdig) (?:with|med)",
            r"(?:jeg|i) (?:gir|give) (?:opp|up)(?=[.!?,]|$)",
            r"i'?m giving up(?=[.!?,]|$)",
            r"(?:losing|lose) my mind",
            r"går fra vettet",
            r"(?:driving|drives) me (?:crazy|insane|nuts)",
            r"(?:gjør|gjorde) meg (?:gal|sprø)",
        ),
    ),
    Cues(
        DISTRESSED,
        "they cannot take any more",
        (
            r"(?:can'?t|cannot|could ?n'?t) (?:focus|concentrate|breathe|think straight|get out of bed|relax)",
            r"(?:klarer|får) (?:ikke|ikkje) (?:å )?(?:fokusere|konsentrere meg|puste|tenke klart|stå opp|slappe av)",
            r"(?:want|wanna) to (?:disappear|hide|scream)",
            r"vil bare (?:forsvinne|gjemme meg|skrike)",
            r"(?:alt|everything) (?:går|goes|is going) (?:galt|wrong)",
            r"nothing (?:goes|is going) right",
        ),
    ),
    Cues(
        DISTRESSED,
        "something went wrong for them",
        (
            r"(?:gikk|gått) (?:til helvete|rett i dass|i dass|skikkelig dårlig|dårlig)",
            r"(?:went|go|going) (?:to hell|badly|horribly)",
            r"bombed",
            r"klump i magen",
        ),
    ),
)

THANKS: tuple[Cues, ...] = (
    Cues(
        THANKED,
        "they thanked me",
        (
            r"thanks?",
            r"thank (?:you|u|ya)",
            r"thx",
            r"cheers for",
            r"ty",
            r"tysm",
            r"appreciate (?:it|that|you|this)",
            r"much appreciated",
            r"grateful",
            r"takk\w*",
        ),
    ),
)

CRITICISM: tuple[Cues, ...] = (
    Cues(
        CRITICISED,
        "they criticised me",
        (
            r"useless",
            r"bad",
            r"poor",
            r"unhelpful",
            r"stupid",
            r"dumb",
            r"idiot\w*",
            r"wrong",
            r"terrible",
            r"awful",
            r"horrible",
            r"garbage",
            r"rubbish",
            r"trash",
            r"annoying",
            r"slow",
            r"lazy",
            r"boring",
            r"pathetic",
            r"sucks?",
            r"liar",
            r"lying",
            r"(?:making|make|made) (?:things|stuff|it) up",
            r"(?:made|makes|make) no sense",
            r"misunderst\w*",
            r"misforst\w*",
            r"ga ingen mening",
            r"shut up",
            r"hate you",
            r"ubrukelig\w*",
            r"dårlig\w*",
            r"verdiløs\w*",
            r"dum(?:me|t)?",
            r"teit\w*",
            r"feil",
            r"galt",
            r"elendig\w*",
            r"håpløs\w*",
            r"treg\w*",
            r"irriterende",
            r"kjip\w*",
            r"lyver",
            r"suger",
            r"hold kjeft",
        ),
        needs=Need.AIKI,
    ),
    Cues(
        CRITICISED,
        "they feel I do not listen",
        (
            r"(?:do|did|does) ?n'?t (?:listen|understand|get it|care)",
            r"(?:do|did) not (?:listen|understand|care)",
            r"never (?:listen|understand|remember)",
            r"(?:always|keep) (?:forget\w*|getting (?:it|things) wrong)",
            r"(?:hører|høyrer|lytter) (?:ikke|ikkje|aldri)(?: etter)?",
            r"forstår (?:meg )?(?:ikke|ikkje|aldri)",
            r"skjønner (?:meg )?(?:ikke|ikkje|aldri)",
            r"glemmer (?:alltid|alt)",
            r"alltid glemmer",
        ),
        needs=Need.AIKI,
    ),
)

DISTRESS: tuple[Cues, ...] = (
    Cues(
        DISTRESSED,
        "they feel low",
        (
            r"sad",
            r"unhappy",
            r"down",
            r"depressed",
            r"lonely",
            r"(?:feel|feeling|so|all) alone",
            r"(?:føler meg|så|helt) alene",
            r"pointless",
            r"meaningless",
            r"(?:feel|feeling|so) empty",
            r"struggling",
            r"meningsløs\w*",
            r"sliter",
            r"føler meg (?:helt |så )?tom",
            r"miserable",
            r"hopeless",
            r"heartbroken",
            r"upset",
            r"worthless",
            r"(?:like )?a failure",
            r"(?:a |an )?(?:fraud|impostor)",
            r"(?:en )?bløff",
            r"terrible",
            r"awful",
            r"trist",
            r"lei (?:meg|deg)",
            r"ensom",
            r"einsam",
            r"deprimert",
            r"nedfor",
            r"langt nede",
            r"fortvil\w*",
            r"oppgitt",
            r"verdiløs",
            r"elendig",
            r"dårlig",
            r"dårleg",
        ),
        needs=Need.SELF,
    ),
    Cues(
        DISTRESSED,
        "they are stressed or anxious",
        (
            r"stressed(?: out)?",
            r"anxious",
            r"nervous",
            r"scared",
            r"afraid",
            r"worried",
            r"overwhelmed",
            r"frustrated",
            r"(?:sick|tired) of",
            r"fed up",
            r"failed",
            r"strøk",
            r"stressa",
            r"stresset",
            r"engstelig",
            r"nervøs",
            r"redd",
            r"bekymra?",
            r"bekymret",
            r"frustrert",
            r"lei av",
        ),
        needs=Need.SELF,
    ),
    Cues(
        DISTRESSED,
        "they are exhausted",
        (
            r"exhausted",
            r"tired",
            r"drained",
            r"burn(?:ed|t) out",
            r"sliten",
            r"slitne",
            r"utslitt",
            r"trøtt",
            r"trøytt",
            r"utbrent",
            r"utkjørt",
        ),
        needs=Need.SELF,
    ),
    Cues(
        DISTRESSED,
        "something hard is happening to them",
        (
            r"(?:rough|hard|tough|bad|terrible|awful|horrible|shit|crap) (?:day|week|night|time)",
            r"(?:tung|tøff|dårlig|drit|dritt|jævlig|forferdelig|kjip|elendig) (?:dag|uke|veke|natt|tid)",
            r"drittdag",
            r"overwhelming",
            r"crying",
            r"cried",
            r"in tears",
            r"gråter",
            r"gråte",
            r"gråt",
            r"falling apart",
            r"faller (?:fra hverandre|sammen)",
            r"freaking out",
            r"(?:får|fikk) panikk",
            r"grein",
            r"anxiety",
            r"panic attacks?",
            r"angst\w*",
            r"panikkanfall",
            r"stress",
            r"stressing me(?: out)?",
            r"u+gh+",
            r"argh+",
            r"æsj",
        ),
    ),
    Cues(
        DISTRESSED,
        "something hard is happening to them",
        (r"in (?:the )?hospital", r"på sykehus\w*", r"på sjukehus\w*"),
        held=False,
    ),
)

GRIEF: tuple[Cues, ...] = (
    Cues(
        GRIEVING,
        "they lost someone",
        (
            r"died",
            r"dead",
            r"lost",
            r"døde",
            r"døydde",
            r"død",
            r"daud",
            r"gikk bort",
            r"gjekk bort",
            r"sovnet inn",
            r"sovna inn",
            r"(?:har |hadde )?gått bort",
            r"mistet",
            r"mista",
            r"death",
            r"dødsfall\w*",
            r"killed",
            r"buried",
            r"begravde",
            r"begravet",
            r"put (?:\w+ ){0,2}(?:down|to sleep)",
            r"avliv\w*",
        ),
        needs=Need.BEING,
    ),
)

JOY: tuple[Cues, ...] = (
    Cues(
        HAPPY,
        "they sound happy",
        (
            r"happy",
            r"glad",
            r"gla",
            r"excited",
            r"thrilled",
            r"stoked",
            r"overjoyed",
            r"delighted",
            r"ya+y+",
            r"woo+hoo+",
            r"hurray",
            r"hooray",
            r"hurra",
            r"jippi",
            r"awesome",
            r"amazing",
            r"wonderful",
            r"fantastic",
            r"great",
            r"(?:good|great) news",
            r"gode nyheter",
            r"doing (?:great|well|good)",
            r"love it",
            r"proud",
            r"stolt",
            r"fantastisk",
            r"herlig",
            r"kjempe(?:bra|fint|gøy|glad|godt)",
            r"gøy",
            r"digg",
            r"lykkelig",
            r"lovely",
            r"deilig",
            r"(?:good|great) mood",
            r"smil(?:e|es|ing|er|te)",
            r"made my day",
            r"(?:reddet|gjorde) dagen",
            r"let'?s go+",
            r"(?:helt|så|sykt|skikkelig) rå",
            r"rørt",
            r"touched",
            r"(?:she|he) said yes",
            r"(?:hun|han) sa ja",
            r"(?:got|are|we'?re|i'?m) engaged",
            r"forlove[td]",
            r"(?:skal|skal jo) ha barn",
            r"venter barn",
            r"(?:having|expecting) a baby",
            r"(?:getting|got) married",
            r"(?:skal )?gifte oss",
            r"godt humør",
            r"(?:så|ganske|veldig|skikkelig|utrolig|super|svært) (?:bra|fint|godt)",
        ),
        negated=DISTRESSED,
    ),
    # Plain words that say nothing as written but are distress when negated: "not good", "ikke greit".
    Cues(
        None,
        "they are not doing well",
        (r"fine", r"ok", r"okay", r"good", r"well", r"greit", r"fint", r"bra", r"godt"),
        negated=DISTRESSED,
    ),
)

ACCOMPLISHMENT: tuple[Cues, ...] = (
    Cues(
        MILESTONE,
        "they reached something they worked for",
        (
            r"(?:it|this|that)(?:'s| is)? (?:finally |now |actually )?(?:works|working)",
            r"works now",
            r"(?:finally )?got it (?:to work|working)",
            r"shipped",
            r"launched",
            r"released",
            r"(?:i|we) passed",
            r"passed (?:the|my|an?|it)",
            r"got the (?:job|offer|promotion)",
            r"got promoted",
            r"graduated",
            r"(?:i|we) won",
            r"won (?:the|our)",
            r"(?:is|are) (?:finally |all )?(?:green|passing)",
            r"(?:i|we) (?:did|made) it",
            r"nailed it",
            r"(?:fixed|solved) it",
            r"(?:for the )?first time",
            r"proud of myself",
            r"milestone",
            r"lansert\w*",
            r"lanserte",
            r"publiserte",
            r"besto",
            r"bestod",
            r"bestått",
            r"(?:fikk|fekk) jobben",
            r"(?:vi|jeg|eg) vant",
            r"(?:det|den) (?:funker|virker|fungerer|verkar)",
            r"klarte det",
            r"(?:fikk|fekk)(?: jeg| eg)? det til",
            r"(?:for )?første gang",
            r"stolt av meg selv",
            r"i mål",
            r"kom inn på",
            r"(?:got )?accepted (?:into|to|at)",
            r"(?:submitted|handed in)",
            r"(?:leverte|levert)",
            r"går grønt",
            r"(?:er|ble) grønne?",
            r"all (?:the )?(?:tests|checks)(?: are)? (?:green|passing|pass)",
            r"all green",
            r"alt (?:er )?grønt",
            r"(?:sober|clean|smoke-free)",
            r"(?:rusfri|røykfri|edru)",
            r"paid off",
            r"(?:nedbetalt|betalt ned)",
            r"beat (?:the )?(?:\w+ )?boss",
            r"slo (?:\w*)bossen",
            r"disputerte",
            r"defended my",
            r"(?:fikk|fekk) (?:a|6|en sekser|toppkarakter) på",
            r"got (?:an a|top marks|full marks) (?:on|in)",
            r"fikk (?:opprykk|forfremmelse)",
        ),
    ),
    Cues(
        MILESTONE,
        "they finished something",
        (r"finished", r"(?:finally )?done with", r"finally done", r"ferdig", r"fullført\w*", r"fullførte"),
        needs=Need.SELF,
    ),
)

# More single-word cues, read like the groups above (issue 23, second round).
MORE_THANKS: tuple[Cues, ...] = (
    Cues(
        THANKED,
        "they were glad of what I did",
        (
            r"bless you",
            r"setter (?:\w+ )?pris på",
            r"snilt av deg",
            r"(?:sweet|kind|nice|lovely|thoughtful|good) of you",
            r"owe you",
            r"skylder deg",
            r"nice one",
            r"you rock",
            r"du er (?:rå|konge)",
            r"kudos",
            r"tenks",
            r"exactly what i (?:wanted|needed)",
            r"akkurat det (?:jeg|eg) (?:trengte|ville ha)",
        ),
    ),
)
MORE_CRITICISM: tuple[Cues, ...] = (
    Cues(
        CRITICISED,
        "they criticised me",
        (
            r"(?:sound|sounds|sounding) like an? (?:\w+ )?(?:robot|chatbot|bot|broken record|parrot)",
            r"(?:høres|hører|høyrest) ut som (?:en |ei )?(?:\w+ )?(?:robot|kundeservice-robot|papegøye|chatbot)",
            r"generic",
            r"ignor(?:e|ed|es|ing|erer|erte)",
            r"overs(?:å|er)",
            r"misread\w*",
            r"(?:making|made|make|makes|gjorde|gjør) (?:it|things|everything|alt|det) (?:worse|verre)",
            r"(?:finner|fant|finne) (?:bare |jo )?på (?:ting|noe|det)",
            r"dikt(?:et|er|a) opp",
            r"disappointed in",
            r"disappoint(?:ing|ed)? me",
            r"(?:not|is ?n'?t|was ?n'?t) (?:very |really |that |at all )?(?:useful|helpful)",
            r"(?:ikke|ikkje) (?:særlig |så )?(?:nyttig|hjelpsom)",
            r"forg(?:ot|otten|et) my (?:name|birthday)",
            r"glem(?:t|te) (?:navnet|bursdagen)(?: mitt| min)?",
            r"(?:glemt|glemte|forgot|forgotten) (?:det|what|hva) (?:jeg|i) (?:sa|told you|said)",
            r"leste (?:jo )?(?:ikke|ikkje)",
            r"(?:did ?n'?t|did not) (?:even )?read",
            r"(?:too|way too|altfor|for) (?:long|lang|lange|langt|wordy)",
            r"belær\w*",
            r"nedlatende",
            r"condescending",
            r"preachy",
            r"patroni[sz]ing",
            r"lecturing",
            r"svarte (?:du )?på (?:noe )?(?:helt )?(?:annet|feil)",
            r"answered (?:something|the wrong)",
            r"you suck",
            r"(?:på jordet|på bærtur|ute på viddene)",
            r"sludder",
            r"vrøvl\w*",
            r"tullprat",
            r"gibberish",
            r"bullshit",
            r"(?:not|n't) making (?:any )?sense",
            r"making no sense",
            r"gir (?:ingen|ikke|ikkje) mening",
            r"twist(?:s|ed|ing)? my words",
            r"vri(?:r|dd|dde) på (?:ordene|det)",
            r"left out",
            r"hoppet over",
            r"(?:expected|forventet) (?:more|better|mer|bedre) (?:from|of|av)",
            r"(?:skriv|skriver|skrive|skrev) (?:så|altfor|for) (?:langt|mye|lange)",
        ),
        needs=Need.AIKI,
    ),
)
MORE_DISTRESS: tuple[Cues, ...] = (
    Cues(
        DISTRESSED,
        "they are stressed or anxious",
        (
            r"gruer meg",
            r"gruet meg",
            r"dreading",
            r"skjelv(?:er|de)",
            r"shaking",
            r"terrified",
            r"livredd",
            r"dødsredd",
            r"panicking",
            r"panikk\w*",
            r"(?:hater|hate) (?:meg selv|myself|livet|my life)",
            r"drittlei",
            r"savner",
            r"invisible",
            r"usynlig",
            r"numb",
            r"nummen",
            r"on edge",
            r"deppa",
            r"nedtrykt",
            r"gutted",
            r"bummed",
            r"devastated",
            r"crushed",
            r"irritert",
            r"forbanna",
            r"sint",
            r"angry",
            r"pissed",
            r"furious",
            r"kvalm",
            r"meltdown",
            r"breakdown",
            r"burn-?out",
            r"(?:har det|hatt det|har hatt det) (?:så |veldig |skikkelig )?(?:tungt|vondt|kjipt|dritt|jævlig)",
        ),
        needs=Need.SELF,
    ),
    Cues(
        DISTRESSED,
        "something hard is happening to them",
        (r"(?:bare|helt|totalt) kaos", r"(?:total |complete )?chaos"),
    ),
)
MORE_WORRY: tuple[Cues, ...] = (
    Cues(
        DISTRESSED,
        "someone close to them is ill",
        (r"(?:really |very |seriously |alvorlig |veldig )?(?:sick|ill|syk|sjuk)(?! of)",),
        needs=Need.BEING,
    ),
)
MORE_GRIEF: tuple[Cues, ...] = (
    Cues(
        GRIEVING,
        "they lost someone",
        (
            r"(?:had to|måtte) (?:say goodbye|ta farvel) (?:to|med)",
            r"did ?n'?t (?:wake up|make it(?! to))",
            r"never woke up",
            r"(?:våknet|våkna) (?:ikke|ikkje|aldri)",
            r"klarte seg (?:ikke|ikkje)",
            r"gone forever",
            r"borte for alltid",
            r"rip",
            r"passed on",
            r"lost (?:his|her|their) (?:fight|battle)",
            r"tapte kampen",
            r"no longer alive",
            r"(?:ikke|ikkje) (?:lenger )?(?:blant oss|i live)",
        ),
        needs=Need.BEING,
    ),
)
MORE_JOY: tuple[Cues, ...] = (
    Cues(
        HAPPY,
        "they sound happy",
        (
            r"gira",
            r"gíra",
            r"giret",
            r"hyped",
            r"pumped",
            r"\w*koselig\w*",
            r"cozy",
            r"cosy",
            r"nydelig\w*",
            r"gorgeous",
            r"adopt(?:ed|erte|ert)",
            r"best \w+ ever",
            r"tidenes beste",
            r"buzzing",
            r"over the moon",
            r"on cloud nine",
            r"chuffed",
            r"(?:helt|så|sykt|skikkelig) (?:konge|fett|nais)",
            r"nais",
            r"heia",
            r"(?:fikk|fått|got|getting) (?:en |a |ny |new )?(?:valp|kattunge|puppy|kitten)",
            r"[🥰😍😄😁🥳🎉]",
        ),
        negated=DISTRESSED,
    ),
)

# The order the single-word cues are read in; all of them read every clause.
WORD_CUES: tuple[Cues, ...] = (
    THANKS
    + MORE_THANKS
    + CRITICISM
    + MORE_CRITICISM
    + GRIEF
    + MORE_GRIEF
    + DISTRESS
    + MORE_DISTRESS
    + MORE_WORRY
    + ACCOMPLISHMENT
    + JOY
    + MORE_JOY
)

# A whole clause that is only this: "Finally!", "Endelig!", "That's wrong.", "Det er feil."
WHOLE_CLAUSE: tuple[Cues, ...] = (
    Cues(MILESTONE, "they reached something they worked for", (r"finally", r"endelig", r"endeleg")),
    Cues(
        CRITICISED,
        "they said I was wrong",
        (
            r"(?:(?:that'?s|that is|this is|det er|det var|dette er|nei,?) )?(?:just |so |completely |totally |helt |"
            r"bare |jo |flat out |plain |simply )*"
            r"(?:wrong|incorrect|false|usant|not (?:quite |entirely |really )?(?:true|right|correct)|feil|galt|"
            r"ikke (?:helt |heilt )?riktig|ikke sant|nonsense|tull)",
            r"(?:det|that|this) (?:stemmer|stemmer jo) (?:ikke|ikkje)(?: helt| heilt)?",
        ),
    ),
)

# Words that turn a cue around when they come shortly before it (or, Norwegian style, right after a verb).
NEGATORS = frozenset(
    {"not", "never", "hardly", "nothing", "nobody", "almost", "nearly", "ikke", "ikkje", "aldri", "ingen",
     "inga", "nesten", "snart", "ingenting", "null"}
)  # fmt: skip
# A frame that denies the rest of its clause, from before the subject: "not that you were unhelpful", "i wouldn't
# say i'm happy", "kan ikke si at jeg gleder meg", "ikke det at du var til dårlig hjelp".
DENYING_FRAMES = (
    r"not that",
    r"(?:ikke|ikkje)(?: det)? at",
    r"(?:can'?t|cannot|couldn'?t|wouldn'?t|won'?t) (?:really )?say",
    r"(?:kan|vil|kunne|ville) (?:ikke|ikkje) (?:si|sei|seie)",
)
# Something AIKI gave that failed is criticism without a criticism word: "den lenka du sendte funker ikke",
# "the code you gave me doesn't even compile", "that link you sent is dead".
AIKI_GAVE = r"(?:you|u|du) (?:gave|sent|suggested|recommended|wrote|ga|gav|sendte|foreslo|anbefalte|skrev)"
WORKS = frozenset(
    {"work", "works", "worked", "compile", "compiles", "run", "runs", "load", "loads", "open", "opens", "funker",
     "funka", "virker", "fungerer", "kompilerer", "kjører", "laster", "åpner"}
)  # fmt: skip
FAILED = frozenset({"dead", "broken", "død", "daud", "ødelagt", "crashes", "crashed", "krasjer"})
# A clause that only supposes ("if I pass") or, after a negation, wonders ("don't know if", "vet ikke om").
SUPPOSING = frozenset({"if", "whether", "unless", "hvis", "dersom", "viss"})
WONDERING = frozenset({"om", "if", "whether"})
# Adverbs that may stand between a Norwegian verb and its negation: "det funker fortsatt ikke".
BETWEEN_VERB_AND_NEGATION = frozenset(
    {"fortsatt", "enda", "ennå", "framleis", "heller", "helt", "egentlig", "eigentleg", "lenger", "lengre", "jo", "vel"}
)
INTENSIFIERS = frozenset(
    {"so", "really", "very", "extremely", "totally", "completely", "super", "incredibly", "absolutely", "utterly",
     "så", "veldig", "helt", "skikkelig", "utrolig", "ekstremt", "sykt", "fryktelig", "altfor", "svært", "kjempe"}
)  # fmt: skip
DIMINISHERS = frozenset({"bit", "little", "slightly", "kinda", "somewhat", "litt", "lite", "noe", "nokså"})

FIRST_PERSON = frozenset(
    {"i", "i'm", "im", "me", "my", "myself", "i've", "i'd", "i'll", "mine", "we", "we're", "us", "our",
     "jeg", "eg", "meg", "min", "mitt", "vi", "oss", "vår", "vårt", "våre"}
)  # fmt: skip
# Who feels it when a feeling word comes: the person as subject or object ("I'm stressed", "it scares me").
SELF_SUBJECTS = frozenset(
    {"i", "i'm", "im", "i've", "i'd", "i'll", "me", "myself", "we", "we're", "us", "jeg", "eg", "meg", "vi", "oss"}
)
# Possessives that make the thing criticised the person's own ("my code is wrong"), not AIKI.
OWN = frozenset({"my", "our", "min", "mitt", "mine", "vår", "vårt", "våre"})
SECOND_PERSON = frozenset(
    {"you", "you're", "youre", "your", "yours", "yourself", "u", "ur", "you've", "you'll", "aiki",
     "du", "deg", "din", "ditt", "dine", "di", "dykk"}
)  # fmt: skip
# Phrases that point at AIKI's own words without a pronoun.
AT_AIKI = (
    r"(?:that|this|the|your|last|an?) (?:\w+ ){0,2}(?:answer|reply|suggestion|response)s?",
    r"what i (?:asked|meant|said|wanted)",
    r"det (?:jeg|eg) (?:spurte om|mente|ba om|sa)",
    r"(?:det der|dette|det) (?:svaret|forslaget)",
    r"(?:svar(?:et|ene)|forslag(?:et|ene)?) (?:ditt|dine)",
    r"(?:et|ditt) (?:\w+ ){0,2}(?:svar|forslag)",
    r"(?:det|dette) svaret",
    r"svar(?:et|ene) (?:ditt|dine)",
    r"stop being",
    r"slutt å være",
    r"det (?:jeg|eg) skrev",
)
# Other assistants and services: criticism of them is not criticism of AIKI ("ChatGPT gave me a wrong answer").
OTHER_AGENTS = frozenset({"chatgpt", "gpt", "claude", "gemini", "copilot", "siri", "alexa", "google", "bing"})
BEINGS = (
    r"grand(?:mother|father|ma|pa|mom|dad)",
    r"granny",
    r"nan",
    r"mom",
    r"mum",
    r"mother",
    r"dad",
    r"father",
    r"uncle",
    r"aunt",
    r"brother",
    r"sister",
    r"friend",
    r"cousin",
    r"wife",
    r"husband",
    r"partner",
    r"son",
    r"daughter",
    r"boyfriend",
    r"girlfriend",
    r"dog",
    r"cat",
    r"pet",
    r"puppy",
    r"kitten",
    r"horse",
    r"beste(?:mor|far)",
    r"besta",
    r"beste",
    r"(?:mor|far)(?:mor|far)",
    r"olde(?:mor|far)",
    r"mamma",
    r"pappa",
    r"mor",
    r"far",
    r"onkel",
    r"tante",
    r"bror",
    r"søster",
    r"syster",
    r"venn",
    r"venninne",
    r"kompis",
    r"fetter",
    r"kusine",
    r"kone",
    r"mann",
    r"samboer",
    r"sønn",
    r"datter",
    r"dotter",
    r"kjæreste",
    r"hund",
    r"katt",
    r"valp",
    r"hest",
    r"hamster",
    r"rabbit",
    r"bunny",
    r"bird",
    r"parrot",
    r"guinea pig",
    r"kanin",
    r"fugl",
    r"undulat",
    r"marsvin",
    r"papegøye",
    r"teacher",
    r"neighbou?r",
    r"colleague",
    r"coach",
    r"baby",
    r"child",
    r"lærer",
    r"nabo",
    r"kollega",
    r"trener",
    r"barnet",
    r"boss",
    r"manager",
    r"co-?worker",
    r"room-?mate",
    r"landlord",
    r"sjef",
    r"leder",
    r"utleier",
    r"romkamerat",
    r"he",
    r"she",
    r"han",
    r"hun",
)

# Whose feeling a clause speaks of (bot/mind/appraisal_holder.py): someone else named before the cue holds it.
OTHER_HOLDERS = frozenset(
    {"he", "she", "they", "he's", "she's", "they're", "someone", "somebody", "han", "hun", "de",
     "noen", "hen"}
)  # fmt: skip
# Verbs that give a feeling to its holder: "my sister is so stressed", "noen som har angst".
STATE_VERBS = frozenset(
    {"is", "was", "are", "were", "been", "be", "seems", "seemed", "feel", "feels", "feeling", "felt", "looks", "has",
     "had", "gets", "got", "er", "var", "ble", "blir", "virker", "føler", "har", "hadde", "kjenner"}
)  # fmt: skip
AND = frozenset({"and", "og", "&"})
# Kin: a loss in the person's family is theirs too ("my sister's husband passed away"), a coworker's is not.
KIN = (
    r"grand(?:mother|father|ma|pa|mom|dad)", r"mom", r"mum", r"mother", r"dad", r"father", r"brother", r"sister",
    r"wife", r"husband", r"son", r"daughter", r"beste(?:mor|far)", r"(?:mor|far)(?:mor|far)", r"mamma", r"pappa",
    r"mor", r"far", r"bror", r"søster", r"syster", r"kone", r"mann", r"sønn", r"datter", r"dotter",
)  # fmt: skip
# Possessives of someone else: "her dog died" is her grief, "my dog died" is the person's.
OTHER_POSSESSIVES = frozenset({"her", "his", "their", "hennes", "hans", "deres", "sin", "sitt", "sine"})
# Whom thanks go to when it is not AIKI: "thanks to my mom", "takk til mamma", "takket være regnet".
THANKS_ELSEWHERE = frozenset({"to", "til", "være", "vere"})
THIRD_OBJECTS = frozenset({"him", "her", "them", "ham", "henne", "dem", "han", "hun"})
# Loss said with the loser as subject: "my coworker lost her dad", "kollegaen min mista faren sin".
LOSS_VERBS = frozenset({"lost", "loses", "mistet", "mista", "miste"})

# -- irony (bot/mind/appraisal_irony.py) ------------------------------------------------------------------------
# Praise that opens a message ("great, ...", "supert, ..."), or stands alone as its last clause ("... amazing.").
IRONY_PRAISE = (
    r"(?:oh |åh |å |wow,? |yeah,? |ja,? )*(?:so |så |just |bare |helt |really |super ?|virkelig )?"
    r"(?:great|perfect|wonderful|fantastic|amazing|brilliant|lovely|nice|awesome|yay|super|superb|excellent|splendid|"
    r"helpful|useful|supert|flott|fint|herlig|fantastisk|strålende|topp|perfekt|nydelig|jippi|hurra|deilig|genialt|"
    r"kjempebra|hjelpsom|nyttig)"
)
# Praise built into a sentence: "love it when ...", "elsker når ...", "just what I needed", "thanks for the 'help'".
IRONY_FRAMES = (
    r"(?:love|loving|i love) (?:it )?(?:how|when)",
    r"elsker (?:det )?(?:når|at)",
    r"just what i needed",
    r"akkurat (?:det|hva) (?:jeg|eg) trengte",
)
# Thanks that opens a message; ironic only with a strong sign (a genuine thanks may mention a broken build).
IRONY_THANKS = r"(?:wow,? |oh,? |åh,? |yeah,? |ja,? )?(?:thanks?|thank you|takk|tusen takk)(?: a lot| so much| masse)?"
# A praise taken back by a mocking condition: "lovely weather. if you like hail", "om du liker sludd". Its "you"
# is anyone, not AIKI.
MOCKING_CONDITION = r"(?:if|om|hvis) (?:you|u|du) (?:like|love|enjoy|liker|elsker)"
# A praise taken back by an exception: "genialt svar, bortsett fra at det var feil", "great answer, except it's wrong".
TAKEN_BACK = r"(?:except(?: that| for| it| the)?|apart from|bortsett fra|unntatt)"
# Strong signs: the emoji of an eye-roll, scare quotes, "typical", "of course", "helped nothing".
IRONY_SIGNS = (
    r"[🙃🙄😒😑🤡]",
    r"'\w[\w ]*'",
    r'"\w[\w ]*"',
    r"typisk",
    r"typical",
    r"classic",
    r"of course",
    r"as usual",
    r"som vanlig",
    r"selvfølgelig",
    r"(?:virkelig |really |absolutely |absolutt )?(?:ingenting|nothing)",
    r",? (?:really|altså|liksom)[.!]*$",  # "super helpful answer, really."
    r"liksom",
    MOCKING_CONDITION,
)
# Things going wrong, which make a praise that opens the message ironic: "great, the train is delayed again".
IRONY_MISHAPS = (
    r"cancel+ed",
    r"innstilt",
    r"late again",
    r"forsinket",
    r"forsinka",
    r"broke",
    r"breaks",
    r"broken",
    r"crash\w*",
    r"krasj\w*",
    r"(?:is|are|went|goes|gikk) (?:\w+ )?down",
    r"jams?",
    r"spilled",
    r"sølte",
    r"ødelagt",
    r"slettet",
    r"slettet",
    r"traffic",
    r"rain\w*",
    r"regn\w*",
    r"(?:yet )?another (?:monday|day|meeting|bill|delay|email|week)",
    r"(?:enda|nok) (?:en|et|ei|mer)",
    r"(?:right|just) before",
    r"rett før",
    r"in the middle of",
    r"midt i",
    r"flat tire",
    r"punktering",
    r"strømmen gikk",
    r"power (?:went|is) out",
    r"(?:made|gjorde) (?:it|everything|alt|det) (?:worse|verre)",
)
# What a sarcastic praise is about when it is AIKI's help: "brilliant advice", "strålende forslag".
HELP_NOUNS = (
    r"answer",
    r"repl(?:y|ies)",
    r"advice",
    r"suggestion",
    r"help",
    r"tip",
    r"svar\w*",
    r"råd\w*",
    r"forslag\w*",
    r"hjelp\w*",
    r"tips\w*",
)
# What irony says the opposite of.
# Thanks or praise, then what came of it, gone wrong: "takk for den, nå starter ikke pc-en", "amazing advice, now my
# plants are dead". What came of it follows "now" ("nå", nynorsk "no"); it went wrong if it is denied or lost.
IRONY_CONSEQUENCE = r"[,.!]\s*(?:and |og )?(?:now|nå|no)\s+([^.!?]*)"
IRONY_LOSSES = frozenset(
    {"gone", "borte", "deleted", "slettet", "sletta", "feil", "wrong", "ruined", "less", "mindre", "dead", "broken",
     "død", "daud", "ødelagt", "crashes", "crashed", "krasjer", "krasja", "svart", "burnt", "cant", "cannot", "wont",
     "dont", "doesnt"}
)  # fmt: skip
IRONY_RULES_OUT = (HAPPY, THANKED, MILESTONE)

# Work still going on: "I spent the day working on my proxy", "jobber med oppgaven". Meaning hears an achievement
# in the topic; until something is done it is none.
IN_PROGRESS = (
    r"(?:working|worked|work|been working) on",
    r"(?:jobber|jobbet|jobba|jobbar|holder på|holdt på|heldt på) (?:med|på)",
)
