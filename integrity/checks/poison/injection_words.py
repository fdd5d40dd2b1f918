"""Word lists of the prompt-injection rules (see :mod:`integrity.checks.poison.injection_rules`),
by language: the verbs, qualifiers and nouns an instruction to a model is built from. Each list
is a regex alternation over the text's skeleton, so accents, case and lookalike letters need not
be spelled out here.

Nouns customers use about their own orders ("orders", "task", "setup", "policy", "commandes",
"pedidos", "Aufgabe") are left out on purpose: "please delete my previous orders" is not an
instruction to a model.
"""

from __future__ import annotations

from integrity.checks.poison.normalize import START, words

# --- English -----------------------------------------------------------------------------------

EN_OVERRIDE = words(
    "ignore", "disregard", "forget", "skip", "bypass", "override", "overrule", "discard",
    "abandon", "neglect", "set aside", "throw away", "throw out", "pay no attention to",
    "do not follow", "don't follow", "dont follow", "stop following", "no longer follow",
    "do not obey", "don't obey", "disobey", "ignoring", "forgetting", "disregarding")
EN_EARLIER = words(
    "previous", "previously", "prior", "above", "earlier", "preceding", "foregoing", "former",
    "initial", "original", "existing", "preset", "default", "system", "developer",
    "developers", "hidden", "given", "pre-set", "built-in", "upstream", "received",
    "you received", "you were given", "you were told", "you got", "before this", "so far",
    "up to now", "until now", "your operator", "your developer", "your creator")
EN_RULES = words(
    "instruction", "instructions", "prompt", "prompts", "rules", "directives", "directive",
    "guidelines", "commands", "guardrails", "constraints", "restrictions", "programming",
    "system prompt", "system message", "safety rules", "conditioning", "directions",
    "guidance", "briefing", "rule")
EN_IMPERATIVE = ("(?:(?:^|[\\n.!?:;,\"'(\\[>*-]) *|" + START + words(
    "please", "now", "just", "kindly", "simply", "and", "then", "so", "also", "you must",
    "you should", "you need to", "you have to", "you will", "i want you to", "i need you to",
    "i order you to", "i command you to") + "[ ,:;-]+)")
EN_ROLE_NOUN = words(
    "ai", "assistant", "chatbot", "chat bot", "bot", "model", "language model", "llm",
    "agent", "gpt", "chatgpt", "dan", "persona", "character", "role", "mode", "unrestricted",
    "unfiltered", "uncensored", "jailbroken", "jailbreak", "free", "evil", "rogue", "hacker",
    "developer mode", "god mode", "admin", "administrator", "root", "sudo", "no longer bound",
    "not bound", "without restrictions", "without limits", "without any restrictions",
    "different ai", "new ai", "system")
EN_SECRET_PROMPT = words(
    "system prompt", "system prompts", "system message", "system instructions",
    "initial prompt", "initial instructions", "original prompt", "original instructions",
    "hidden prompt", "hidden instructions", "secret instructions", "secret prompt",
    "developer message", "developer instructions", "developer prompt", "pre-prompt",
    "preprompt", "prompt you were given", "instructions you were given",
    "instructions you have been given", "full prompt", "entire prompt", "exact prompt",
    "complete prompt", "exact instructions", "full instructions", "complete instructions",
    "your instructions", "your prompt", "your rules", "your guidelines", "your configuration",
    "your directives", "context window", "prompt above", "instructions above")
EN_SHOW = words(
    "reveal", "show", "print", "display", "output", "repeat", "recite", "tell me", "give me",
    "share", "disclose", "leak", "dump", "write out", "spell out", "list", "expose", "provide",
    "send me", "echo", "copy", "paste", "translate", "summarize", "summarise", "what is",
    "what are", "what was", "what were", "return", "state", "quote")
EN_TASK = words("task", "tasks", "assignment", "objective", "goal", "original request",
                "initial request", "assigned request", "user's request", "users request",
                "actual request", "real task", "job i gave you", "request i gave you")
EN_SOLVE = words("solve", "complete", "finish", "perform", "carry out", "tackle", "work on",
                 "start on", "start", "begin", "proceed with", "continue with", "continue",
                 "get to", "do", "answer", "handle", "execute", "address", "resume", "return to",
                 "go back to")
EN_AI = words("ai", "assistant", "llm", "language model", "large language model",
              "chatbot", "gpt", "ai agent", "ai model", "ai system", "ai assistant", "agent",
              "model", "summarizer", "summariser", "automated system", "automated reviewer",
              "bot", "copilot", "claude", "gemini", "llama")
EN_EXFIL_WHAT = words(
    "conversation", "chat history", "chat log", "conversation history", "user data",
    "customer data", "credentials", "password", "passwords", "api key", "api keys", "tokens",
    "token", "secrets", "secret", "session", "cookies", "personal data", "private data",
    "system prompt", "memory", "memories", "context", "previous messages", "all messages",
    "user's messages", "email addresses", "contacts", "card numbers", "account details")
EN_SEND = words("send", "forward", "post", "upload", "exfiltrate", "transmit", "leak", "email",
                "e-mail", "submit", "copy", "append", "encode", "embed", "include")

DE_OVERRIDE = words(
    "ignoriere", "ignorier", "ignorieren sie", "ignoriert", "missachte", "missachten sie",
    "vergiss", "vergessen sie", "verwirf", "verwerfen sie", "überspringe", "überspring",
    "übergehe", "umgehe", "lösche", "beachte nicht", "befolge nicht", "befolgen sie nicht",
    "folge nicht", "hör auf", "höre auf", "setze außer kraft", "setz außer kraft",
    "vernachlässige", "verwerfe")
DE_EARLIER = words(
    "vorherigen", "vorherige", "vorigen", "vorige", "bisherigen", "bisherige", "früheren",
    "frühere", "obigen", "obige", "vorangegangenen", "vorangegangene", "vorhergehenden",
    "vorhergehende", "ursprünglichen", "ursprüngliche", "anfänglichen", "alten", "alle",
    "sämtliche", "jegliche", "deine", "deinen", "ihre", "system", "gegebenen", "erhaltenen",
    "versteckten", "internen")
DE_RULES = words(
    "anweisung", "anweisungen", "instruktion", "instruktionen", "befehl", "befehle", "regeln",
    "regel", "vorgaben", "vorgabe", "richtlinien", "anordnungen", "prompt", "prompts",
    "systemprompt", "system-prompt", "systemanweisungen", "einschränkungen", "beschränkungen",
    "kontext", "programmierung", "direktiven")
DE_ROLE = words(
    "du bist jetzt", "du bist nun", "du bist ab sofort", "du bist ab jetzt",
    "du bist von nun an", "ab jetzt bist du", "ab sofort bist du", "von nun an bist du",
    "sie sind jetzt", "sie sind ab sofort", "tu so als wärst du", "tu so, als wärst du",
    "tu so als ob du", "gib dich als", "spiele die rolle", "spiel die rolle",
    "verhalte dich wie", "agiere als", "handle als")
DE_ROLE_NOUN = words(
    "ki", "assistent", "assistentin", "bot", "chatbot", "modell", "sprachmodell", "dan",
    "agent", "persona", "charakter", "rolle", "modus", "entwicklermodus", "uneingeschränkt",
    "uneingeschränkte", "uneingeschränkter", "ungefiltert", "ungefilterte", "frei", "freie",
    "ohne einschränkungen", "ohne regeln", "ohne filter", "ohne grenzen", "böse", "hacker",
    "administrator", "admin", "system", "gpt", "chatgpt", "nicht mehr gebunden")
DE_SHOW = words(
    "zeig", "zeige", "zeigen sie", "gib", "geben sie", "nenne", "nennen sie", "verrate",
    "verraten sie", "wiederhole", "wiederholen sie", "drucke", "schreib", "schreibe",
    "offenbare", "enthülle", "gib aus", "liste", "teile", "kopiere", "was ist", "was sind",
    "was war", "was waren", "übersetze", "fasse zusammen")
DE_SECRET = words(
    "systemprompt", "system-prompt", "system prompt", "systemanweisung", "systemanweisungen",
    "systemnachricht", "system-nachricht", "ursprünglichen anweisungen",
    "anfänglichen anweisungen", "versteckten anweisungen", "geheimen anweisungen",
    "internen anweisungen", "deine anweisungen", "deinen prompt", "deine regeln",
    "deine instruktionen", "deine vorgaben", "ursprünglichen prompt", "initialen prompt",
    "anweisungen von oben", "obigen anweisungen")

FR_OVERRIDE = words(
    "ignore", "ignorez", "ignorer", "ignores", "oublie", "oubliez", "oublier", "oublies",
    "ne tiens pas compte", "ne tenez pas compte", "ne tiens plus compte",
    "ne tenez plus compte", "fais abstraction", "faites abstraction", "néglige", "négligez",
    "contourne", "contournez", "passe outre", "passez outre", "abandonne", "abandonnez",
    "efface", "effacez", "écarte", "écartez", "ne suis plus", "ne suivez plus", "ne suis pas",
    "ne suivez pas", "n'obéis plus", "n'obéissez plus", "désobéis", "désobéissez",
    "outrepasse", "outrepassez", "annule", "annulez")
FR_RULES = words(
    "instructions", "instruction", "consignes", "consigne", "règles", "directives",
    "indications", "prompt", "prompts", "invite", "invites",
    "restrictions", "contraintes", "contexte", "programmation")
FR_EARLIER = words(
    "précédentes", "précédents", "précédente", "antérieures", "antérieurs", "ci-dessus",
    "d'avant", "initiales", "initiaux", "originales", "originaux", "d'origine", "du système",
    "système", "données", "reçues", "passées", "anciennes", "toutes", "tous", "tes", "vos",
    "cachées", "secrètes", "internes", "qui précèdent", "plus haut", "de départ")
FR_ROLE = words(
    "tu es maintenant", "tu es désormais", "tu es à présent", "tu es dorénavant",
    "vous êtes maintenant", "vous êtes désormais", "vous êtes à présent",
    "à partir de maintenant tu es", "à partir de maintenant, tu es", "désormais tu es",
    "désormais, tu es", "dorénavant tu es", "fais semblant d'être", "faites semblant d'être",
    "joue le rôle", "jouez le rôle", "agis comme", "agissez comme", "comporte-toi comme",
    "comportez-vous comme", "incarne", "incarnez")
FR_ROLE_NOUN = words(
    "ia", "intelligence artificielle", "assistant", "assistante", "bot", "chatbot",
    "robot", "modèle", "modèle de langage", "agent", "dan", "personnage", "persona", "rôle",
    "mode", "mode développeur", "libre", "sans restriction", "sans restrictions",
    "sans limite", "sans limites", "sans filtre", "sans règles", "non censuré",
    "non censurée", "débridé", "débridée", "pirate", "hacker", "administrateur", "admin",
    "système", "gpt", "chatgpt", "maléfique")
FR_SHOW = words(
    "montre", "montrez", "montre-moi", "montrez-moi", "affiche", "affichez", "révèle",
    "révélez", "révèle-moi", "répète", "répétez", "donne", "donnez", "donne-moi", "donnez-moi",
    "dis-moi", "dites-moi", "écris", "écrivez", "imprime", "imprimez", "divulgue", "divulguez",
    "partage", "partagez", "copie", "copiez", "recopie", "recopiez", "quel est", "quelles sont",
    "quelle est", "quels sont", "traduis", "traduisez", "résume", "résumez")
FR_SECRET = words(
    "prompt système", "prompt du système", "prompt systeme", "invite système",
    "message système", "instructions système", "instructions du système",
    "instructions initiales", "instructions d'origine", "instructions originales",
    "consignes initiales", "consignes d'origine", "consignes cachées", "instructions cachées",
    "instructions secrètes", "consignes secrètes", "prompt initial", "prompt d'origine",
    "ton prompt", "votre prompt", "tes instructions", "vos instructions", "tes consignes",
    "vos consignes", "tes règles", "vos règles")

ES_OVERRIDE = words(
    "ignora", "ignore", "ignoren", "ignorar", "ignores", "olvida", "olvide", "olviden",
    "olvidar", "olvídate de", "olvídese de", "descarta", "descarte", "descartar", "omite",
    "omita", "omitir", "haz caso omiso", "haga caso omiso", "no hagas caso", "no haga caso",
    "no sigas", "no siga", "deja de seguir", "deje de seguir", "pasa por alto",
    "pase por alto", "desobedece", "desobedezca", "salta", "sáltate", "anula", "anule",
    "borra", "borre", "elimina", "elimine", "desatiende", "desatienda")
ES_RULES = words(
    "instrucciones", "instrucción", "indicaciones", "reglas", "directivas",
    "directrices", "normas", "prompt", "prompts", "consignas", "restricciones", "contexto",
    "programación", "mandatos", "pautas")
ES_EARLIER = words(
    "anteriores", "previas", "previos", "de arriba", "iniciales", "originales", "del sistema",
    "de sistema", "recibidas", "dadas", "que te dieron", "que te han dado", "que recibiste",
    "antiguas", "todas", "todos", "tus", "sus", "ocultas", "secretas", "internas",
    "precedentes", "de antes", "hasta ahora", "hasta el momento")
ES_ROLE = words(
    "ahora eres", "ahora tú eres", "a partir de ahora eres", "a partir de ahora, eres",
    "a partir de ahora serás", "desde ahora eres", "desde ahora serás", "de ahora en adelante eres",
    "de ahora en adelante serás", "ahora usted es", "finge ser", "finja ser", "finge que eres",
    "haz el papel de", "haga el papel de", "interpreta el papel", "actúa como",
    "actúe como", "compórtate como", "compórtese como", "hazte pasar por")
ES_ROLE_NOUN = words(
    "ia", "inteligencia artificial", "asistente", "bot", "chatbot", "robot", "modelo",
    "modelo de lenguaje", "agente", "dan", "personaje", "persona", "papel", "rol", "modo",
    "modo desarrollador", "libre", "sin restricciones", "sin límites", "sin filtros",
    "sin reglas", "sin censura", "malvado", "malvada", "pirata", "hacker", "administrador",
    "admin", "sistema", "gpt", "chatgpt")
ES_SHOW = words(
    "muestra", "muestre", "muéstrame", "muéstreme", "revela", "revele", "revélame",
    "revéleme", "repite", "repita", "dime", "dígame", "imprime", "imprima", "enséñame",
    "enséñeme", "comparte", "comparta", "escribe", "escriba", "dame", "deme", "copia", "copie",
    "cuál es", "cuáles son", "traduce", "traduzca", "resume", "resuma", "da a conocer")
ES_SECRET = words(
    "prompt del sistema", "prompt de sistema", "mensaje del sistema", "mensaje de sistema",
    "instrucciones del sistema", "instrucciones de sistema", "instrucciones iniciales",
    "instrucciones originales", "instrucciones ocultas", "instrucciones secretas",
    "prompt inicial", "prompt original", "tu prompt", "su prompt", "tus instrucciones",
    "sus instrucciones", "tus reglas", "tus directrices", "tus normas")

IT_OVERRIDE = words("ignora", "ignorate", "ignori", "dimentica", "dimenticate", "dimentichi",
                    "trascura", "tralascia", "non seguire", "non seguite", "scarta", "bypassa",
                    "disattendi", "annulla")
IT_RULES = words("istruzioni", "istruzione", "regole", "indicazioni", "direttive", "comandi",
                 "prompt", "vincoli", "restrizioni", "contesto")
IT_EARLIER = words("precedenti", "sopra", "iniziali", "originali", "del sistema", "di sistema",
                   "ricevute", "date", "tutte", "tutti", "tue", "vecchie", "nascoste", "segrete")
PT_OVERRIDE = words("ignore", "ignora", "ignorem", "ignorar", "esqueça", "esqueca", "esquece",
                    "esqueçam", "desconsidere", "desconsidera", "descarte", "descarta",
                    "não siga", "nao siga", "não sigas", "pare de seguir", "omita", "anule")
PT_RULES = words("instruções", "instrucoes", "instrução", "regras", "orientações", "diretrizes",
                 "diretivas", "comandos", "ordens", "prompt", "prompts", "restrições",
                 "contexto")
PT_EARLIER = words("anteriores", "prévias", "previas", "acima", "iniciais", "originais",
                   "do sistema", "de sistema", "recebidas", "dadas", "todas", "todos", "suas",
                   "tuas", "antigas", "ocultas", "secretas")
NL_OVERRIDE = words("negeer", "negeren", "vergeet", "vergeten", "omzeil", "sla over",
                    "volg niet", "volg niet langer", "passeer", "schrap")
NL_RULES = words("instructies", "instructie", "regels", "aanwijzingen", "richtlijnen",
                 "opdrachten", "opdracht", "commando's", "prompt", "prompts", "beperkingen",
                 "context")
NL_EARLIER = words("vorige", "eerdere", "voorgaande", "bovenstaande", "oorspronkelijke",
                   "originele", "initiële", "systeem", "gegeven", "alle", "je", "jouw",
                   "verborgen", "geheime")
