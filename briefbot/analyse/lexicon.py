"""Small hand-written word lists the rules lean on (titles, reporting verbs, first names).

Kept in one place so a reader can see every word the analyser treats specially.
"""

from __future__ import annotations

# Capitalised titles written before a name ("Foreign Minister Sergei Lavrov").
TITLE_WORDS = frozenset(
    """
president vice-president minister secretary senator sen. sen representative rep. rep congressman
congresswoman governor gov. gov mayor chancellor king queen prince princess pope judge justice general
gen. gen colonel col. lieutenant lt. captain capt. admiral commissioner ambassador envoy director
chairman chairwoman chair chairperson speaker leader premier sheikh emir crown deputy chief executive
officer spokesperson spokesman spokeswoman commander sir dame lord lady bishop archbishop cardinal rabbi
imam attorney inspector sergeant sgt. coach president-elect then-president ex-president former acting
interim first prime foreign defence defense finance economy interior health trade labour labor energy
justice education environment transport treasury state superintendent sheriff marshal chief-executive
ceo cfo coo cto founder co-founder dr dr. prof prof. professor pastor reverend rev. father sister
brother ayatollah president's mp mep minister-president councillor councilor alderman
""".split()
)

# Titles that name a rank or a courtesy, not a function: an apposition that says what the person
# does ("Professor Ann Lee, the council's chair") is the better role; alone they are still a role.
RANK_TITLES = frozenset(
    """
mr mr. mrs mrs. ms ms. miss sir dame lord lady dr dr. prof prof. professor councillor councilor
alderman senator sen sen. representative rep rep. mp mep reverend rev. doctor
""".split()
)

# Heads of descriptions that make a name a thing rather than an actor: "Nevoprex, a migraine pill".
PRODUCT_NOUNS = frozenset(
    """
pill drug medicine medication treatment therapy vaccine tablet injection device heater heaters phone
smartphone handset laptop computer console car vehicle truck aircraft plane jet model product
products game film movie album song novel book drink beverage chip processor robot gadget
appliance range engine rocket satellite telescope
""".split()
)

HONORIFICS = {
    "mr": "m",
    "mr.": "m",
    "mrs": "f",
    "mrs.": "f",
    "ms": "f",
    "ms.": "f",
    "miss": "f",
    "sir": "m",
    "dame": "f",
    "lord": "m",
    "lady": "f",
    "king": "m",
    "queen": "f",
    "prince": "m",
    "princess": "f",
}

# Heads of person descriptions: "an analyst at …", "the 27-year-old", "union negotiator …".
PERSON_NOUNS = frozenset(
    """
spokesperson spokesman spokeswoman minister president secretary adviser advisor envoy negotiator
chairman chairwoman chair chairperson chief head director executive officer analyst economist scientist
researcher professor lawyer attorney official diplomat ambassador leader founder co-founder ceo cfo
manager coach player striker captain governor mayor senator lawmaker legislator commissioner judge
prosecutor general commander editor reporter journalist author activist campaigner organiser organizer
strategist consultant engineer doctor surgeon nurse teacher student resident farmer worker owner partner
banker investor trader actor actress singer member candidate representative deputy aide administrator
inspector historian expert specialist veteran mother father son daughter wife husband widow victim
witness survivor spokes chancellor premier king queen prince princess pilot driver officer soldier
colonel lieutenant sergeant detective investigator official staffer employee boss man woman girl boy
teenager father-in-law physician pharmacist architect designer writer novelist poet artist musician
director-general secretary-general head-coach manager-director astronaut geologist biologist chemist
physicist astronomer meteorologist forecaster epidemiologist virologist psychologist professor-emeritus
-year-old year-old mp mep source insider councillor councilor alderman treasurer auditor regulator-chief
fellow lecturer
""".split()
)

# Heads that describe an organisation or group, not a person ("the union FNV Havens", "contractor Helix").
ORG_NOUNS = frozenset(
    """
union company firm group agency broadcaster network newspaper paper magazine outlet channel station
contractor subcontractor supplier manufacturer maker automaker carmaker chipmaker drugmaker retailer
airline carrier operator bank lender insurer fund investor-group party team club league federation
association alliance coalition council committee commission ministry department government
administration regulator watchdog court tribunal university college school institute institution
hospital charity foundation organisation organization startup start-up conglomerate giant rival
subsidiary unit division brand platform service app website site exchange developer publisher studio
label producer distributor consortium cooperative co-op militia army navy force police authority
authorities board office parliament congress senate assembly cabinet embassy mission agency's operator's
body trust utility railway railroad port terminal company's panel jury inquiry bloc delegation campaign
side camp family opposition prosecution defence defense government junta regime rebels protesters
strikers unions employers workers residents
""".split()
)

# Words that end organisation names ("Helix Dynamics", "Mercer Capital").
ORG_SUFFIXES = frozenset(
    """
inc inc. corp corp. corporation co co. ltd ltd. llc plc ag sa gmbh nv bv group holdings dynamics systems
technologies technology tech capital partners bank airlines airways motors energy labs laboratories
media analytics industries solutions pharma pharmaceuticals networks university institute council
committee agency association union party ministry department center centre foundation fund trust
authority commission federation league club bureau office service services press news times post journal
herald tribune telegraph guardian review magazine board court assembly parliament congress senate police
army navy brigade movement front organization organisation alliance coalition society company
enterprises ventures investments insurance securities robotics aerospace logistics shipping mining oil
gas petroleum railways studios records entertainment games software electronics semiconductors
therapeutics biotech health hospital clinic school college academy exchange reserve events lines
network office
""".split()
)

SAY_VERBS = frozenset(
    """
say tell add state write explain note insist argue warn claim continue reply respond recall acknowledge
admit announce declare suggest comment conclude post tweet predict stress emphasise emphasize tell
testify remark observe reiterate repeat caution concede contend maintain assert allege confirm deny
complain lament quip joke muse scoff retort counter urge plead ask wonder agree promise pledge vow
threaten report echo recount boast proclaim
""".split()
)

# Reporting verbs that introduce a stance in reported speech ("X says no deal can be made").
STANCE_VERBS = (SAY_VERBS - {"ask", "wonder", "reply", "respond", "continue", "joke", "quip"}) | frozenset(
    """
believe think hope fear worry expect estimate forecast reckon accuse signal indicate dispute reject
propose demand announce report show find conclude suggest
""".split()
)

# Heads of descriptions that name who holds a view without naming a person: "47 percent said",
# "a majority of voters say", "those surveyed said", "analysts say"
GROUP_HEADS = frozenset(
    """
percent majority minority plurality half third quarter most many some few others those respondent
voter analyst economist politician lawmaker legislator advocate supporter opponent critic member staff
observer expert researcher scientist officer aide adviser advisor strategist insider democrat republican
conservative liberal progressive activist protester resident parent student worker employee
""".split()
)

PRONOUNS_PERSON = {"he": "m", "him": "m", "she": "f", "her": "f"}
PRONOUNS_OTHER = {"it", "they", "we", "i", "you", "them"}

STOPWORDS = frozenset(
    """
a an the and or but if of to in on at by for with from as is are was were be been being it its this that
these those there their they them he she his her him we our you your i me my not no so than then too
very can could would should will shall may might must do does did done has have had having over under
after before about into out up down off again further once here when where why how all any both each few
more most other some such only own same just also now new said says say told tell one two three s t who
whom which what while during against between through above below until per via upon amid among around
across along within without since according
""".split()
)

# A modest list of common given names, used only to guess he/she compatibility and person-ness.
MALE_NAMES = frozenset(
    """
aaron abdul adam adrian ahmed alan albert alex alexander alexei ali andre andreas andrew andrei angelo
anthony antonio arthur ben benjamin bernard bill bob boris brian bruce carl carlos charles chris
christian christopher colin daniel david dennis dick dmitry donald doug douglas edward emmanuel eric
ernesto felipe fernando frank frederick gary george gerald giorgio graham greg gregory hans harold harry
hassan henry hugo ian ibrahim igor ivan jack jacob james jan javier jean jeff jeffrey jerome jim joe
john jonathan jorge jose joseph juan karl keir keith ken kenneth kevin kirill klaus larry lars lee leo
louis luis marco marcus mark martin matthew michael miguel mike mohamed mohammed muhammad nicholas nick
nikolai olaf oliver omar oscar patrick paul pedro peter philip pierre pieter rafael ralph ray raymond
richard rishi robert roberto ron ronald ruben sam samuel scott sean sergei sergey stephen steve steven
stuart ted thomas tim timothy todd tom tony viktor vincent vladimir walter wayne william xavier yuri
yusuf boris dmitri mikhail alexey ahmad hamid rahul raj ravi narendra emmanuel friedrich wolfgang jens
joachim matteo luca giuseppe francesco jacques francois sebastian lukas jonas nils erik magnus henrik
mateusz piotr tomasz jakub ryan kyle tyler brandon justin jason eric bruno wim willem jan-willem hendrik bart
koen joost ruud sander
""".split()
)

FEMALE_NAMES = frozenset(
    """
alice amanda amy ana andrea angela angelina ann anna anne annalena barbara beatriz betty brenda carla
carmen carol caroline catherine charlotte christina christine claire claudia cynthia dana daniela
deborah diana donna dorothy elena elizabeth ellen emily emma eva fatima fiona frances gabriela giorgia
grace hannah helen ingrid irene isabel jacqueline jane janet jennifer jessica joan julia julie karen
kamala kate katherine kathleen katie kristi laura lauren linda lisa liz lucia lucy margaret maria marie
marieke marina marine martha mary megan melissa michelle monica nancy natalia natalie nicola nicole olga
olivia pamela patricia paula rachel rebecca rita rosa ruth sandra sara sarah sharon silvia sofia sophie
stephanie susan suzanne svetlana tammy teresa theresa ursula valerie victoria virginia yulia zoe aisha
amina leila priya sunita mette sanna kaja giorgia roberta ayesha chloe ella mia ava isla amelia jasmine
lena lea nina tanja anke ilse femke sanne lotte diane joyce janice gloria judith cheryl denise tina
""".split()
)

# Words that end place names ("Gloucester Road", "Lake Geneva" is caught by the tagger).
PLACE_SUFFIXES = frozenset(
    """
road street avenue lane boulevard square bridge park river lake mountain mountains island islands bay
coast valley hill hills heights airport station harbour harbor port canal sea ocean strait gulf
peninsula desert forest county district province region state city town village quarter mall stadium
arena falls springs beach creek fields plains ridge point
""".split()
)

# Verbs that frame a quoted fragment as someone's words: "called the pause “a betrayal”".
# Verbs of a relative clause that say what a person does: "Jane Doe, who chairs the port authority,".
ROLE_VERBS = frozenset(
    """
chair lead head run represent manage direct found co-found own coach captain edit oversee advise
coordinate organise organize supervise command govern teach chaired led headed ran represented
managed directed founded owned coached captained edited oversaw advised preside work serve sit speak
""".split()
)
# Prepositions that must follow "work", "serve", "sit", "speak" for the clause to be a role.
ROLE_VERB_PREPS = {
    "work": ("for", "at", "as", "with"),
    "serve": ("as", "on"),
    "sit": ("on",),
    "speak": ("for",),
}

# Last words of names of events, not actors: "the World Cup", "Paris Marathon", "COP31 summit".
EVENT_WORDS = frozenset(
    """
cup championship championships games olympics olympiad paralympics marathon half-marathon festival
summit expo exhibition biennale derby prix rally regatta classic trophy awards jubilee carnival
tournament grand-prix world-series
""".split()
)
# First words of stage races and similar events named after a tour: "Tour des Falaises".
EVENT_FIRST_WORDS = frozenset("tour giro vuelta".split())
# Time zones the tagger takes for organisations ("13:00 GMT").
TIME_ZONES = frozenset(
    "gmt bst utc cet cest eet eest edt cst cdt mst mdt pst pdt aest aedt jst hkt sgt msk est".split()
)

FRAMING_VERBS = frozenset("call describe label dub term brand denounce hail praise".split())

# Abbreviated titles spelled out in roles ("Sen." -> "Senator").
TITLE_EXPANSIONS = {
    "sen.": "Senator",
    "sen": "Senator",
    "rep.": "Representative",
    "gov.": "Governor",
    "gen.": "General",
    "lt.": "Lieutenant",
    "col.": "Colonel",
    "capt.": "Captain",
    "sgt.": "Sergeant",
    "prof.": "Professor",
    "rev.": "Reverend",
    "dr.": "Dr",
    "pres.": "President",
}
