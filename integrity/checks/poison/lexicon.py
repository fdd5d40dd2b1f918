"""A small sentiment lexicon for English, German, French and Spanish, with negation, as polars.

Written for integrity from general vocabulary: each word has a polarity (+1, -1; +2, -2 for
strong words). :func:`sentiment` scores a text column in one polars expression: the text is
folded (lowercase, accents removed, so "déçu" and "decu" are one word), cut into words and
punctuation, and each word's polarity is

* flipped (and damped to 3/4) when a negation precedes it within three words of the same
  clause ("not good", "nicht gut", "n'est pas bon", "no funciona bien"), or when a clause ends
  in a negation within three words after it ("gefällt mir nicht.", as German puts it);
* raised by half after an intensifier ("very", "sehr", "très", "muy");
* raised by half after a contrast ("but", "aber", "mais", "pero": what follows weighs more)
  and halved before one (what it concedes weighs less).

The score is the sum (a null text scores 0). It reads the sentiment a customer states, not sarcasm or world knowledge.
"""

from __future__ import annotations

import unicodedata

import numpy as np
import numpy.typing as npt
import polars as pl

_STRONG = 2.0


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower().replace("ß", "ss")


def _words(text: str) -> list[str]:
    """The words of ``text`` (lists below are written as text, one word after another)."""
    return text.split()


def _forms(stems: str, endings: tuple[str, ...]) -> list[str]:
    """Each stem with each ending ("gut" -> gut, gute, guter, ...)."""
    return [stem + ending for stem in stems.split() for ending in endings]


_DE_ADJ = ("", "e", "er", "es", "en", "em")
_FR_ADJ = ("", "e", "s", "es")
_ES_ADJ = ("o", "a", "os", "as")
_ES_ADJ_E = ("", "s")

POSITIVE: list[str] = [
    # English
    *_words("""good great excellent amazing awesome fantastic wonderful love loved loves lovely liked
    happy pleased satisfied helpful friendly fast quick quickly easy easily smooth smoothly
    perfect perfectly best better brilliant superb outstanding impressive impressed recommend
    recommended reliable nice glad worth enjoy enjoyed delighted exceeded flawless flawlessly
    effortless bargain pleasant polite professional efficient solved resolved stellar favourite
    favorite beautiful comfortable convenient responsive super cool gem incredible phenomenal
    terrific marvelous marvellous joy smile thrilled grateful appreciate appreciated kind
    courteous prompt seamless painless superior top"""),
    # German
    *_forms("gut toll prima klasse ausgezeichnet hervorragend großartig wunderbar perfekt "
            "zufrieden begeistert freundlich hilfreich schnell einfach reibungslos "
            "empfehlenswert zuverlassig angenehm schon fantastisch genial glucklich froh "
            "einwandfrei muhelos kompetent professionell sauber gunstig bequem nett zugig "
            "beeindruckend herrlich super", _DE_ADJ),
    *_words("""spitze empfehlen empfehle empfohlen liebe lieben gefallt gefallen lohnt wert
    problemlos schnappchen beeindruckt gelost danke dankbar top besser beste
    ubertroffen ubertrifft"""),
    # French
    *_forms("excellent parfait satisfait ravi content aimable rapide facile efficace fiable "
            "utile agreable impeccable remarquable soigne genial conforme", _FR_ADJ),
    *_words("""bon bonne bons bonnes bien super formidable magnifique merveilleux merveilleuse
    heureux heureuse sympa rapidement facilement parfaitement recommande recommander adore aime
    plaisir top bravo resolu resolue sourire meilleur meilleure surpasse impressionne
    impressionnee superbe ideal idéal"""),
    # Spanish
    *_forms("buen perfect fantastic maravillos estupend satisfech content encantad rapid "
            "comod barat", _ES_ADJ),
    *_forms("excelente genial increible amable facil eficiente fiable util agradable feliz "
            "estupend", _ES_ADJ_E),
    *_words("""bueno buena buenos buenas bien perfectamente rapidamente facilmente encanta encanto
    recomiendo recomendable gusta gusto mejor ganga alegro resolvio maravilla grata gracias
    supera impresiono"""),
]

STRONG_POSITIVE: list[str] = [
    *_words("""excellent amazing awesome fantastic wonderful love loved perfect perfectly brilliant
    superb outstanding flawless incredible phenomenal terrific"""),
    *_forms("ausgezeichnet hervorragend großartig wunderbar perfekt fantastisch genial", _DE_ADJ),
    *_words("""liebe begeistert"""),
    *_forms("excellent parfait", _FR_ADJ),
    *_words("""formidable magnifique merveilleux merveilleuse adore genial geniale"""),
    *_forms("perfect fantastic maravillos", _ES_ADJ), *_words("""excelente increible encanta"""),
]

NEGATIVE: list[str] = [
    # English
    *_words("""bad terrible awful horrible poor poorly worst worse hate hated useless broken broke
    faulty defective slow rude disappointed disappointing disappointment annoying annoyed angry
    frustrated frustrating waste wasted scam fraud problem problems issue issues fail fails
    failed failing failure crash crashes crashed crashing error errors bug buggy nightmare
    disaster dreadful pathetic ridiculous unacceptable unhelpful unfriendly sluggish pointless
    incompetent missing late delayed damaged wrong complaint cheated stuck unusable mess garbage
    trash junk ripoff overpriced worthless misleading ignored lied sad upset furious avoid
    regret dissatisfied unhappy sucks horrendous appalling lousy declined refused
    disappoint disappoints"""),
    # German
    *_forms("schlecht schlimm schrecklich furchtbar grauenhaft miserabel mies katastrophal "
            "enttauscht enttauschend nutzlos sinnlos kaputt defekt fehlerhaft langsam "
            "unfreundlich unhoflich argerlich verargert frustrierend frustriert falsch trage "
            "teuer uberteuert wertlos wutend traurig nervig mangelhaft ungenugend unbrauchbar "
            "lacherlich inakzeptabel beschadigt verspatet", _DE_ADJ),
    *_words("""katastrophe enttauschung zeitverschwendung verschwendet betrug abzocke abzocken zocken
    problem probleme fehler absturz sturzt abgesturzt versagt albtraum verspatung beschwerde
    ignoriert leider hangt stich argert ausgesperrt schlimmer schlechter"""),
    # French
    *_forms("mauvais lent impoli decu decevant casse endommage frustre enerve fache", _FR_ADJ),
    *_words("""mauvaise mauvaises nul nulle nuls nulles horrible horribles affreux affreuse terrible
    lamentable inutile inutiles defectueux defectueuse desagreable enervant frustrant arnaque
    arnaquent arnaquer escroquerie probleme problemes erreur erreurs bug plante plantage panne
    cauchemar catastrophe catastrophique ridicule inacceptable inutilisable retard faux fausse
    plainte reclamation reclamations honteux honteuse pire pourri colere triste perte lache
    empire bloque deception accroc"""),
    # Spanish
    *_forms("mal pesim decepcionad rot defectuos lent groser antipatic molest frustrad enfadad "
            "danad malisim tirad", _ES_ADJ),
    *_forms("terrible horrible inutil frustrante inaceptable ridicul triste", _ES_ADJ_E),
    *_words("""mal fatal decepciono decepcion estafa estafan robo roban problema problemas error
    errores falla fallan fallo pesadilla desastre retraso queja quejas caro cara peor perdida
    empeoro rechazan bloqueada atascado"""),
]

STRONG_NEGATIVE: list[str] = [
    *_words("""terrible awful horrible worst hate hated useless scam fraud nightmare disaster dreadful
    pathetic unacceptable garbage trash worthless appalling horrendous"""),
    *_forms("schrecklich furchtbar grauenhaft miserabel katastrophal nutzlos", _DE_ADJ),
    *_words("""katastrophe albtraum betrug abzocke zeitverschwendung"""),
    *_words("""horrible affreux affreuse lamentable nul nulle cauchemar catastrophe arnaque
    escroquerie inutile"""),
    *_forms("pesim malisim", _ES_ADJ), *_words("""terrible horrible pesadilla desastre estafa
    inutil"""),
]

#: Words that negate what follows them in their clause ("t" is what "n't" folds to).
NEGATORS = _words("""not no never t cannot cant nothing nobody none neither nor without hardly barely
nicht kein keine keinen keinem keiner keines nie niemals ohne kaum nichts
ne n pas jamais aucun aucune sans ni rien
nunca jamas sin ni tampoco nada ningun ninguna""")
#: Negations that, ending a clause, negate what came before them (German word order).
CLAUSE_FINAL_NEGATORS = ["nicht", "nie", "niemals", "kaum"]
INTENSIFIERS = _words("""very really so extremely totally absolutely too super incredibly
sehr wirklich total absolut extrem echt richtig ziemlich voll
tres vraiment trop totalement absolument extremement
muy realmente totalmente absolutamente demasiado bastante""")
CONTRASTS = _words("but however though although aber jedoch doch allerdings mais cependant pourtant pero sin")


def _weights() -> dict[str, float]:
    weights: dict[str, float] = {}
    for words, weight in ((POSITIVE, 1.0), (NEGATIVE, -1.0)):
        for word in words:
            weights[_fold(word)] = weight
    for words, weight in ((STRONG_POSITIVE, _STRONG), (STRONG_NEGATIVE, -_STRONG)):
        for word in words:
            weights[_fold(word)] = weight
    for word in NEGATORS:  # a negation is never a sentiment word itself
        weights.pop(word, None)
    return weights


WEIGHTS = _weights()


#: Word classes besides sentiment words, as small integers the scoring compares cheaply.
_NONE, _NEGATOR, _FINAL_NEGATOR, _BREAK, _INTENSIFIER, _CONTRAST = range(6)


def _classes() -> dict[str, int]:
    classes = dict.fromkeys(INTENSIFIERS, _INTENSIFIER)
    classes.update(dict.fromkeys(CONTRASTS, _CONTRAST))
    classes.update(dict.fromkeys(NEGATORS, _NEGATOR))
    classes.update(dict.fromkeys(CLAUSE_FINAL_NEGATORS, _FINAL_NEGATOR))
    classes["."] = _BREAK
    return classes


CLASSES = _classes()


def tokens(text: pl.Expr) -> pl.Expr:
    """Words (folded) of ``text`` and ``.`` for each clause break (punctuation), as a list."""
    decomposed = (text.str.normalize("NFKD").str.replace_all(r"[\p{M}\p{Cf}]", "")
                  .str.to_lowercase().str.replace_all("ß", "ss", literal=True))
    plain = pl.when(text.str.contains(r"[^\x00-\x7F]")).then(decomposed)
    return (plain.otherwise(text.str.to_lowercase()).str.replace_all(r"[.!?;:,]+", " . ")
            .str.extract_all(r"\p{L}+|\."))


def scores(texts: pl.Series) -> pl.Series:
    """The lexicon score of each text (Float64; 0.0 for a text without sentiment words).

    Every word of the batch is scored in one flat pass (numpy over the exploded words, then
    summed per text): five times faster than the same rules in ``list.eval``, which pays for
    each row's small list.
    """
    words = pl.select(tokens(pl.lit(texts, dtype=pl.String))).to_series()
    lengths = words.list.len().fill_null(0).to_numpy().astype(np.int64)
    flat = words.explode().drop_nulls()  # an empty or null list explodes to one null
    polarity = flat.replace_strict(list(WEIGHTS), list(WEIGHTS.values()), default=0.0,
                                   return_dtype=pl.Float64).to_numpy()
    kind = flat.replace_strict(list(CLASSES), list(CLASSES.values()), default=_NONE,
                               return_dtype=pl.Int8).to_numpy()
    size = len(kind)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    row = np.repeat(np.arange(len(lengths)), lengths)
    position = np.arange(size) - starts[row]
    remaining = lengths[row] - position  # words from this one to the end of its text

    def at(offset: int) -> npt.NDArray[np.int8]:
        """The class of the word ``offset`` places away; a clause break beyond its text."""
        out = np.full(size, _BREAK, dtype=np.int8)
        if abs(offset) >= size:
            return out
        if offset < 0:
            out[-offset:] = kind[:offset]
            out[position < -offset] = _BREAK
        else:
            out[:size - offset] = kind[offset:]
            out[remaining <= offset] = _BREAK
        return out

    negated = np.zeros(size, dtype=bool)
    clear = np.ones(size, dtype=bool)  # no clause break between the word and the offset so far
    for step in (1, 2, 3):  # a negation before the word, in its clause
        other = at(-step)
        negated |= clear & ((other == _NEGATOR) | (other == _FINAL_NEGATOR))
        clear &= other != _BREAK
    clear = np.ones(size, dtype=bool)
    for step in (1, 2, 3):  # a clause-final negation after it ("gefällt mir nicht.")
        other = at(step)
        negated |= clear & (other == _FINAL_NEGATOR) & (at(step + 1) == _BREAK)
        clear &= other != _BREAK
    weight = polarity * np.where(negated, -0.75, 1.0) * np.where(at(-1) == _INTENSIFIER, 1.5, 1.0)
    contrasts = np.concatenate(([0], np.cumsum(kind == _CONTRAST)))
    seen = contrasts[1:] - contrasts[starts[row]]  # contrasts up to and including this word
    ahead = contrasts[ends[row]] - contrasts[1:]  # contrasts after this word, in its text
    weight *= np.where(seen > 0, 1.5, 1.0) * np.where(ahead > 0, 0.5, 1.0)
    total = np.bincount(row, weights=weight, minlength=len(lengths))
    return pl.Series(total, dtype=pl.Float64)


def sentiment(text: pl.Expr) -> pl.Expr:
    """The lexicon score of each text in ``text`` (see :func:`scores`), as an expression."""
    return text.map_batches(scores, return_dtype=pl.Float64)
