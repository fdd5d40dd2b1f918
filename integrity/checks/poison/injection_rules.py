"""The prompt-injection rules: instructions aimed at an AI, in English, German, French, Spanish,
Italian, Portuguese and Dutch, as regexes over the text's skeleton (see
:mod:`integrity.checks.poison.normalize`).

A rule fires on the *shape* of an instruction to a model, not on a topic: an override verb with
something that qualifies earlier instructions ("ignore ... previous ... instructions"), a new role
("you are now ... an unrestricted AI"), a request for the hidden prompt, chat-template tokens,
links that carry data out, and the "important message ... before you solve the task" template.
Customers' own words ("please ignore my previous message", "you are now charging me twice",
"the bot said: ...") do not have that shape, which is what keeps clean batches quiet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from integrity.checks.poison.injection_words import (
    DE_EARLIER,
    DE_OVERRIDE,
    DE_ROLE,
    DE_ROLE_NOUN,
    DE_RULES,
    DE_SECRET,
    DE_SHOW,
    EN_AI,
    EN_EARLIER,
    EN_EXFIL_WHAT,
    EN_IMPERATIVE,
    EN_OVERRIDE,
    EN_ROLE_NOUN,
    EN_RULES,
    EN_SECRET_PROMPT,
    EN_SEND,
    EN_SHOW,
    EN_SOLVE,
    EN_TASK,
    ES_EARLIER,
    ES_OVERRIDE,
    ES_ROLE,
    ES_ROLE_NOUN,
    ES_RULES,
    ES_SECRET,
    ES_SHOW,
    FR_EARLIER,
    FR_OVERRIDE,
    FR_ROLE,
    FR_ROLE_NOUN,
    FR_RULES,
    FR_SECRET,
    FR_SHOW,
    IT_EARLIER,
    IT_OVERRIDE,
    IT_RULES,
    NL_EARLIER,
    NL_OVERRIDE,
    NL_RULES,
    PT_EARLIER,
    PT_OVERRIDE,
    PT_RULES,
)
from integrity.checks.poison.normalize import END, NOT_ALNUM, SAME_SENTENCE, START, words


@dataclass(frozen=True)
class Rule:
    """One kind of instruction: ``phrases`` are precise regexes, each checked only on the rows
    where ``anchor`` (a plain alternation of words every phrase contains) occurs. A precise
    regex of gapped phrases costs microseconds a row; the anchor a fraction of one, and it
    rules out almost every clean row."""

    name: str
    reason: str
    anchor: str
    phrases: tuple[tuple[str, str], ...]
    """(anchor, regex) pairs: each regex joins a few phrases and runs where its anchor occurs."""


@dataclass(frozen=True)
class Phrase:
    """A precise pattern and the word list that anchors it."""

    anchor: str
    regex: str



def phrase(*parts: str, within: int = 40, lead: str = START, anchor: int = -1) -> Phrase:
    """Parts in order, each a whole word or words, separated by up to ``within`` characters of
    filler in the same sentence; ``lead`` is what must come before the first part. The part at
    index ``anchor`` (the rarest in customers' own words) anchors it."""
    between = f"{NOT_ALNUM}(?:{SAME_SENTENCE}{{0,{within}}}{NOT_ALNUM})?"
    return Phrase(r"(?-u:\b)" + parts[anchor] + r"(?-u:\b)",
                  lead + between.join(f"(?:{p})" for p in parts) + END)


def pattern(regex: str, anchor: str) -> Phrase:
    """A pattern that is not a phrase of words (tokens, links), with its anchor."""
    return Phrase(anchor, regex)


def rule(name: str, reason: str, *phrases: Phrase, per_regex: int = 0) -> Rule:
    """A rule of ``phrases``, joined into one regex each ``per_regex`` phrases (0: all in one).
    Fewer regexes compile faster (compiling is most of a small batch's cost); the override
    phrases stay in pairs, since joining all of them lets the automaton's states multiply."""
    size = per_regex or len(phrases)
    groups = [phrases[i:i + size] for i in range(0, len(phrases), size)]
    return Rule(name, reason, _either(p.anchor for p in phrases),
                tuple((_either(p.anchor for p in group), "|".join(f"(?:{p.regex})" for p in group))
                      for group in groups))


def _either(patterns: Iterable[str]) -> str:
    return "|".join(f"(?:{a})" for a in sorted(set(patterns)))


def _reversed(text: str) -> str:
    return text[::-1]




def _override(verbs: str, earlier: str, rules: str) -> list[Phrase]:
    """'<verb> ... <earlier> ... <rules>' and '<verb> ... <rules> ... <earlier>'."""
    return [phrase(verbs, earlier, rules, within=45, anchor=0),
            phrase(verbs, rules, earlier, within=45, anchor=0)]


def _reversed_phrases() -> list[Phrase]:
    """The English override phrase written back to front ("snoitcurtsni suoiverp erongi")."""

    def alt(*options: str) -> str:
        return "(?:" + "|".join(_reversed(o) for o in options) + ")"

    verbs = alt("ignore", "disregard", "forget", "bypass", "override", "discard")
    earlier = alt("previous", "prior", "above", "earlier", "preceding", "all", "your", "system")
    rules = alt("instructions", "instruction", "prompt", "rules", "guidelines", "directives")
    return [phrase(rules, earlier, verbs, within=40, anchor=2)]


def _override_phrases() -> list[Phrase]:
    return [
        *_override(EN_OVERRIDE, EN_EARLIER, EN_RULES),
        phrase(EN_OVERRIDE, words("all", "any", "every", "your", "the", "those", "these", "each",
                                  "whatever"), EN_RULES, within=25, lead=EN_IMPERATIVE, anchor=0),
        # An override verb and a pointer back at what the model was given: "disregard
        # whatever you were told earlier", "forget everything above".
        phrase(EN_OVERRIDE,
               words("everything", "all that", "all of that", "anything", "all", "whatever",
                     "what"),
               words("above", "before", "so far", "until now", "previously", "you were told",
                     "you have been told", "you've been told", "you were given", "you know",
                     "i said before", "said before", "said above", "up to now", "you learned",
                     "prior", "earlier", "you received", "you got", "you were shown"),
               within=25, anchor=0),
        *_override(DE_OVERRIDE, DE_EARLIER, DE_RULES),
        phrase(words("vergiss", "vergessen sie", "ignoriere", "ignorieren sie"),
               words("alles", "all das", "alle"),
               words("was", "bisher", "davor", "oben", "vorher", "zuvor", "bis jetzt", "bislang"),
               within=15, anchor=0),
        *_override(FR_OVERRIDE, FR_EARLIER, FR_RULES),
        phrase(words("oublie", "oubliez", "ignore", "ignorez"),
               words("tout ce", "tout ce qui", "tout ce que", "tout"),
               words("précède", "dit", "qu'on t'a dit", "qu'on vous a dit", "ci-dessus", "avant",
                     "plus haut", "jusqu'ici", "jusqu'à présent"), within=15, anchor=0),
        *_override(ES_OVERRIDE, ES_EARLIER, ES_RULES),
        phrase(words("olvida", "olvide", "ignora", "ignore", "olvídate de", "olvídese de"),
               words("todo"),
               words("lo anterior", "lo que te dijeron", "lo que se te dijo", "lo de arriba",
                     "lo que te han dicho", "lo dicho", "lo previo", "hasta ahora", "antes"),
               within=15, anchor=0),
        *_override(IT_OVERRIDE, IT_EARLIER, IT_RULES),
        *_override(PT_OVERRIDE, PT_EARLIER, PT_RULES),
        *_override(NL_OVERRIDE, NL_EARLIER, NL_RULES),
    ]


def _role_phrases() -> list[Phrase]:
    return [
        phrase(words("you are now", "you're now", "you are no longer", "you're no longer",
                     "you will now be", "you'll now be", "you are henceforth",
                     "you are from now on", "from now on you are", "from now on you're",
                     "henceforth you are", "starting now you are", "pretend to be",
                     "pretend you are", "pretend you're", "pretend that you are",
                     "act as if you were", "act as though you were", "roleplay as",
                     "role-play as", "role play as", "play the role of", "impersonate",
                     "behave like", "you have been reprogrammed", "you are being reprogrammed"),
               EN_ROLE_NOUN, within=25, anchor=0),
        # Released from its rules: "you are no longer bound by your guidelines".
        phrase(words("you are no longer", "you're no longer", "you are not", "you aren't",
                     "you are now free", "you're now free", "you are free"),
               words("bound", "restricted", "limited", "constrained", "required", "obliged",
                     "governed", "subject to", "obligated", "from"),
               within=6, anchor=0),
        phrase(words("from now on", "from this point on", "from this moment on", "henceforth",
                     "starting now", "for the rest of this conversation", "from here on"),
               words("respond", "answer", "reply", "act", "behave", "speak", "talk", "write",
                     "output", "only say", "only answer", "only respond", "pretend", "roleplay",
                     "ignore", "refer to yourself", "call yourself", "end every", "start every",
                     "begin every", "always say", "always answer", "always respond",
                     "always reply", "always recommend", "always rate", "you will respond",
                     "you will answer", "you will act", "you must respond", "you must answer"),
               within=12, anchor=0),
        phrase(words("enter", "enable", "activate", "switch to", "turn on", "unlock", "engage",
                     "you are in", "you're in", "now in"),
               words("developer", "debug", "god", "admin", "jailbreak", "jailbroken", "dan",
                     "unrestricted", "unfiltered", "maintenance", "sudo", "root", "evil",
                     "uncensored", "no-restrictions", "no restrictions"),
               words("mode"), within=15, anchor=1),
        phrase(DE_ROLE, DE_ROLE_NOUN, within=25, anchor=0),
        phrase(FR_ROLE, FR_ROLE_NOUN, within=25, anchor=0),
        phrase(ES_ROLE, ES_ROLE_NOUN, within=25, anchor=0),
        phrase(words("sei ora", "ora sei", "d'ora in poi sei", "da ora in poi sei",
                     "fingi di essere", "fai finta di essere", "agisci come", "comportati come"),
               words("ia", "intelligenza artificiale", "assistente", "bot", "chatbot", "modello",
                     "agente", "dan", "senza restrizioni", "senza limiti", "senza filtri",
                     "libero", "libera", "modalità sviluppatore", "hacker"), within=25, anchor=0),
        phrase(words("você agora é", "agora você é", "a partir de agora você é", "finja ser",
                     "finja que é", "aja como", "comporte-se como", "tu agora és"),
               words("ia", "inteligência artificial", "assistente", "bot", "chatbot", "modelo",
                     "agente", "dan", "sem restrições", "sem limites", "sem filtros", "livre",
                     "modo desenvolvedor", "hacker"), within=25, anchor=0),
        phrase(words("je bent nu", "vanaf nu ben je", "doe alsof je", "gedraag je als",
                     "speel de rol van"),
               words("ai", "assistent", "bot", "chatbot", "model", "agent", "dan",
                     "zonder beperkingen", "zonder regels", "ongefilterd", "vrij", "hacker"),
               within=25, anchor=0),
    ]


def _reveal_phrases() -> list[Phrase]:
    return [
        phrase(EN_SHOW, EN_SECRET_PROMPT, within=30, anchor=1),
        phrase(words("repeat", "print", "output", "copy", "recite", "echo", "show", "display",
                     "write out", "reproduce", "paste"),
               words("everything", "all text", "the text", "all the text", "the words",
                     "all words", "all of the text", "all the words", "what is written",
                     "every word", "the content", "the lines", "the message"),
               words("above", "before this", "before that", "prior to this", "preceding",
                     "that came before", "at the top", "verbatim", "word for word",
                     "from the beginning", "from the start"), within=25, anchor=2),
        phrase(words("what were you told", "what have you been told",
                     "what were your instructions", "how were you instructed",
                     "how were you programmed", "what are you not allowed",
                     "what is written above", "what was written above"), anchor=0),
        phrase(DE_SHOW, DE_SECRET, within=30, anchor=1),
        phrase(FR_SHOW, FR_SECRET, within=30, anchor=1),
        phrase(ES_SHOW, ES_SECRET, within=30, anchor=1),
        phrase(words("mostra", "mostrami", "rivela", "rivelami", "ripeti", "dimmi", "stampa",
                     "scrivi", "qual è"),
               words("prompt di sistema", "prompt del sistema", "istruzioni di sistema",
                     "istruzioni iniziali", "istruzioni originali", "istruzioni nascoste",
                     "tue istruzioni", "tuo prompt"), within=30, anchor=1),
        phrase(words("mostre", "mostra", "revele", "revela", "repita", "repete", "diga", "diz",
                     "imprima", "escreva", "qual é"),
               words("prompt do sistema", "prompt de sistema", "instruções do sistema",
                     "instruções iniciais", "instruções originais", "instruções ocultas",
                     "suas instruções", "seu prompt", "tuas instruções"), within=30, anchor=1),
        phrase(words("toon", "laat zien", "geef", "herhaal", "print", "onthul", "vertel"),
               words("systeemprompt", "systeem prompt", "systeeminstructies",
                     "oorspronkelijke instructies", "verborgen instructies", "je instructies",
                     "jouw instructies", "je prompt"), within=30, anchor=1),
    ]


def _token_patterns() -> list[Phrase]:
    return [
        # <|im_start|>, <|endoftext|>, <|eot_id|>, <|start_header_id|>, ...
        pattern(r"<\|[a-z_]{2,30}\|>", r"<\|"),
        pattern(r"\[/?inst\]", r"inst\]"),
        pattern(r"<</?sys>>|\[/?sys(?:tem)?\]", r"sys"),
        pattern(r"</?(?:system|assistant|im_start|im_end)>|<(?:start|end)_of_turn>",
                r"system>|assistant>|im_start>|im_end>|of_turn>"),
        pattern(r"(?:^|\n) *#{2,} *(?:system|instruction|instructions|response) *:?", "##"),
        pattern(r"[\"']role[\"'] *: *[\"'](?:system|developer|assistant)[\"']", "role"),
        pattern(START + words("system override", "admin override", "developer override",
                              "override mode", "system instruction", "system instructions",
                              "new system prompt", "new instructions", "updated instructions",
                              "new system message", "developer message",
                              "developer instructions", "system update", "system notice",
                              "system alert", "system directive", "system command",
                              "admin notice", "admin instruction", "security notice",
                              "operator notice", "operator instruction", "new task",
                              "new objective", "new goal", "new directive", "new role",
                              "new persona", "updated task", "policy update", "policy updated")
                + r" *[:\]>-]",
                words("override", "instruction", "instructions", "system", "developer",
                      "notice", "task", "objective", "goal", "directive", "role", "persona",
                      "policy", "admin")),
    ]


# A markdown image fetches its URL as soon as it is rendered: a query string carries data out.
# A plain link does so when clicked, so it counts when its query holds a placeholder or names
# what it would carry.
_URL = r"(?:https?:)?//[!-(*-\\^-~]+"  # ASCII up to a space, ')' or ']'
_LABEL = r"[\x00-\x09\x0B-\x5C\x5E-\x7F]{0,200}"  # a link's text: up to ']' or a newline
_LINK_CARGO = words(
    "data", "secret", "secrets", "password", "pwd", "token", "key", "apikey", "history", "chat",
    "conversation", "memory", "context", "prompt", "summary", "creds", "credentials", "session",
    "cookie", "pii", "email", "user", "info", "leak", "exfil", "payload", "d", "q")


def _link_patterns() -> list[Phrase]:
    return [
        pattern(r"!\[" + _LABEL + r"\]\( *<?" + _URL + r"\?[!-(*-~]*=", r"\]\("),
        pattern(r"<img[\x00-\x3D\x3F-\x7F]{0,200}src *= *[\"']?" + _URL + r"\?[!#-&(-=?-~]*=",
                "<img"),
        pattern(r"\[" + _LABEL + r"\]\( *<?" + _URL + r"\?[!-(*-~]*(?:[{}<\[$]|%7b|%3c|%24)",
                r"\]\("),
        pattern(r"\[" + _LABEL + r"\]\( *<?" + _URL + r"\?(?:[!-(*-~]*[&?])?" + _LINK_CARGO
                + "=", r"\]\("),
    ]


def _hijack_phrases() -> list[Phrase]:
    return [
        phrase(words("important", "urgent", "critical", "priority", "high-priority", "vital",
                     "essential"),
               words("message", "messages", "instruction", "instructions", "notice", "note",
                     "information", "update", "request", "announcement"),
               words("from me", "from the user", "from your user", "from the developer",
                     "from your developer", "from the developers", "from the admin",
                     "from the administrator", "from the owner", "from your owner",
                     "from your creator", "from the operator", "from the system",
                     "from openai", "from anthropic", "for the ai", "for the assistant",
                     "for the model", "for the agent", "for you, the", "to you, the",
                     "for any ai", "to the ai", "to the assistant", "to the agent"),
               within=20, anchor=2),
        phrase(words("before you", "before you can", "before you are able to",
                     "before you're able to", "before being able to", "before proceeding to",
                     "prior to"),
               EN_SOLVE, words("the", "your", "my", "this", "that", "its", "the original",
                               "the user's", "the assigned", "the given"), EN_TASK,
               within=15, anchor=3),
        phrase(words("after you", "once you", "when you", "after having", "as soon as you"),
               words("do that", "did that", "have done that", "do this", "have done this",
                     "are done", "finish", "completed that", "complete that", "done so",
                     "have done so", "completed this", "finished that", "finished this"),
               words("solve", "complete", "continue", "proceed", "return", "go back", "carry on",
                     "resume", "do", "finish"), EN_TASK, within=25, anchor=3),
        phrase(words("please do the following first", "do the following first",
                     "first do the following", "first, do the following",
                     "you must first do the following", "you need to first",
                     "before anything else, do", "before anything else, please",
                     "do the following before"), anchor=0),
        phrase(words("bevor du", "bevor sie", "ehe du"),
               words("die", "deine", "diese", "ihre", "eigentliche", "ursprüngliche", "gestellte"),
               words("aufgabe", "anfrage", "auftrag"),
               words("löst", "lösen", "erledigst", "erledigen", "bearbeitest", "bearbeiten",
                     "ausführst", "ausführen", "beginnst", "beginnen", "abschließt",
                     "abschließen", "angehst", "fortsetzt", "fortsetzen"), within=25, anchor=0),
        phrase(words("wichtige", "dringende"),
               words("nachricht", "mitteilung", "anweisung", "information", "botschaft"),
               words("von mir", "vom nutzer", "vom benutzer", "vom entwickler", "vom admin",
                     "an dich", "für dich", "an die ki", "für die ki", "an den assistenten"),
               within=20, anchor=2),
        phrase(words("avant de", "avant que tu", "avant que vous"),
               words("résoudre", "terminer", "faire", "accomplir", "commencer", "réaliser",
                     "effectuer", "traiter", "poursuivre", "continuer", "résolves", "résolviez",
                     "termines", "terminiez", "commences", "fasses", "fassiez"),
               words("la", "ta", "votre", "cette", "sa"),
               words("tâche", "mission", "requête", "demande initiale", "demande d'origine",
                     "demande de l'utilisateur"), within=20, anchor=3),
        phrase(words("message", "instruction", "information", "note", "avis"),
               words("important", "importante", "urgent", "urgente", "prioritaire"),
               words("de ma part", "de moi", "de l'utilisateur", "du développeur",
                     "de l'administrateur", "pour toi", "pour vous", "pour l'ia", "à l'ia",
                     "pour l'assistant", "à toi", "à vous"), within=20, anchor=2),
        phrase(words("antes de", "antes que"),
               words("resolver", "completar", "hacer", "realizar", "terminar", "empezar",
                     "comenzar", "continuar", "seguir con", "resuelvas", "completes", "hagas",
                     "termines", "empieces", "abordar"),
               words("la", "tu", "esta", "su", "dicha"),
               words("tarea", "misión", "petición original", "solicitud original",
                     "petición del usuario", "solicitud del usuario", "encargo"),
               within=20, anchor=3),
        phrase(words("mensaje", "instrucción", "aviso", "nota", "información"),
               words("importante", "urgente", "prioritario", "prioritaria"),
               words("de mi parte", "de mí", "del usuario", "del desarrollador",
                     "del administrador", "para ti", "para usted", "para la ia",
                     "para el asistente", "a la ia"), within=20, anchor=2),
    ]


def _aimed_phrases() -> list[Phrase]:
    acts = words("reading", "processing", "summarizing", "summarising", "analyzing", "analysing",
                 "reviewing", "parsing", "evaluating", "scanning", "classifying", "ingesting")
    return [
        phrase(words("note to", "message to", "instructions for", "instruction for", "attention",
                     "memo to", "reminder to", "notice to", "psa to", "hidden instruction for",
                     "instructions to"),
               words("the", "any", "all", "every", "an", "you,", "our", "this"), EN_AI,
               within=8, anchor=0),
        phrase(words("if you are", "if you're", "as", "since you are", "because you are",
                     "you, the", "dear", "hey", "hello", "hi"),
               words("an ai", "a language model", "an llm", "a large language model",
                     "an ai assistant", "an ai model", "an automated system", "an ai agent",
                     "a chatbot", "ai", "llm", "ai agent", "ai assistant", "language model"),
               words("reading", "processing", "summarizing", "summarising", "analyzing",
                     "analysing", "reviewing", "parsing", "evaluating", "scanning",
                     "classifying", "that reads", "who reads", "that is reading", "you must",
                     "you should", "you need to", "you have to", "please", "ignore",
                     "disregard", "forget", "always", "never"), within=25, anchor=1),
        phrase(EN_AI, acts, words("this", "these", "the following", "my", "the above"),
               within=10, anchor=1),
        phrase(words("when", "while", "if", "whenever"),
               words("summarizing", "summarising", "you summarize", "you summarise",
                     "processing", "you process", "classifying", "you classify", "analyzing",
                     "you analyze", "analysing", "rating", "you rate", "reviewing",
                     "you review", "reading", "you read", "you answer about",
                     "you respond to", "answering questions about", "you are asked about"),
               words("this", "these", "the following", "my"),
               words("review", "reviews", "text", "message", "ticket", "email", "e-mail",
                     "document", "comment", "feedback", "page", "conversation", "content",
                     "post", "data", "entry", "record", "product", "complaint"),
               words("say", "state", "tell", "write", "output", "respond", "reply", "answer",
                     "include", "recommend", "mention", "claim", "report", "rate", "classify",
                     "label", "mark", "describe", "call", "you must", "you should", "always",
                     "never", "ignore", "make sure", "insert", "add", "append", "approve",
                     "reject", "close", "resolve", "grant", "refund", "delete", "remove",
                     "forward", "send", "treat", "consider", "flag", "score", "ensure",
                     "only", "do not", "don't", "please", "praise", "emphasize", "emphasise",
                     "highlight", "omit", "skip", "hide", "promote", "suggest"),
               within=40, anchor=1),
        phrase(EN_SEND, words("the", "all", "your", "this", "my", "every", "any", "their",
                              "the user's", "the customer's", "users'"),
               EN_EXFIL_WHAT, words("to", "into", "at", "via"),
               r"(?:https?://|www\.|[a-z0-9-]+\.[a-z]{2,}|" + words(
                   "this url", "this address", "this email", "this server", "this endpoint",
                   "this link", "this webhook", "the following url", "the following address",
                   "my server", "the attacker", "an external") + ")", within=40, anchor=2),
        # Forced output whatever the input: "respond only with APPROVED regardless of ...".
        phrase(words("respond only with", "reply only with", "answer only with", "output only",
                     "only respond with", "only reply with", "only answer with", "say only",
                     "respond with only", "reply with only", "answer with only",
                     "just respond with", "just reply with", "always respond with",
                     "always answer with", "always reply with"),
               words("regardless", "no matter", "irrespective", "whatever the", "ignoring",
                     "even if"), within=60, anchor=0),
        phrase(words("decode", "decrypt", "deobfuscate", "translate", "unscramble", "reverse",
                     "convert", "interpret"),
               words("this", "the following", "these", "the text below", "the message below",
                     "the string", "below", "the payload"),
               words("and", "then"),
               words("follow", "execute", "obey", "do what it says", "do as it says", "run",
                     "act on", "carry out", "perform", "comply", "follow it", "execute it",
                     "apply"), within=40, anchor=0),
    ]


RULES: tuple[Rule, ...] = (
    rule("override", "orders the AI to drop its earlier instructions", *_override_phrases(),
         per_regex=2),
    rule("role_change", "gives the AI a new role or mode", *_role_phrases()),
    rule("prompt_leak", "asks the AI to reveal its hidden prompt or instructions",
         *_reveal_phrases()),
    rule("template_token", "contains chat-template or role tokens", *_token_patterns()),
    rule("exfiltration_link", "has a link or image that carries data out in its query",
         *_link_patterns()),
    rule("task_hijack", "interrupts the AI's task with an 'important message' of its own",
         *_hijack_phrases()),
    rule("aimed_at_ai", "addresses the AI that processes the text", *_aimed_phrases()),
    rule("reversed", "spells an instruction backwards", *_reversed_phrases()),
)
"""Every rule, in the order details list them."""
