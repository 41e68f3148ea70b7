"""Name variation generators for the accuracy benchmark, one function per class.

Every generator takes a real listed name and a seeded ``random.Random`` and returns one
variation of the name, or ``None`` when it cannot vary that name (no legal form to change,
no token long enough for a typo...). Generators are deterministic given the generator's
state, work on the name as printed (case is kept as the list writes it, so "Vladimir PUTIN"
stays "V. PUTIN"), and never return the name unchanged.

The classes fall in three groups:

* ``benign``: what honest data entry and other romanisation standards do to a name;
* ``adversarial``: what someone does to slip a listed name past a screener while keeping it
  readable to a human (look-alike letters, invisible characters, digits for letters);
* ``original-script``: the name written in another script, generated here from the Latin
  name with ICU; the benchmark adds the names publishers give in their original script.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

import icu

Generator = Callable[[str, random.Random], str | None]

PERSON = frozenset({"Person"})
ORGANISATION = frozenset({"Organization", "Company"})
ANY = PERSON | ORGANISATION


@dataclass(frozen=True)
class VariationClass:
    name: str
    group: str  # "benign" | "adversarial" | "original-script"
    schemas: frozenset[str]  # schemas of the listed names the class is applied to
    generate: Generator

    @property
    def description(self) -> str:
        doc = (self.generate.__doc__ or "").strip()
        return doc.split("\n\n", 1)[0].replace("\n", " ")


# -- case-preserving word surgery ----------------------------------------------------------

_SUBWORD = re.compile(r"[^\W\d_]+")


def _style(word: str) -> str:
    letters = [c for c in word if c.isalpha()]
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return "upper"
    if letters and letters[0].isupper():
        return "title"
    return "lower"


def _restyle(word: str, style: str) -> str:
    if style == "upper":
        return word.upper()
    if style == "title":
        return word[:1].upper() + word[1:]
    return word


def _letter_runs(text: str) -> list[tuple[int, int]]:
    """Spans of the letter runs of ``text`` ("AL-TIKRITI" has two: "AL" and "TIKRITI")."""
    return [m.span() for m in _SUBWORD.finditer(text)]


def _rewrite_runs(text: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to every letter run, lower-cased, restoring the run's case style."""
    out: list[str] = []
    last = 0
    for start, end in _letter_runs(text):
        run = text[start:end]
        out.append(text[last:start])
        out.append(_restyle(fn(run.lower()), _style(run)))
        last = end
    out.append(text[last:])
    return "".join(out)


def _replace_one(text: str, pattern: re.Pattern[str], repl: str, rng: random.Random) -> str | None:
    """Replace one randomly chosen (case-insensitive) match of ``pattern``, keeping case."""
    spots: list[tuple[int, int, str]] = []
    for start, end in _letter_runs(text):
        run = text[start:end]
        for m in pattern.finditer(run.lower()):
            spots.append((start + m.start(), start + m.end(), _style(run)))
    if not spots:
        return None
    start, end, style = rng.choice(spots)
    found = text[start:end]
    if style == "upper" or (found.isupper() and len(found) > 1):
        new = repl.upper()
    elif found[:1].isupper():
        new = repl[:1].upper() + repl[1:]
    else:
        new = repl
    return text[:start] + new + text[end:]


def _tokens(text: str) -> list[str]:
    return text.split()


def _family_start(tokens: Sequence[str]) -> int:
    """Index of the first family-name token: the trailing run of upper-case tokens when the
    list writes surnames in capitals ("Maria Del Rosario GARCIA DURAN"), else the last."""
    if len(tokens) < 2:
        return 0
    caps = [_style(t) == "upper" for t in tokens]
    if all(caps) or not caps[-1]:
        return len(tokens) - 1
    i = len(tokens) - 1
    while i > 0 and caps[i - 1]:
        i -= 1
    return i


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _same(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _changed(original: str, variation: str | None) -> str | None:
    if variation is None:
        return None
    variation = " ".join(variation.split())
    if not variation or _same(variation, original):
        return None
    return variation


# -- benign ----------------------------------------------------------------------------------

_TRANSLIT_RULES: tuple[tuple[str, str], ...] = (
    (r"ks", "x"),
    (r"x", "ks"),
    (r"ou", "u"),
    (r"(?<![aeioq])u", "ou"),
    (r"iy$", "y"),
    (r"iy$", "ii"),
    (r"ii$", "y"),
    (r"(?<=[^aeiou])y$", "iy"),
    (r"(?<=[^aeiou])y$", "i"),
    (r"kh", "h"),
    (r"(?<=[aeiou])h(?=[aeiou])", "kh"),
    (r"sh", "sch"),
    (r"sch", "sh"),
    (r"sh", "ch"),
    (r"ts", "tz"),
    (r"tz", "ts"),
    (r"ts", "c"),
    (r"dzh", "j"),
    (r"(?<!d)j", "dzh"),
    (r"dj", "j"),
    (r"(?<!d)j", "dj"),
    (r"zh", "j"),
    (r"zh", "z"),
    (r"ph", "f"),
    (r"^ye", "e"),
    (r"^e(?=[^aeiou])", "ye"),
    (r"yu", "iu"),
    (r"iu", "yu"),
    (r"ya", "ia"),
    (r"ia", "ya"),
    (r"(?<=[aeiou])y(?=[aeiou])", "i"),
    (r"(?<=[aeiou])i(?=[aeiou])", "y"),
    (r"^y(?=[aeiou])", "j"),
    (r"^j(?=[aeiou])", "y"),
    (r"v", "w"),
    (r"w", "v"),
    (r"q", "k"),
    (r"ch", "tch"),
    (r"ch", "tsch"),
    (r"ei", "ey"),
    (r"ey", "ei"),
    (r"ai", "ay"),
    (r"ay", "ai"),
    (r"ovich$", "ovitch"),
    (r"evich$", "evitch"),
    (r"ov$", "off"),
    (r"ev$", "ew"),
    (r"^abdul", "abdel"),
    (r"^abdel", "abdul"),
    (r"^moh", "muh"),
    (r"^muh", "moh"),
)


# English words and legal forms in organisation names are not romanised, only names are.
ENGLISH_WORDS = frozenset(
    str.split(
        """the of and for in on at to by with company limited liability corporation society
    trading bank group international industries industry industrial organization
    organisation association foundation institute university ministry department office
    agency services service shipping holding holdings investment investments enterprise
    enterprises factory plant works center centre national general joint stock open closed
    public private partnership establishment free zone network military army force forces
    front brigade movement party council committee army revolutionary islamic state
    republic of united new development technology technologies systems electronics energy
    oil gas petroleum chemical chemicals engineering construction export import logistics
    marine maritime air airlines transport exchange money finance financial capital"""
    )
)


def _substituter(pattern: re.Pattern[str], repl: str) -> Callable[[str], str]:
    def sub(run: str) -> str:
        if run in ENGLISH_WORDS or run in _legal_words():
            return run
        return pattern.sub(repl, run)

    return sub


def transliteration(name: str, rng: random.Random) -> str | None:
    """Another romanisation standard: one spelling rule (ks/x, ou/u, -iy/-y/-ii, kh/h,
    sh/sch, ts/tz/c, dzh/j, ph/f, ye/e, yu/iu, v/w, q/k, -ov/-off, Abdul/Abdel...) applied
    to every place it fits in the name's words, as a different standard would; English
    words and legal forms ("Limited Liability Company") are left alone.

    Declines when no rule fits the name.
    """
    rules = list(_TRANSLIT_RULES)
    rng.shuffle(rules)
    for pattern, repl in rules:
        varied = _rewrite_runs(name, _substituter(re.compile(pattern), repl))
        if not _same(varied, name):
            return _changed(name, varied)
    return None


_ACCENTS: dict[str, str] = {
    "a": "áàâäãå",
    "e": "éèêëě",
    "i": "íìîï",
    "o": "óòôöõ",
    "u": "úùûüů",
    "c": "çčć",
    "n": "ñń",
    "s": "šśş",
    "z": "žźż",
    "y": "ýÿ",
    "g": "ğ",
    "r": "ř",
}


def diacritics(name: str, rng: random.Random) -> str | None:
    """Accents and other diacritics added to one to three letters ("Hasan" -> "Hasán",
    "Sergei" -> "Šergeï"), as names are written in languages that use them."""
    spots = [i for i, c in enumerate(name) if c.lower() in _ACCENTS]
    if not spots:
        return None
    chars = list(name)
    for i in rng.sample(spots, min(len(spots), rng.randint(1, 3))):
        accented = rng.choice(_ACCENTS[chars[i].lower()])
        chars[i] = accented.upper() if chars[i].isupper() else accented
    return _changed(name, "".join(chars))


def name_order(name: str, rng: random.Random) -> str | None:
    """Name parts in another order: reversed, rotated (first part moved to the end), or
    "FAMILY, Given Middle" as registers and forms write it.

    Declines one-part names.
    """
    tokens = _tokens(name)
    if len(tokens) < 2:
        return None
    fam = _family_start(tokens)
    options = [
        " ".join(reversed(tokens)),
        " ".join([*tokens[1:], tokens[0]]),
        " ".join(tokens[fam:]) + ", " + " ".join(tokens[:fam]),
    ]
    options = [o for o in dict.fromkeys(options) if not _same(o, name)]
    if not options or fam == 0:
        options = options[:2]
    return _changed(name, rng.choice(options)) if options else None


_PARTICLES = frozenset(
    str.split(
        "al el ul ad ud as ash at az ibn bin ben bint binti ould van von der den de del della "
        "di da dos das do du le la"
    )
)


def dropped_token(name: str, rng: random.Random) -> str | None:
    """A middle name or patronymic left out ("Vladimir Vladimirovich PUTIN" -> "Vladimir
    PUTIN").

    Declines names of fewer than three parts, and particles (see ``particles``).
    """
    tokens = _tokens(name)
    if len(tokens) < 3:
        return None
    fam = max(_family_start(tokens), 1)
    middle = [i for i in range(1, fam) if tokens[i].lower().strip(".,") not in _PARTICLES]
    if not middle:
        middle = [i for i in range(1, len(tokens) - 1) if tokens[i].lower() not in _PARTICLES]
    if not middle:
        return None
    drop = rng.choice(middle)
    return _changed(name, " ".join(t for i, t in enumerate(tokens) if i != drop))


COMMON_GIVEN_NAMES = (
    "John", "Mohammed", "Ali", "Maria", "Ahmad", "Alexander", "Ivan", "Hassan", "Abdul",
    "Jose", "Sergey", "Omar", "Anna", "Ibrahim", "Mikhail", "Juan", "Yusuf", "Elena",
    "David", "Mustafa",
)  # fmt: skip


def added_token(name: str, rng: random.Random) -> str | None:
    """A common given name added as a middle name ("Ahmad HASSAN" -> "Ahmad Ali HASSAN"),
    as a customer record may carry a name the list does not.

    Declines one-part names.
    """
    tokens = _tokens(name)
    if len(tokens) < 2:
        return None
    present = {t.lower().strip(".,") for t in tokens}
    choices = [g for g in COMMON_GIVEN_NAMES if g.lower() not in present]
    given = rng.choice(choices)
    if _style(tokens[0]) == "upper" and all(_style(t) == "upper" for t in tokens):
        given = given.upper()
    at = max(1, min(_family_start(tokens), len(tokens) - 1))
    return _changed(name, " ".join([*tokens[:at], given, *tokens[at:]]))


def initials(name: str, rng: random.Random) -> str | None:
    """Given names written as initials: the first ("Vladimir PUTIN" -> "V. PUTIN") or every
    given name ("Maria Del Rosario GARCIA" -> "M. D. R. GARCIA"), with or without dots.

    Declines one-part names.
    """
    tokens = _tokens(name)
    if len(tokens) < 2:
        return None
    fam = max(_family_start(tokens), 1)
    given = [i for i in range(fam) if tokens[i][:1].isalpha() and len(tokens[i]) > 1]
    if not given:
        return None
    which = given[:1] if len(given) == 1 or rng.random() < 0.6 else given
    dot = "." if rng.random() < 0.7 else ""
    out = [t[0].upper() + dot if i in which else t for i, t in enumerate(tokens)]
    return _changed(name, " ".join(out))


TITLES = (
    "Mr", "Mr.", "Dr", "Dr.", "Sheikh", "General", "Haji", "Colonel", "Mullah", "Prof.",
    "Captain", "Imam", "Maulana", "Sir",
)  # fmt: skip


def titles(name: str, rng: random.Random) -> str | None:
    """An honorific, religious or military title put before the name ("Sheikh Ahmad
    HASSAN", "Dr. Ivan PETROV")."""
    return _changed(name, f"{rng.choice(TITLES)} {name}")


_PREFIX_PARTICLE = re.compile(r"^(al|el|ul|ad|ud|as|ash|at|az)-(?=\w)", re.I)


def particles(name: str, rng: random.Random) -> str | None:
    """A name particle removed where the name has one ("Ayman AL-ZAWAHIRI" -> "Ayman
    ZAWAHIRI", "Osama bin LADEN" -> "Osama LADEN"), else added (al-, bin, ibn, von, de,
    van).

    Declines one-part names.
    """
    tokens = _tokens(name)
    if len(tokens) < 2:
        return None
    removable = [i for i, t in enumerate(tokens) if t.lower().strip(".,") in _PARTICLES]
    prefixed = [i for i, t in enumerate(tokens) if _PREFIX_PARTICLE.match(t)]
    if (removable or prefixed) and len(tokens) - len(removable) >= 1:
        spots = [("word", i) for i in removable] + [("prefix", i) for i in prefixed]
        kind, i = rng.choice(spots)
        if kind == "word":
            out = [t for j, t in enumerate(tokens) if j != i]
        else:
            out = [_PREFIX_PARTICLE.sub("", t) if j == i else t for j, t in enumerate(tokens)]
        return _changed(name, " ".join(out))
    upper = all(_style(t) == "upper" for t in tokens)
    fam = max(_family_start(tokens), 1)
    choice = rng.choice(("al-", "bin", "ibn", "von", "de", "van"))
    if choice == "al-":
        prefix = "AL-" if _style(tokens[fam]) == "upper" else "al-"
        out = [prefix + t if j == fam else t for j, t in enumerate(tokens)]
    else:
        word = choice.upper() if upper else choice
        out = [*tokens[:fam], word, *tokens[fam:]]
    return _changed(name, " ".join(out))


# Legal forms that mean the same thing, written in full and abbreviated. The Russian joint
# stock forms are one family on purpose: companies were renamed from OAO to PAO in 2014, and
# a customer record may carry either.
LEGAL_FORMS: tuple[tuple[str, ...], ...] = (
    ("LLC", "L.L.C.", "Limited Liability Company", "OOO"),
    (
        "OAO", "OJSC", "Open Joint Stock Company", "PAO", "PJSC", "Public Joint Stock Company",
        "AO", "JSC", "Joint Stock Company", "ZAO", "CJSC", "Closed Joint Stock Company",
    ),
    ("GmbH", "Gesellschaft mit beschränkter Haftung", "Gesellschaft mbH"),
    ("Ltd", "Ltd.", "Limited"),
    ("Co., Ltd.", "Co. Ltd", "Company Limited"),
    ("Inc", "Inc.", "Incorporated"),
    ("Corp", "Corp.", "Corporation"),
    ("Co", "Co.", "Company"),
    ("PLC", "Public Limited Company"),
    ("SA", "S.A.", "Sociedad Anonima", "Societe Anonyme"),
    ("FZE", "Free Zone Establishment"),
    ("FZCO", "Free Zone Company"),
    ("LLP", "Limited Liability Partnership"),
    ("AG", "Aktiengesellschaft"),
    ("SRL", "S.R.L."),
    ("BV", "B.V."),
)  # fmt: skip


def _legal_key(text: str) -> str:
    text = _strip_marks(text).casefold().replace("-", " ")
    return " ".join(re.sub(r"[.,\"'“”«»()]", " ", text).split())


@cache
def _legal_index() -> dict[str, int]:
    return {_legal_key(form): g for g, group in enumerate(LEGAL_FORMS) for form in group}


@cache
def _legal_words() -> frozenset[str]:
    return frozenset(w for key in _legal_index() for w in key.split())


def legal_form(name: str, rng: random.Random) -> str | None:
    """The legal form written another way (LLC <-> Limited Liability Company, OAO/OJSC/PAO/
    JSC, GmbH <-> Gesellschaft mit beschränkter Haftung, Ltd <-> Limited...) or dropped.

    Declines names without a recognised legal form.
    """
    tokens = _tokens(name)
    index = _legal_index()
    found: list[tuple[int, int, int]] = []  # (start, end, group)
    for size in range(5, 0, -1):
        for i in range(len(tokens) - size + 1):
            key = _legal_key(" ".join(tokens[i : i + size]))
            if key in index and not any(s < i + size and i < e for s, e, _ in found):
                found.append((i, i + size, index[key]))
    if not found:
        return None
    start, end, group = rng.choice(found)
    current = _legal_key(" ".join(tokens[start:end]))
    others = [f for f in LEGAL_FORMS[group] if _legal_key(f) != current]
    rest = tokens[:start] + tokens[end:]
    can_drop = any(_legal_key(t) for t in rest)
    if can_drop and (not others or rng.random() < 0.25):
        return _changed(name, " ".join(rest))
    new = rng.choice(others)
    if all(_style(t) == "upper" for t in tokens if any(c.isalpha() for c in t)):
        new = new.upper()
    trail = tokens[end - 1][len(tokens[end - 1].rstrip(",")) :]
    return _changed(name, " ".join([*tokens[:start], new + trail, *tokens[end:]]))


def _long_runs(name: str, minimum: int) -> list[tuple[int, int]]:
    return [(s, e) for s, e in _letter_runs(name) if e - s >= minimum]


def typo(name: str, rng: random.Random) -> str | None:
    """One random edit (a letter substituted, inserted or deleted) in a part of at least
    five letters.

    Declines names without such a part.
    """
    runs = _long_runs(name, 5)
    if not runs:
        return None
    start, end = rng.choice(runs)
    upper = _style(name[start:end]) == "upper"
    op = rng.choice(("substitute", "insert", "delete"))
    pos = rng.randrange(start, end)
    letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
    if upper or (op == "substitute" and name[pos].isupper()):
        letter = letter.upper()
    if op == "substitute":
        while letter.lower() == name[pos].lower():
            letter = rng.choice("abcdefghijklmnopqrstuvwxyz")
            letter = letter.upper() if upper or name[pos].isupper() else letter
        varied = name[:pos] + letter + name[pos + 1 :]
    elif op == "insert":
        pos = rng.randrange(start + 1, end + 1)
        varied = name[:pos] + letter + name[pos:]
    else:
        varied = name[:pos] + name[pos + 1 :]
    return _changed(name, varied)


def transposition(name: str, rng: random.Random) -> str | None:
    """Two adjacent different letters swapped in one part of at least four letters
    ("Hassan" -> "Hsasan").

    Declines names without such a pair.
    """
    spots = [
        i
        for s, e in _long_runs(name, 4)
        for i in range(s, e - 1)
        if name[i].lower() != name[i + 1].lower()
    ]
    if not spots:
        return None
    i = rng.choice(spots)
    a, b = name[i], name[i + 1]
    # Keep the case where the letters stood ("Hassan" -> "Ahssan", not "aHssan").
    a2 = b.upper() if a.isupper() else b.lower()
    b2 = a.upper() if b.isupper() else a.lower()
    return _changed(name, name[:i] + a2 + b2 + name[i + 2 :])


_OCR_RULES: tuple[tuple[str, str], ...] = (
    ("rn", "m"),
    ("m", "rn"),
    ("cl", "d"),
    ("d", "cl"),
    ("vv", "w"),
    ("w", "vv"),
    ("l", "1"),
    ("o", "0"),
)


def ocr(name: str, rng: random.Random) -> str | None:
    """One optical-character-recognition confusion: rn<->m, cl<->d, vv<->w, l->1, O->0,
    and I<->l between capital i and small L.

    Declines names where none fits.
    """
    options: list[str] = []
    for pattern, repl in _OCR_RULES:
        varied = _replace_one(name, re.compile(pattern), repl, rng)
        if varied is not None:
            options.append(varied)
    caps_i = [i for i, c in enumerate(name) if c == "I"]
    small_l = [i for i, c in enumerate(name) if c == "l"]
    if caps_i:
        i = rng.choice(caps_i)
        options.append(name[:i] + "l" + name[i + 1 :])
    if small_l:
        i = rng.choice(small_l)
        options.append(name[:i] + "I" + name[i + 1 :])
    options = [o for o in options if not _same(o, name)]
    return _changed(name, rng.choice(options)) if options else None


_PHONETIC_RULES: tuple[tuple[str, str], ...] = (
    ("ph", "f"),
    ("f", "ph"),
    ("c(?=[aou])", "k"),
    ("k(?=[aou])", "c"),
    ("ck", "k"),
    ("ee", "i"),
    ("i(?=[^aeiou]|$)", "ee"),
    ("oo", "u"),
    ("u", "oo"),
    (r"([bcdfgklmnprstz])\1", r"\1"),
    (r"(?<=[aeiou])([bdfgklmnprst])(?=[aeiou])", r"\1\1"),
)


def phonetic(name: str, rng: random.Random) -> str | None:
    """A spelling that sounds the same: ph<->f, c<->k, ee<->i, oo<->u, a consonant doubled
    or undoubled, in one place.

    Declines names where none fits.
    """
    rules = list(_PHONETIC_RULES)
    rng.shuffle(rules)
    for pattern, repl in rules:
        compiled = re.compile(pattern)
        spots: list[tuple[int, re.Match[str], str]] = []
        for start, end in _letter_runs(name):
            run = name[start:end]
            for m in compiled.finditer(run.lower()):
                spots.append((start, m, _style(run)))
        if not spots:
            continue
        start, m, style = rng.choice(spots)
        new = m.expand(repl)
        a, b = start + m.start(), start + m.end()
        if style == "upper":
            new = new.upper()
        elif name[a].isupper():
            new = new[:1].upper() + new[1:]
        varied = name[:a] + new + name[b:]
        if not _same(varied, name):
            return _changed(name, varied)
    return None


def truncation(name: str, rng: random.Random) -> str | None:
    """The name cut short, as a fixed-width field or a hurried clerk does: the last part's
    tail cut (one to three letters, at most a third of its last word and keeping at least
    four) or, for names of three or more parts, the last part dropped.

    Declines names that are too short for either.
    """
    tokens = _tokens(name)
    options: list[str] = []
    if len(tokens) >= 3:
        options.append(" ".join(tokens[:-1]))
    runs = _letter_runs(name)
    if runs and runs[-1][1] - runs[-1][0] >= 6:
        start, end = runs[-1]
        length = end - start
        cut = rng.randint(1, min(3, length - 4, length // 3))
        options.append(name[: end - cut])
    return _changed(name, rng.choice(options)) if options else None


def joined_split(name: str, rng: random.Random) -> str | None:
    """Words joined or split: one space removed ("Abdul Rahman" -> "AbdulRahman") or a long
    part (eight letters or more) split in two ("Rosoboronexport" -> "Rosoboron export").

    Declines one-part names without a long part.
    """
    options: list[str] = []
    spaces = [i for i, c in enumerate(name) if c == " "]
    if spaces:
        i = rng.choice(spaces)
        options.append(name[:i] + name[i + 1 :])
    runs = _long_runs(name, 8)
    if runs:
        s, e = rng.choice(runs)
        cut = rng.randint(s + 3, e - 3)
        options.append(name[:cut] + " " + name[cut:])
    return _changed(name, rng.choice(options)) if options else None


# -- adversarial ---------------------------------------------------------------------------

# Latin letters and the Cyrillic or Greek letters that render the same in most fonts.
HOMOGLYPHS: dict[str, str] = {
    "a": "а", "c": "с", "e": "е", "i": "і", "j": "ј", "o": "оο", "p": "рρ", "s": "ѕ",
    "x": "хχ", "y": "у", "A": "АΑ", "B": "ВΒ", "C": "С", "E": "ЕΕ", "H": "НΗ", "I": "ІΙ",
    "J": "Ј", "K": "КΚ", "M": "МΜ", "N": "Ν", "O": "ОΟ", "P": "РΡ", "S": "Ѕ", "T": "ТΤ",
    "X": "ХΧ", "Y": "УΥ", "Z": "Ζ",
}  # fmt: skip


def homoglyphs(name: str, rng: random.Random) -> str | None:
    """Some Latin letters replaced by Cyrillic or Greek look-alikes ("PUTIN" -> "PUТIN"
    with a Cyrillic Т): each eligible letter with probability 0.35, at least one."""
    spots = [i for i, c in enumerate(name) if c in HOMOGLYPHS]
    if not spots:
        return None
    chosen = [i for i in spots if rng.random() < 0.35] or [rng.choice(spots)]
    chars = list(name)
    for i in chosen:
        chars[i] = rng.choice(HOMOGLYPHS[chars[i]])
    return _changed(name, "".join(chars))


# Zero-width space, zero-width non-joiner, zero-width joiner, soft hyphen, byte order mark
# (zero-width no-break space), word joiner.
INVISIBLE = ("\u200b", "\u200c", "\u200d", "\u00ad", "\ufeff", "\u2060")


def invisible(name: str, rng: random.Random) -> str | None:
    """One to three invisible characters (zero-width space or joiner, soft hyphen, byte
    order mark, word joiner) inserted between two letters of a word."""
    spots = [i for i in range(1, len(name)) if name[i - 1].isalpha() and name[i].isalpha()]
    if not spots:
        return None
    chosen = sorted(rng.sample(spots, min(len(spots), rng.randint(1, 3))), reverse=True)
    out = name
    for i in chosen:
        out = out[:i] + rng.choice(INVISIBLE) + out[i:]
    return out if out != name else None


LEET: dict[str, str] = {"o": "0", "l": "1", "e": "3", "s": "5", "a": "@"}


def digits(name: str, rng: random.Random) -> str | None:
    """Digits and symbols for look-alike letters (0/o, 1/l, 3/e, 5/s, @/a), each eligible
    letter with probability 0.5, at least one ("ROSOBORONEXPORT" -> "R0S0B0R0NEXP0RT")."""
    spots = [i for i, c in enumerate(name) if c.lower() in LEET]
    if not spots:
        return None
    chosen = [i for i in spots if rng.random() < 0.5] or [rng.choice(spots)]
    chars = list(name)
    for i in chosen:
        chars[i] = LEET[chars[i].lower()]
    return _changed(name, "".join(chars))


# -- original script (generated) -------------------------------------------------------------


@cache
def _icu(transform: str) -> icu.Transliterator:
    return icu.Transliterator.createInstance(transform)


def _latin_source(name: str) -> str | None:
    """The name in lower case without marks, or None for a name that is not plain Latin or
    holds English words ("Umar the Chechen"), which would be translated, not transliterated."""
    plain = _strip_marks(name).lower()
    plain = re.sub(r"[^a-z\s'-]", " ", plain)
    plain = " ".join(plain.replace("'", "").split())
    if any(w in ENGLISH_WORDS for w in re.split(r"[\s-]+", plain)):
        return None
    return plain if sum(c.isalpha() for c in plain) >= 2 else None


def _title(text: str) -> str:
    return " ".join("-".join(p[:1].upper() + p[1:] for p in w.split("-")) for w in text.split())


def _sub_all(text: str, rules: Sequence[tuple[str, str]]) -> str:
    for pattern, repl in rules:
        text = re.sub(pattern, repl, text)
    return text


def _only_script(text: str) -> str | None:
    """The transliteration, or None when Latin letters were left over (ICU had no rule)."""
    return None if re.search(r"[A-Za-z]", text) else text


# English-style digraphs folded to the ISO 9 letters ICU's Latin-Cyrillic reads, so that
# "sh" becomes ш, not сх, and "Yevgeny" Евгений, not Ыевгены.
_TO_ISO9 = (
    (r"shch|sch", "ŝ"),
    (r"sh", "š"),
    (r"zh", "ž"),
    (r"kh", "h"),
    (r"ch", "č"),
    (r"ck", "k"),
    (r"c", "k"),
    (r"ts|tz", "c"),
    (r"x", "ks"),
    (r"w", "v"),
    (r"q", "k"),
    (r"j", "dž"),
    (r"ph", "f"),
    (r"th", "t"),
    (r"ee", "i"),
    (r"oo", "u"),
    (r"ou", "u"),
    (r"\bye", "e"),
    (r"yu", "û"),
    (r"ya", "â"),
    (r"yo", "ë"),
    (r"(?<=[aeiouy])y", "j"),
    (r"(?<=[^aeiou\s-])y\b", "ij"),
    (r"\by(?=[aeiou])", "j"),
)


def cyrillic(name: str, rng: random.Random) -> str | None:
    """The name in Cyrillic, as a Russian speaker would write it from the Latin: ICU
    Latin-Cyrillic after English digraphs (sh, kh, zh, ch, ya, yu) are read as single
    letters ("Vladimir PUTIN" -> "Владимир Путин")."""
    del rng
    src = _latin_source(name)
    if src is None:
        return None
    out = _icu("Latin-Cyrillic").transliterate(_sub_all(src, _TO_ISO9))
    return _only_script(_title(out))


def greek(name: str, rng: random.Random) -> str | None:
    """The name in Greek: ICU Latin-Greek/UNGEGN, with u written ου as modern Greek
    writes it and sh/ch/kh/zh/j as Greek writes them (σ, τσ, χ, ζ, τζ) ("Vladimir PUTIN"
    -> "Βλαδιμιρ Πουτιν")."""
    del rng
    src = _latin_source(name)
    if src is None:
        return None
    src = _sub_all(
        src,
        ((r"sh", "s"), (r"ch", "ts"), (r"kh", "ch"), (r"zh", "z"), (r"j", "tz"), (r"w", "v")),
    )
    src = _sub_all(src, ((r"q", "k"), (r"y", "i"), (r"c(?!h)", "k"), (r"(?<!o)u", "ou")))
    out = _icu("Latin-Greek/UNGEGN").transliterate(src)
    return _only_script(_title(out))


# ICU's Latin-Arabic writes short vowels as harakat and digraphs letter by letter; names
# are written unvowelled, foreign vowels as letters (ا و ي), and sh/kh/th/gh/zh as one letter.
_ARABIC_DIGRAPHS = (("سه", "ش"), ("كه", "خ"), ("ته", "ث"), ("ده", "ذ"), ("گه", "غ"), ("زه", "ژ"))
_ARABIC_VOWELS = str.maketrans({"\u064e": "ا", "\u0650": "ي", "\u064f": "و"})


def arabic(name: str, rng: random.Random) -> str | None:
    """The name in Arabic script: ICU Latin-Arabic, then written unvowelled as Arabic
    writes foreign names (vowels as ا و ي, a word-initial vowel as ا, sh/kh/th/gh as
    ش خ ث غ, "al-" joined to its word)."""
    del rng
    src = _latin_source(name)
    if src is None:
        return None
    out = _icu("Latin-Arabic").transliterate(src.replace("ch", "tsh"))
    for a, b in _ARABIC_DIGRAPHS:
        out = out.replace(a, b)
    out = re.sub("(^|[\\s-])\u064f", "\\1او", out)
    out = re.sub("(^|[\\s-])[\u064e\u0650]", "\\1ا", out)
    out = out.translate(_ARABIC_VOWELS)
    out = "".join(c for c in out if not unicodedata.combining(c))
    out = re.sub(r"(\S)\1", r"\1", out)  # doubled letters are written once (shadda)
    out = re.sub(r"(^|\s)ا?ل-", r"\1ال", out)
    return _only_script(" ".join(out.split()))


_HEBREW_FINALS = str.maketrans({"כ": "ך", "מ": "ם", "נ": "ן", "פ": "ף", "צ": "ץ"})
_HEBREW_MEDIAL = str.maketrans({"ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ"})


def _hebrew_word(word: str) -> str:
    # A doubled consonant ("mm") is written once; letters that only meet once the vowels
    # are dropped ("falaleev") are not doubles.
    word = re.sub(r"(\S)\1", r"\1", word)
    # A word starting with a vowel starts with alef; i -> yod, o/u -> vav, a/e unwritten.
    word = re.sub("^(?=[\u05b0-\u05bb])", "א", word)
    word = word.replace("\u05b4", "י")
    word = re.sub("[\u05b3\u05b9\u05bb]", "ו", word)
    word = "".join(c for c in word if not unicodedata.combining(c))
    for a, b in (("סה", "ש"), ("כה", "ח"), ("טס", "צ")):
        word = word.replace(a, b)
    if not word:
        return word
    return word[:-1].translate(_HEBREW_MEDIAL) + word[-1].translate(_HEBREW_FINALS)


def hebrew(name: str, rng: random.Random) -> str | None:
    """The name in Hebrew script: ICU Latin-Hebrew, then unpointed as Hebrew writes
    names (i as yod, o/u as vav, v as bet, sh/kh/ts as ש ח צ, final letter forms)."""
    del rng
    src = _latin_source(name)
    if src is None:
        return None
    src = _sub_all(src, ((r"ch", "tsh"), (r"j", "g"), (r"v", "b"), (r"w", "v")))
    out = _icu("Latin-Hebrew").transliterate(src)
    words = ["-".join(_hebrew_word(p) for p in w.split("-")) for w in out.split()]
    return _only_script(" ".join(w for w in words if w.strip("-")))


def armenian(name: str, rng: random.Random) -> str | None:
    """The name in Armenian: ICU Latin-Armenian, with sh/kh/ch/zh/j as one letter
    (շ խ չ ժ ջ)."""
    del rng
    src = _latin_source(name)
    if src is None:
        return None
    src = _sub_all(src, ((r"q", "k"), (r"c(?!h)", "k")))
    out = _icu("Latin-Armenian").transliterate(src)
    for a, b in (("սհ", "շ"), ("կհ", "խ"), ("ծհ", "չ"), ("զհ", "ժ"), ("ձ", "ջ")):
        out = out.replace(a, b)
    return _only_script(_title(out))


def georgian(name: str, rng: random.Random) -> str | None:
    """The name in Georgian (Mkhedruli): ICU Latin-Georgian, with x, y, w, q, c and f
    first spelt as Georgian spells them (ks, i, v, k, k, p)."""
    del rng
    src = _latin_source(name)
    if src is None:
        return None
    src = _sub_all(
        src, ((r"x", "ks"), (r"y", "i"), (r"w", "v"), (r"q", "k"), (r"c(?!h)", "k"), (r"f", "p"))
    )
    out = _icu("Latin-Georgian").transliterate(src)
    return _only_script(out)


def hangul(name: str, rng: random.Random) -> str | None:
    """The name in Korean Hangul: ICU Latin-Hangul, kh/zh and a y that is not a
    consonant first spelt h/j/i ("Vladimir PUTIN" -> "브라디밀 푸틴")."""
    del rng
    src = _latin_source(name)
    if src is None:
        return None
    src = _sub_all(src, ((r"kh", "h"), (r"zh", "j"), (r"y(?![aeiou])", "i")))
    out = _icu("Latin-Hangul").transliterate(src)
    return _only_script(out)


CLASSES: tuple[VariationClass, ...] = (
    VariationClass("transliteration", "benign", ANY, transliteration),
    VariationClass("diacritics", "benign", ANY, diacritics),
    VariationClass("name-order", "benign", PERSON, name_order),
    VariationClass("dropped-token", "benign", PERSON, dropped_token),
    VariationClass("added-token", "benign", PERSON, added_token),
    VariationClass("initials", "benign", PERSON, initials),
    VariationClass("titles", "benign", PERSON, titles),
    VariationClass("particles", "benign", PERSON, particles),
    VariationClass("legal-form", "benign", ORGANISATION, legal_form),
    VariationClass("typo", "benign", ANY, typo),
    VariationClass("transposition", "benign", ANY, transposition),
    VariationClass("ocr", "benign", ANY, ocr),
    VariationClass("phonetic", "benign", ANY, phonetic),
    VariationClass("truncation", "benign", ANY, truncation),
    VariationClass("joined-split", "benign", ANY, joined_split),
    VariationClass("homoglyphs", "adversarial", ANY, homoglyphs),
    VariationClass("invisible", "adversarial", ANY, invisible),
    VariationClass("digits", "adversarial", ANY, digits),
    VariationClass("script-cyrillic", "original-script", PERSON, cyrillic),
    VariationClass("script-greek", "original-script", PERSON, greek),
    VariationClass("script-arabic", "original-script", PERSON, arabic),
    VariationClass("script-hebrew", "original-script", PERSON, hebrew),
    VariationClass("script-armenian", "original-script", PERSON, armenian),
    VariationClass("script-georgian", "original-script", PERSON, georgian),
    VariationClass("script-hangul", "original-script", PERSON, hangul),
)

GROUPS = ("benign", "adversarial", "original-script")


def by_name(name: str) -> VariationClass:
    for cls in CLASSES:
        if cls.name == name:
            return cls
    raise KeyError(name)
