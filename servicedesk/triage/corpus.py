"""A seeded generator of realistic municipal servicedesk tickets, for the demo, tests and bench.

Tickets are built from a grammar, not filled from templates: per intent (a
queue, a category and maybe a service) there are many title and sentence
phrasings in bokmål, nynorsk, Swedish and a little English, with slots
(systems, places, devices, times) filled at random; a description shuffles
a few of the intent's sentences with context and filler, wraps them in a
greeting and a signature (or not) and adds typos. ``ambiguous`` mixes two
intents, labelled by the first (the one the desk resolved it as).

Phrasings are split in two: every fourth phrasing of each list is *held out*
(``held_out=True`` makes the generator use it, the default leaves it out),
so an evaluation set built with ``held_out=True`` and another seed contains
wordings that no training ticket has.
"""

# ruff: noqa: E501 - phrase tables read better one phrasing per line
from __future__ import annotations

import random
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

QUEUES = (
    # code, name, sector
    ("SERVICEDESK", "Servicedesk førstelinje", "felles"),
    ("ARBEIDSPLASS", "Arbeidsplass: PC, skriver, Office", "felles"),
    ("NETTVERK", "Nettverk og infrastruktur", "felles"),
    ("HELSE", "Helse- og omsorgssystemer", "helse"),
    ("SKOLE", "Skolesystemer", "oppvekst"),
    ("SAK-ARKIV", "Sak, arkiv og dokumentflyt", "felles"),
    ("OKONOMI-HR", "Økonomi-, lønns- og HR-systemer", "felles"),
    ("TILGANG", "Brukerkontoer og tilganger", "felles"),
    ("SIKKERHET", "Informasjonssikkerhet", "felles"),
    ("TELEFONI", "Mobil og telefoni", "felles"),
)

SLOTS: dict[str, list[str]] = {
    "place": [
        "rådhuset", "sykehjemmet", "hjemmetjenesten", "barneskolen", "ungdomsskolen",
        "biblioteket", "teknisk etat", "legekontoret", "barnehagen", "NAV-kontoret",
        "helsestasjonen", "kulturhuset", "brannstasjonen", "omsorgssenteret", "servicetorget",
        "byggesak", "Frei skole", "Nordlandet ungdomsskole", "Sunndal helsetun", "Tingvoll rådhus",
    ],
    "time": [
        "i dag tidlig", "siden i går", "siden mandag", "etter lunsj", "hele formiddagen",
        "fra kl 08", "etter oppdateringa i helga", "av og til", "flere ganger i dag",
        "siden forrige uke", "nå nettopp", "i hele natt",
    ],
    "count": ["en", "to", "tre", "flere", "alle", "5", "10", "12", "noen"],
    "person": [
        "ny medarbeider", "vikar", "sommervikar", "ny sykepleier", "ny lærer", "lærling",
        "ny saksbehandler", "ny leder", "ny helsefagarbeider", "ny konsulent",
    ],
    "date": ["mandag", "1. januar", "neste uke", "15. august", "1. mars", "over helga", "i morgen"],
    "printer": ["skriveren", "printeren", "kopimaskinen", "multifunksjonsskriveren", "Ricoh-en"],
    "pc": ["PC-en", "maskinen", "laptopen", "den bærbare", "datamaskinen", "PCen"],
    "office": ["Word", "Excel", "Outlook", "Teams", "OneDrive", "PowerPoint"],
    "helse": ["Gerica", "Profil", "CosDoc", "journalsystemet", "EPJ", "Helseplattformen"],
    "skole": ["Visma Flyt Skole", "itslearning", "Feide", "Vigilo", "IST Everyday"],
    "arkiv": ["WebSak", "Elements", "Public 360", "Acos", "ePhorte", "eByggesak"],
    "okonomi": ["Visma Enterprise", "Agresso", "Unit4", "Visma", "reiseregningssystemet"],
    "phone": ["mobilen", "telefonen", "iPhone-en", "tjenestemobilen", "vakttelefonen"],
}  # fmt: skip


@dataclass(frozen=True)
class Intent:
    key: str
    queue: str
    category: str
    service: str | None
    titles: Sequence[str]
    lines: Sequence[str]
    nn: Sequence[str] = ()  # nynorsk lines (titles and sentences alike)
    sv: Sequence[str] = ()  # Swedish
    en: Sequence[str] = ()  # English


I = Intent  # noqa: E741 - the table reads better short
INTENTS: tuple[Intent, ...] = (
    # --- SERVICEDESK: questions, courses, moves, things that fit nowhere else
    I("opplaering", "SERVICEDESK", "Spørsmål", "SD",
      ["Spørsmål om kurs i {office}", "Ønsker opplæring", "Kurs for nyansatte?",
       "Hvor finner jeg brukerveiledning", "Opplæring i nytt system", "Hjelp til å komme i gang"],
      ["Vi ønsker et kurs for avdelingen vår.", "Finnes det en brukerveiledning jeg kan lese?",
       "Hvem kan holde opplæring for oss på {place}?", "Har dere kursdatoer i høst?",
       "Vi er {count} nye som trenger en innføring.", "Er det noen e-læring vi kan ta?",
       "Lurer på om dere tilbyr opplæring.", "Hvem skal jeg kontakte om kurs?"],
      ["Ønskjer opplæring i {office}", "Vi treng eit kurs for avdelinga.",
       "Kven kan halde opplæring for oss?"],
      ["Fråga om utbildning", "Vi behöver en kurs för avdelningen."],
      ["Question about training", "Is there a user guide?"]),
    I("flytting", "SERVICEDESK", "Bestilling", "SD",
      ["Flytting av kontor", "Vi flytter til nye lokaler", "Flytte arbeidsplass",
       "Bistand ved flytting", "Kontorbytte {date}"],
      ["Avdelingen flytter {date} og trenger hjelp med utstyret.",
       "{count} arbeidsplasser skal flyttes til {place}.", "Kan dere hjelpe oss å flytte?",
       "Hva må vi gjøre før flyttingen?", "Vi trenger at noen kobler opp på nytt etterpå.",
       "Hvem bestiller vi flyttehjelp av?"],
      ["Vi flyttar kontor {date}", "Avdelinga flyttar og treng hjelp."],
      ["Flytt av kontor", "Vi flyttar till nya lokaler {date}."]),
    I("generelt", "SERVICEDESK", "Spørsmål", None,
      ["Spørsmål", "Hjelp", "Lurer på noe", "Henvendelse", "Hvem kan hjelpe meg?",
       "Generelt spørsmål om IT"],
      ["Jeg vet ikke helt hvor jeg skal henvende meg.", "Kan noen ringe meg?",
       "Har et spørsmål om hvordan dette fungerer.", "Hvem har ansvar for dette?",
       "Ring meg gjerne på {phone_number}.", "Håper dere kan svare snart.",
       "Er det mulig å få en prat med noen hos dere?"],
      ["Kven kan hjelpe meg?", "Eg lurer på noko.", "Kan nokon ringje meg?"],
      ["Fråga", "Vem kan hjälpa mig?"],
      ["Question", "Who can help me with this?"]),
    # --- ARBEIDSPLASS: PC, printer, Office
    I("pc_treg", "ARBEIDSPLASS", "Maskinvare", None,
      ["{pc} er veldig treg", "{pc} starter ikke", "Blå skjerm på {pc}",
       "{pc} henger seg opp", "Maskinen slår seg av", "Treg PC", "PC vil ikke starte",
       "Dokkingstasjon virker ikke"],
      ["{pc} bruker flere minutter på å starte.", "Den fryser hver gang jeg åpner noe.",
       "Viften går for fullt og alt er tregt.", "Skjermen blir svart {time}.",
       "Jeg har prøvd å starte på nytt, uten hell.", "Det kommer en blå skjerm med feilkode.",
       "Lader ikke selv om laderen står i.", "Den ekstra skjermen får ikke signal.",
       "Tastaturet og musa virker ikke i dokkingen.", "Det lukter brent av maskinen."],
      ["PC-en er tung å starte", "Maskina heng seg opp {time}.", "Skjermen vert svart."],
      ["Datorn är jättelångsam", "Datorn startar inte.", "Skärmen blir svart hela tiden."],
      ["Laptop will not start", "My computer is very slow."]),
    I("skriver", "ARBEIDSPLASS", "Utskrift", None,
      ["{printer} skriver ikke ut", "Papirstopp i {printer}", "Får ikke skrevet ut",
       "Utskrift forsvinner", "Toner tom", "{printer} på {place} er offline",
       "Skanning til e-post virker ikke"],
      ["{printer} i andre etasje viser papirstopp.", "Utskriftene blir liggende i køen.",
       "Det kommer bare blanke ark ut.", "Skanning til e-post har sluttet å virke.",
       "Vi trenger ny toner.", "{printer} står som frakoblet på PC-en.",
       "Har prøvd å slå den av og på.", "Ingen på avdelingen får skrevet ut {time}."],
      ["Skrivaren skriv ikkje ut", "Papirstopp i skrivaren.", "Utskrifta vert borte."],
      ["Skrivaren skriver inte ut", "Pappersstopp i skrivaren.", "Kan inte skriva ut."],
      ["Printer not working", "The printer says paper jam."]),
    I("office", "ARBEIDSPLASS", "Programvare", "MS-OFFICE",
      ["{office} krasjer", "{office} starter ikke", "Problem med {office}",
       "Feilmelding i {office}", "{office} fryser", "Lyd virker ikke i Teams-møter",
       "Kalenderen synkroniserer ikke"],
      ["{office} lukker seg når jeg åpner et dokument.", "Får feilmelding om lisens i {office}.",
       "Etter oppdateringen starter ikke {office}.", "Mikrofonen virker ikke i Teams.",
       "Kalenderen i Outlook viser ikke nye møter.", "Filene synkroniserer ikke til OneDrive.",
       "Det står at produktet ikke er aktivert.", "Makroene i Excel virker ikke lenger."],
      ["{office} krasjar", "{office} vil ikkje starte.", "Lyden fungerer ikkje i Teams."],
      ["{office} kraschar hela tiden", "Ljudet fungerar inte i Teams."],
      ["{office} keeps crashing",]),
    I("ny_pc", "ARBEIDSPLASS", "Bestilling", "MS-OFFICE",
      ["Ny PC til {person}", "Bestilling av PC", "Trenger ny skjerm", "Bestille utstyr",
       "Ny laptop", "Utstyr til nyansatt", "Trenger headset"],
      ["{person} starter {date} og trenger PC.", "Vi trenger en ekstra skjerm og tastatur.",
       "Gammel PC er fem år og bør byttes.", "Kan dere bestille headset til {count} ansatte?",
       "Leder har godkjent bestillingen.", "Hva koster en ny bærbar?",
       "Ønsker dokkingstasjon og to skjermer."],
      ["Ny PC til {person}", "Treng ny skjerm.", "{person} byrjar {date} og treng utstyr."],
      ["Beställning av dator", "Ny dator till nyanställd."]),
    # --- NETTVERK
    I("wifi", "NETTVERK", "Nettverk", "NETT",
      ["Trådløst nett faller ut", "Ikke nett på {place}", "Wifi virker ikke",
       "Nettet er nede", "Tregt nett", "Får ikke koblet til eduroam",
       "Ingen internettforbindelse"],
      ["Det trådløse nettet faller ut flere ganger om dagen.", "Vi har ikke nett på {place}.",
       "Internett er veldig tregt {time}.", "Gjestenettet krever passord som ingen har.",
       "Nettverkskabelen gir ikke forbindelse.", "Switchen i kjelleren blinker rødt.",
       "Ingen får koblet seg på wifi i møterommet.", "Opplasting tar evigheter."],
      ["Ikkje nett på {place}", "Det trådlause nettet fell ut.", "Nettet er nede {time}."],
      ["Inget nätverk", "Wifi fungerar inte på {place}.", "Nätet är nere."],
      ["No network", "The wifi keeps dropping."]),
    I("vpn", "NETTVERK", "Nettverk", "NETT",
      ["VPN kobler ned", "Får ikke koblet til VPN", "VPN virker ikke hjemme",
       "Hjemmekontor uten tilgang", "Problem med fjerntilgang", "Citrix henger"],
      ["VPN-en kobler ned hvert kvarter.", "Får feil når jeg prøver å koble til VPN hjemmefra.",
       "Jeg kommer ikke inn på fellesområdene fra hjemmekontor.",
       "Terminalserveren svarer ikke.", "Det står at sertifikatet er utløpt.",
       "Fjerntilgang virket i går, men ikke i dag."],
      ["VPN koplar ned", "Får ikkje kopla til VPN heimanfrå."],
      ["VPN fungerar inte", "Kan inte ansluta till VPN hemifrån."],
      ["VPN disconnects",]),
    # --- HELSE
    I("helse_feil", "HELSE", "Fagsystem", None,
      ["{helse} henger", "Feil i {helse}", "{helse} er nede", "Får ikke åpnet {helse}",
       "{helse} svarer ikke", "Kan ikke dokumentere i {helse}", "Tiltaksplan lagres ikke"],
      ["{helse} henger når vi skal dokumentere.", "Journalen åpnes ikke for brukeren.",
       "Nattevakten får ikke skrevet rapport i {helse}.", "Tiltakene lagres ikke.",
       "Det kommer en feilmelding om database i {helse}.", "Pasientlista er tom.",
       "Vi får ikke signert notatene.", "Medisinlista vises ikke i {helse}."],
      ["{helse} heng", "Får ikkje dokumentert i {helse}.", "Journalen opnar seg ikkje.",
       "Nattevakta får ikkje skrive rapport."],
      ["{helse} hänger sig", "Kan inte dokumentera i journalen."]),
    I("eresept", "HELSE", "Meldingsutveksling", None,
      ["E-resept feiler", "Meldinger til sykehuset stopper", "Helsenett nede",
       "Epikriser kommer ikke", "Feil i meldingsutveksling", "PLO-meldinger stopper"],
      ["Reseptene blir liggende i utboksen.", "PLO-meldingene kommer ikke fram til sykehuset.",
       "Epikrisene fra sykehuset har ikke kommet {time}.", "Helsenettet svarer ikke.",
       "Legemiddellista oppdateres ikke fra Kjernejournal.",
       "Meldingsutvekslingen med fastlegene står."],
      ["E-resept feilar", "Meldingane til sjukehuset stoppar.", "Epikrisane kjem ikkje."],
      ["E-recept fungerar inte", "Meddelanden till sjukhuset fastnar."]),
    # --- SKOLE
    I("skole_system", "SKOLE", "Fagsystem", None,
      ["Elevene får ikke logget inn med Feide", "Feil i {skole}", "{skole} viser feil timeplan",
       "Fravær lagres ikke", "Problem med {skole}", "Karakterer vises ikke",
       "Foreldre får ikke meldinger"],
      ["Hele trinnet får ikke logget inn med Feide.", "{skole} lagrer ikke fraværet.",
       "Timeplanen i {skole} er feil etter skolestart.", "Kontaktlærerne får feilmelding.",
       "Foresatte får ikke meldinger fra skolen.", "Karakterene vises ikke for elevene.",
       "Elevene mangler i klasselista.", "Vurderingene forsvinner når vi lagrer."],
      ["Elevane får ikkje logga inn med Feide", "Fråværet vert ikkje lagra.",
       "Timeplanen i {skole} er feil.", "Kontaktlærarane får feilmelding."],
      ["Eleverna kan inte logga in", "Frånvaron sparas inte i {skole}."]),
    I("elevutstyr", "SKOLE", "Maskinvare", None,
      ["Chromebook lader ikke", "iPad til elev", "Elev-PC ødelagt", "Chromebook-vogna virker ikke",
       "Knust skjerm på elev-iPad", "Nye Chromebooks til 8. trinn"],
      ["Vogna med Chromebooks på {place} lader ikke.", "En elev har knust skjermen på iPaden.",
       "Vi trenger {count} nye Chromebooks til høsten.", "Elevene får ikke lastet ned apper.",
       "Klassesettet med iPader er ikke registrert.", "Eleven har mistet laderen."],
      ["Chromebook ladar ikkje", "Eleven har knust skjermen på iPaden.",
       "Vi treng nye Chromebooks til elevane."],
      ["Chromebook laddar inte", "Eleven har tappat sin iPad."]),
    # --- SAK-ARKIV
    I("arkiv", "SAK-ARKIV", "Fagsystem", None,
      ["Feil i {arkiv}", "{arkiv} henger", "Får ikke journalført", "Kan ikke åpne dokument i {arkiv}",
       "Problem med {arkiv}", "Dokument låst i {arkiv}", "Postlista publiseres ikke"],
      ["Jeg får ikke journalført innkommende brev i {arkiv}.", "Dokumentet er låst av en annen.",
       "{arkiv} henger når jeg skal lagre.", "Postlista ble ikke publisert i dag.",
       "Saken har fått feil saksbehandler.", "Malen for vedtak mangler i {arkiv}.",
       "Det kommer feil ved arkivering av e-post.", "Jeg ser ikke restanselista."],
      ["Får ikkje journalført i {arkiv}", "Dokumentet er låst.", "Postlista vart ikkje publisert."],
      ["Fel i {arkiv}", "Kan inte diarieföra i {arkiv}."]),
    I("svarut", "SAK-ARKIV", "Integrasjon", None,
      ["SvarUt feiler", "Brev sendt med SvarUt kommer ikke fram", "SvarInn henter ikke post",
       "Forsendelse feilet", "Digital post stopper", "KS Fiks feiler"],
      ["Brev sendt via SvarUt står som feilet.", "SvarInn har ikke hentet post {time}.",
       "Mottakeren har ikke fått brevet i Digipost.", "Forsendelsen ble returnert.",
       "Integrasjonen mot KS Fiks gir feilmelding.", "Vedleggene mangler i forsendelsen."],
      ["SvarUt feilar", "Brevet kom ikkje fram til mottakaren.", "SvarInn hentar ikkje post."],
      ["SvarUt fungerar inte", "Brevet kom aldrig fram."]),
    # --- OKONOMI-HR
    I("lonn", "OKONOMI-HR", "Fagsystem", None,
      ["Feil i {okonomi}", "Får ikke levert reiseregning", "Timelister godkjennes ikke",
       "Lønnsslipp mangler", "Problem med {okonomi}", "Fravær registreres ikke i {okonomi}",
       "Overtid vises ikke"],
      ["Jeg får ikke sendt inn reiseregningen i {okonomi}.", "Lønnsslippen for denne måneden mangler.",
       "Timelistene blir ikke godkjent.", "Overtiden er ikke med på lønna.",
       "Fraværet er ikke registrert i {okonomi}.", "Attestasjon av fakturaer henger.",
       "Ferien står feil i {okonomi}.", "Leder ser ikke de ansatte i {okonomi}."],
      ["Får ikkje levert reiserekning", "Lønsslippen manglar.", "Timelistene vert ikkje godkjende."],
      ["Lönebeskedet saknas", "Kan inte lämna in reseräkning i {okonomi}."]),
    I("faktura", "OKONOMI-HR", "Økonomi", None,
      ["Faktura står fast", "Attestering av faktura", "Feil på faktura", "Inngående faktura mangler",
       "EHF-faktura kommer ikke", "Budsjettmodul feiler"],
      ["Fakturaen står fast i arbeidsflyten.", "EHF-fakturaene har ikke kommet inn.",
       "Jeg får ikke attestert fakturaen.", "Budsjettet for neste år kan ikke lagres.",
       "Leverandøren sier fakturaen er sendt.", "Koststed er feil på fakturaen."],
      ["Faktura står fast", "Eg får ikkje attestert fakturaen.", "EHF-fakturaene kjem ikkje."],
      ["Fakturan har fastnat", "Kan inte attestera fakturan."]),
    # --- TILGANG
    I("passord", "TILGANG", "Innlogging", None,
      ["Glemt passord", "Kontoen er låst", "Får ikke logget inn", "Passordet er utløpt",
       "Bytte passord", "Låst ute", "Innlogging feiler"],
      ["Jeg har glemt passordet og er låst ute.", "Kontoen ble sperret etter for mange forsøk.",
       "Passordet gikk ut {time}.", "Får beskjed om at brukernavn eller passord er feil.",
       "Kan dere nullstille passordet mitt?", "Jeg kommer ikke inn på PC-en med passordet mitt."],
      ["Gløymt passord", "Kontoen er låst.", "Eg har gløymt passordet og kjem ikkje inn."],
      ["Glömt lösenord", "Kontot är låst.", "Jag har glömt mitt lösenord."],
      ["Forgot password", "My account is locked."]),
    I("mfa", "TILGANG", "Innlogging", None,
      ["Ny mobil, mistet Authenticator", "Tofaktor virker ikke", "BankID-innlogging feiler",
       "Får ikke kode på SMS", "MFA spør hele tiden", "ID-porten avviser meg"],
      ["Jeg har byttet mobil og har ikke lenger Authenticator.", "Koden på SMS kommer ikke.",
       "Innlogging med BankID feiler i ID-porten.", "Tofaktor ber om godkjenning hele tiden.",
       "Må få registrert ny telefon for innlogging.", "Kodebrikken virker ikke."],
      ["Ny mobil utan Authenticator", "Koden på SMS kjem ikkje.", "Innlogging med BankID feilar."],
      ["BankID fungerar inte", "Jag har bytt mobil och har inte Authenticator."]),
    I("ny_bruker", "TILGANG", "Tilgang", "TS-TILGANG",
      ["Ny bruker til {person}", "Tilgang til fellesmappe", "Brukerkonto for {person}",
       "Tilgang til {arkiv}", "Avslutte bruker", "Endre rettigheter", "Tilgang til {helse}"],
      ["{person} starter {date} og trenger brukerkonto.", "Må få tilgang til fellesmappa for økonomi.",
       "Leder har godkjent tilgangen.", "Brukeren har sluttet og skal avsluttes.",
       "Trenger skrivetilgang i stedet for lesetilgang.", "Kan {person} få samme tilganger som meg?",
       "Vedkommende trenger tilgang til {arkiv}."],
      ["Ny brukar til {person}", "Tilgang til fellesmappa.", "Brukaren har slutta."],
      ["Nytt användarkonto", "Behöver behörighet till gemensam mapp."]),
    # --- SIKKERHET
    I("phishing", "SIKKERHET", "Sikkerhet", "SIKKERHEIT",
      ["Mistenkelig e-post", "Phishing?", "Klikket på lenke i e-post", "Svindelforsøk",
       "Falsk faktura på e-post", "Rar e-post fra leder", "Virus på PC-en?"],
      ["Flere ansatte har fått en e-post med vedlegg som ser falsk ut.",
       "Jeg klikket på lenken og skrev inn passordet.", "E-posten ber oss betale en faktura straks.",
       "Avsenderen later som hun er rådmannen.", "Antivirus har gitt et varsel.",
       "Det dukker opp rare vinduer på skjermen.", "Noen har logget inn på kontoen min fra utlandet."],
      ["Mistenkjeleg e-post", "Eg klikka på lenkja.", "Avsendaren lèt som ho er rådmannen."],
      ["Misstänkt e-post", "Jag klickade på länken.", "Nätfiske?"],
      ["Suspicious email", "I clicked a phishing link."]),
    I("tap", "SIKKERHET", "Sikkerhet", "SIKKERHEIT",
      ["Mistet PC", "Stjålet {phone}", "Tapt minnepinne med personopplysninger", "Avvik: sendt til feil mottaker",
       "Personopplysninger på avveie", "Innbrudd i bil, PC borte"],
      ["PC-en ble stjålet fra bilen.", "Jeg har mistet en minnepinne med pasientdata.",
       "En e-post med personopplysninger ble sendt til feil mottaker.",
       "Må melde et avvik.", "Enheten må sperres og slettes.", "Politiet er kontaktet."],
      ["Mista PC", "Sende til feil mottakar.", "Eg må melde eit avvik."],
      ["Stulen dator", "Personuppgifter skickades till fel mottagare."]),
    # --- TELEFONI
    I("mobil", "TELEFONI", "Telefoni", None,
      ["Ny mobil til {person}", "{phone} virker ikke", "Knust skjerm på {phone}", "Nytt SIM-kort",
       "Overføre nummer", "Mobilabonnement", "Ingen dekning på {phone}"],
      ["{phone} har knust skjerm.", "Trenger nytt SIM-kort.", "Nummeret skal overføres til ny ansatt.",
       "{phone} får ikke dekning på {place}.", "Vi trenger et nytt abonnement.",
       "Den gamle mobilen er ødelagt.", "E-posten kommer ikke inn på telefonen."],
      ["Ny mobil til {person}", "Knust skjerm på mobilen.", "Treng nytt SIM-kort."],
      ["Ny mobiltelefon", "Trasig skärm på mobilen.", "Behöver nytt SIM-kort."]),
    I("sentralbord", "TELEFONI", "Telefoni", None,
      ["Sentralbordet svarer ikke", "Viderekobling virker ikke", "Kø i sentralbordet",
       "Telefonsvarer", "Endre svartjeneste", "Innringere blir brutt"],
      ["Innringere blir brutt etter noen sekunder.", "Viderekoblingen til vakttelefonen virker ikke.",
       "Vi må endre åpningstidene i svartjenesten.", "Telefonsvareren har feil melding.",
       "Sentralbordet viser ingen i kø.", "Kan dere legge til {count} nye i svargruppa?"],
      ["Sentralbordet svarar ikkje", "Vidarekoplinga fungerer ikkje."],
      ["Växeln svarar inte", "Vidarekopplingen fungerar inte."]),
)  # fmt: skip

GREETINGS = {
    "nb": ["Hei", "Hei!", "Hei,", "Hallo", "God morgen", "Hei dere", "Hei servicedesk",
           "Heisann"],
    "nn": ["Hei", "Hei,", "God morgon", "Hallo"],
    "sv": ["Hej", "Hej!", "Hej,", "God morgon"],
    "en": ["Hi", "Hello", "Hi,"],
}  # fmt: skip
CLOSINGS = {
    "nb": ["Mvh", "Med vennlig hilsen", "Hilsen", "MVH", "mvh", "Vennlig hilsen", "Takk på forhånd!",
           "Takk for hjelpen", "Hilsen oss på {place}"],
    "nn": ["Med venleg helsing", "Vennleg helsing", "Helsing", "Mvh", "Takk for hjelpa"],
    "sv": ["Med vänliga hälsningar", "Hälsningar", "Mvh", "Tack på förhand", "MVH"],
    "en": ["Best regards", "Regards", "Thanks", "Kind regards"],
}  # fmt: skip
NAMES = ["Kari Nordmann", "Ola", "Berit Hansen", "Per Olav", "Ingrid", "Siv Iren Myklebust",
         "Jon Arne", "Astrid Lund", "Lars Erik", "Gunn", "Anna Svensson", "Erik Berg"]  # fmt: skip
TITLES_OF = ["Avdelingsleder", "Saksbehandler", "Sykepleier", "Lærer", "Konsulent", "Rektor",
             "Helsefagarbeider", "Rådgiver", "Enhetsleder"]  # fmt: skip
TAILS = ["Sendt fra min iPhone", "Sendt fra Outlook for Android", "Hent Outlook for iOS",
         "Skickat från min iPhone", "Sent from my iPhone"]  # fmt: skip
FILLER = {
    "nb": ["Det haster litt.", "Ikke så viktig, men irriterende.", "Gjelder {count} brukere.",
           "Har prøvd å starte på nytt.", "Har skjermbilde hvis dere trenger.",
           "Feilen skjer {time}.", "Jeg sitter på {place}.", "Ring meg gjerne.",
           "Kan noen se på dette?", "Samme problem som i forrige uke.",
           "Kollegaen min har det samme.", "Vi har mange brukere som venter."],
    "nn": ["Det hastar litt.", "Gjeld {count} brukarar.", "Eg sit på {place}.",
           "Feilen skjer {time}.", "Kan nokon sjå på dette?"],
    "sv": ["Det är bråttom.", "Gäller {count} användare.", "Jag sitter på {place}.",
           "Kan någon titta på det?"],
    "en": ["It is urgent.", "Please call me."],
}  # fmt: skip
VAGUE_TITLES = ["Feil", "Problem", "Virker ikke", "Haster!", "Hjelp", "Feilmelding", "Sak",
                "Fungerer ikke", "Spørsmål", "Henvendelse fra {place}", "SV: Feil", "Viktig"]  # fmt: skip
LANGUAGES = (("nb", 0.70), ("nn", 0.15), ("sv", 0.10), ("en", 0.05))


@dataclass(frozen=True)
class Sample:
    title: str
    description: str
    queue: str
    category: str
    service_code: str | None
    language: str
    ambiguous: bool = False
    intent: str = ""
    also: str | None = field(default=None)  # the second queue of an ambiguous ticket


def _split(items: Sequence[str], held_out: bool) -> list[str]:
    """Every fourth phrasing is held out: only the evaluation generator may use it."""
    kept = [x for i, x in enumerate(items) if held_out or i % 4 != 3]
    return kept or list(items)


def _fill(rng: random.Random, text: str) -> str:
    def slot(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "phone_number":
            return f"{rng.randint(400, 999)} {rng.randint(10, 99)} {rng.randint(100, 999)}"
        return rng.choice(SLOTS[name])

    return re.sub(r"\{(\w+)\}", slot, text)


def _typos(rng: random.Random, text: str, rate: float) -> str:
    words = text.split(" ")
    for i, w in enumerate(words):
        if len(w) > 3 and rng.random() < rate:
            j = rng.randrange(1, len(w) - 1)
            kind = rng.random()
            if kind < 0.4:
                w = w[:j] + w[j + 1 :]
            elif kind < 0.8:
                w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
            else:
                w = w[:j] + w[j] + w[j:]
            words[i] = w
    return " ".join(words)


def _language(rng: random.Random) -> str:
    r, acc = rng.random(), 0.0
    for lang, share in LANGUAGES:
        acc += share
        if r < acc:
            return lang
    return "nb"


def _phrases(intent: Intent, lang: str, held_out: bool) -> tuple[list[str], list[str]]:
    """(titles, sentences) of the intent in ``lang`` (bokmål's fill in for missing ones)."""
    if lang == "nb":
        return _split(intent.titles, held_out), _split(intent.lines, held_out)
    own = {"nn": intent.nn, "sv": intent.sv, "en": intent.en}[lang]
    if not own:
        return _split(intent.titles, held_out), _split(intent.lines, held_out)
    # A foreign-language ticket often has a Norwegian title or a Norwegian sentence in it.
    return list(own) + _split(intent.titles, held_out)[:1], list(own)


def _ticket_text(
    rng: random.Random, intents: Sequence[Intent], lang: str, held_out: bool
) -> tuple[str, str]:
    main = intents[0]
    titles, lines = _phrases(main, lang, held_out)
    title = _fill(rng, rng.choice(titles))
    sentences = rng.sample(lines, k=min(len(lines), rng.choice((1, 1, 2, 2, 3))))
    for other in intents[1:]:
        # Genuinely about both: as much text about the second, and often its title.
        o_titles, o_lines = _phrases(other, lang, held_out)
        sentences += rng.sample(o_lines, k=min(len(o_lines), len(sentences)))
        if rng.random() < 0.4:
            title = _fill(rng, rng.choice(o_titles))
        elif rng.random() < 0.4:
            title = f"{title} / {_fill(rng, rng.choice(o_titles)).lower()}"
    if rng.random() < 0.08:
        title = _fill(rng, rng.choice(VAGUE_TITLES))
    filler = FILLER.get(lang, FILLER["nb"])
    sentences += rng.sample(filler, k=rng.choice((0, 0, 1, 1, 2)))
    rng.shuffle(sentences)
    body = " ".join(_fill(rng, s) for s in sentences)
    if rng.random() < 0.15:
        body = body.lower()
    parts = []
    if rng.random() < 0.6:
        parts.append(rng.choice(GREETINGS[lang]))
    parts.append(body)
    if rng.random() < 0.55:
        closing = _fill(rng, rng.choice(CLOSINGS[lang]))
        sign = rng.choice(NAMES)
        if rng.random() < 0.4:
            sign += "\n" + rng.choice(TITLES_OF) + "\n" + rng.choice(SLOTS["place"]).capitalize()
        parts.append(f"{closing}\n{sign}")
    if rng.random() < 0.12:
        parts.append(rng.choice(TAILS))
    description = "\n\n".join(parts)
    if rng.random() < 0.1:  # some write only the title
        description = title
    rate = rng.choice((0.0, 0.0, 0.02, 0.05, 0.1))
    return _typos(rng, title, rate / 2)[:200], _typos(rng, description, rate)


# Pairs of queues a real ticket is often genuinely about both of.
CONFUSABLE = (
    ("passord", "helse_feil"), ("passord", "skole_system"), ("mfa", "mobil"),
    ("tap", "mobil"), ("phishing", "office"), ("vpn", "pc_treg"), ("ny_bruker", "ny_pc"),
    ("arkiv", "svarut"), ("skriver", "wifi"), ("lonn", "passord"), ("office", "wifi"),
    ("elevutstyr", "skole_system"), ("ny_bruker", "arkiv"), ("generelt", "pc_treg"),
    ("helse_feil", "pc_treg"), ("faktura", "arkiv"), ("sentralbord", "mobil"),
)  # fmt: skip


def generate(
    n: int,
    seed: int,
    *,
    held_out: bool = False,
    ambiguous_share: float = 0.1,
    label_noise: float = 0.0,
) -> Iterator[Sample]:
    """``n`` tickets from ``seed``; ``ambiguous_share`` of them about two intents;
    ``label_noise`` of them resolved in a wrong queue (as real desks sometimes do)."""
    rng = random.Random(seed)  # reproducible data, not a secret  # nosec B311
    by_key = {i.key: i for i in INTENTS}
    # Queues are not equally busy: the workplace queue gets most, telephony fewest.
    weights = [
        {"ARBEIDSPLASS": 3.0, "TILGANG": 2.0, "HELSE": 1.5, "SKOLE": 1.5}.get(i.queue, 1.0)
        / sum(1 for j in INTENTS if j.queue == i.queue)
        for i in INTENTS
    ]
    for _ in range(n):
        lang = _language(rng)
        if rng.random() < ambiguous_share:
            a, b = rng.choice(CONFUSABLE)
            if rng.random() < 0.5:
                a, b = b, a
            intents = [by_key[a], by_key[b]]
        else:
            intents = rng.choices(INTENTS, weights=weights, k=1)
        title, description = _ticket_text(rng, intents, lang, held_out)
        main = intents[0]
        queue = main.queue
        if label_noise and rng.random() < label_noise:
            queue = rng.choice(QUEUES)[0]
        yield Sample(
            title=title,
            description=description,
            queue=queue,
            category=main.category,
            service_code=main.service,
            language=lang,
            ambiguous=len(intents) > 1,
            intent=main.key,
            also=intents[1].queue if len(intents) > 1 else None,
        )
