"""What a block (line) of a page dumped to text still says about itself.

A full-page text dump has lost its markup, but its lines still show what they were:
menu entries and buttons are short, capitalised and have no function words; article
paragraphs are long punctuated sentences full of function words; notices, forms and
widgets name their purpose (cookies, sign in, share, 3 comments, 2 hours ago).
``block_features`` measures this for all blocks of a batch of pages at once: one numpy
``bincount`` over the pages' UTF-8 bytes for the character counts, and one dictionary
look-up per word (a block's first ``_LOOKED_UP`` words) for function words and cue
words, because cleaning has about a millisecond per page.

The cue vocabularies are generic interface and legal vocabulary of news sites in
English, German, French, Spanish, Italian, Portuguese, Polish and Dutch; they name no
site.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import itemgetter

import numpy as np

from cleanwire.text.metadata import MONTH_NAMES

__all__ = [
    "END_MARKERS", "FEATURE_NAMES", "FIXED_POINT", "STOPWORDS", "BlockTable", "block_features", "line_hashes",
    "page_bounds", "segment_sums", "title_parts", "window_mean",
]

STOPWORDS = frozenset(
    """a an the and or but if of at by for with about against between into through during before
    after above below to from up down in out on off over under again further then once here there
    when where why how all any both each few more most other some such no nor not only own same so
    than too very can will just should now is are was were be been being have has had having do
    does did would could he she it they we you i his her its their our your him them us this that
    these those who whom which what said says also as may might must shall
    der die das und oder aber wenn von zu mit auf für ist sind war waren ein eine einer eines nicht
    sich auch es er sie wir ihr dem den des im am an bei nach aus wie noch nur so dass hat haben
    wird werden wurde um über vor zum zur vom einen einem kann können sein seine ihre diese dieser
    le la les et ou mais de des du un une est sont était dans pour par sur avec ne pas que qui il
    elle ils elles nous vous au aux ce cette ces se sa son ses leur plus
    el los las y o pero del en por para con no que es son fue una unos unas su sus al lo como más
    il lo gli e ma di da con non che è sono della delle nel per una
    o os as e mas do da dos das em no na com não que é são um uma para
    i w z na do nie się to jest że o jak ale po co tak za od jego
    de het een en van is dat die niet op te zijn voor met ook aan""".split()
)

# Cue categories, one bit each.
_CTA, _LEGAL, _TIME, _CREDIT = 1, 2, 8, 16
_CUES = {
    _CTA: """login logout signin signup log sign subscribe subscribed subscription subscriptions subscriber
        subscribers newsletter newsletters register registration share shares sharing reply replies
        comment comments commenting download email click menu skip toggle donate advertise
        advertisement advertisements advertising sponsored ad ads cart basket checkout password
        username bookmark rss unsubscribe
        anmelden abmelden einloggen registrieren abonnieren abonnement abo teilen drucken
        kommentar kommentare kommentieren weiterlesen startseite menü akzeptieren anzeige werbung
        spenden warenkorb herunterladen passwort
        connexion connecter inscrire inscription abonner abonnez partager imprimer commentaire
        commentaires commenter répondre rechercher accueil publicité panier télécharger
        registrarse suscríbete suscribirse suscripción compartir comparte imprimir comentario
        comentarios comentar publicidad carrito descargar
        accedi registrati iscriviti abbonati abbonamento condividi commento commenti commenta
        rispondi pubblicità carrello scarica
        cadastre assine assinatura compartilhe compartilhar comentário comentários publicidade
        zaloguj zarejestruj subskrybuj prenumerata udostępnij komentarz komentarze odpowiedz
        reklama koszyk pobierz
        inloggen aanmelden abonneren reageren reacties advertentie
        facebook twitter linkedin whatsapp pinterest instagram youtube tiktok telegram xing
        reddit tumblr flipboard mastodon snapchat""",
    _LEGAL: """cookie cookies privacy gdpr dsgvo consent terms conditions copyright rights reserved
        disclaimer imprint legal policy trademark trademarks
        datenschutz datenschutzerklärung impressum nutzungsbedingungen agb rechte vorbehalten
        einwilligung haftungsausschluss
        confidentialité mentions légales droits réservés
        privacidad aviso derechos reservados términos condiciones
        riservati diritti informativa
        privacidade direitos termos
        prywatności regulamin prawa zastrzeżone rodo
        voorwaarden rechten voorbehouden""",
    _TIME: """ago yesterday today hours minutes mins hrs hr min updated published posted
        sekunden minuten stunden tagen gestern heute uhr aktualisiert veröffentlicht
        hier heures publié
        hace horas minutos ayer hoy publicado
        fa ore ieri oggi pubblicato
        atrás ontem hoje
        temu godzin wczoraj dzisiaj
        geleden gisteren vandaag
        views likes reads followers votes aufrufe vues visitas visualizzazioni"""
    + " " + " ".join(sorted(MONTH_NAMES - {"may", "mar", "mai"})),
    _CREDIT: """photo photos foto fotos bild bilder image images picture pictures credit credits quelle
        fot photograph photography getty shutterstock istock imago reuters afp dpa epa apa
        keystone alamy unsplash pixabay archivbild symbolbild fotografía imagen immagine""",
}

# Headings that open what follows an article: related links, tags, comments.
END_MARKERS = tuple(
    """related|tags|tagged|topics|filed under|comments|comment on|leave a comment|leave a reply|
    join the conversation|post a comment|add a comment|write a comment|you may also like|
    you might also like|recommended|more from|more stories|more news|more on this|read next|
    read more|read also|see also|most read|most popular|popular posts|trending|latest news|
    latest stories|about the author|share this|related posts|related articles|related stories|
    weitere artikel|weitere beiträge|weitere nachrichten|mehr zum thema|mehr aus|das könnte|
    auch interessant|lesen sie auch|lesen sie mehr|ähnliche|verwandte|kommentare|
    schlagwörter|schlagworte|themen|meistgelesen|
    à lire aussi|lire aussi|sur le même sujet|articles similaires|articles liés|commentaires|
    dans la même rubrique|
    noticias relacionadas|artículos relacionados|te puede interesar|le puede interesar|
    lee también|comentarios|más noticias|
    leggi anche|articoli correlati|commenti|potrebbe interessarti|
    veja também|leia também|notícias relacionadas|comentários|
    czytaj także|czytaj też|zobacz też|zobacz także|komentarze|podobne artykuły|
    lees ook|gerelateerde artikelen|reacties""".replace("\n", "").replace("    ", "").split("|")
)

# Bytes of UTF-8 text: ASCII letters lower-cased, ASCII digits read as 0, other ASCII
# characters but the newline read as spaces; bytes of non-ASCII characters unchanged.
# bytes.translate keeps the length, so positions stay those of the text's UTF-8 bytes.
_FOLD = bytes(
    b + 32 if 65 <= b <= 90 else 48 if 48 <= b <= 57 else b if b >= 97 and b <= 122 or b >= 128 or b == 10 else 32
    for b in range(256)
)
# One look-up per word gives all its bits: function word, cue categories, and whether
# it can open an end-of-article heading.
_STOP, _END_HEAD = 32, 64
_LOOKED_UP = 24
_FIRST_WORD = 1  # CRC-32 start value of a block's first word, which tells more than the others
_FLAG_BITS = np.array([_STOP, _CTA, _LEGAL, _TIME, _CREDIT], dtype=np.int64)
_LEXICON: dict[bytes, int] = {}
for _bit, _words in [(_STOP, " ".join(STOPWORDS)), *_CUES.items(), (_END_HEAD, " ".join(m.split()[0] for m in END_MARKERS))]:
    for _word in _words.split():
        # Words are looked up as UTF-8 with only ASCII letters lower-cased (see
        # _FOLD), so a capitalised word starting with a non-ASCII letter is listed too.
        for _form in {_word, _word[0].upper() + _word[1:]}:
            _key = _form.encode("utf-8").translate(_FOLD)
            _LEXICON[_key] = _LEXICON.get(_key, 0) | _bit

FEATURE_NAMES = (
    "bias", "log_words", "log_chars", "words_le_2", "words_le_5", "words_le_10", "words_gt_25",
    "stop_ratio", "no_stopword", "ends_sentence", "ends_colon", "upper_words", "all_caps", "digits",
    "commas", "separators", "first_symbol", "cta_short", "cta_density", "legal_short", "legal_density",
    "time_short", "time_density", "credit_short", "credit_density", "end_marker", "copyright_sign", "repeated", "position", "headline",
    "before_headline", "no_headline", "ctx_log_words_2", "ctx_ends_sentence_2", "ctx_stop_ratio_2",
    "ctx_repeated_2", "ctx_short_both",
)
"""The columns of ``BlockTable.features``: the block itself, then its neighbours."""

# Classes of the bytes of UTF-8 text; a byte that starts a word adds _WORD_START.
_OTHER, _UPPER, _LOWER, _DIGIT, _COMMA, _GAP, _CJK_LEAD, _LEAD, _SEPARATOR = range(9)
_WORD_START = 9
_CODES = 18
_BYTE_CLASS = np.array(
    [_UPPER if 65 <= b <= 90 else _LOWER if 97 <= b <= 122 else _DIGIT if 48 <= b <= 57 else
     _COMMA if b in b",;" else _GAP if b in b" \n" else _SEPARATOR if b == 0x7C else _CJK_LEAD if 0xE3 <= b <= 0xED else
     _LEAD if b >= 0xC0 else _OTHER
     for b in range(256)],
    dtype=np.uint8,
)
# Menu separators besides "|": middle dot and bullet.
_SEPARATORS = ("·".encode(), "•".encode())
_SENTENCE_END = frozenset(".!?…。！？")
_CLOSING = frozenset("\"'”’»)“«」")
# Separators between the parts of a page title ("Headline | Site", "Site - Headline").
_TITLE_SEPARATORS = " | ", " – ", " — ", " - ", " · ", " • ", " :: ", " » ", ": "



@dataclass(frozen=True)
class BlockTable:
    """Per-block measurements of a batch of pages, the blocks of all pages in order.

    ``features``: float64 ``(blocks, len(FEATURE_NAMES))``; ``hashes``: uint64 per
    block, the hash of its normalised form (``line_hashes``), 0 for a block without
    letters or digits; ``starts``: page ``k`` is rows ``starts[k]:starts[k + 1]``;
    ``headlines``: per page, its block (counted from the page's first) where the page
    title (the first block) reappears as the headline, -1 if it does not.
    ``word_keys``/``word_rows``: the words of every block for a learned lexicon
    (``cleanwire.boilerplate.model.Lexicon``), as the CRC-32 of each word in folded
    form (ASCII letters lower-cased, digits read as 0, split at ASCII punctuation) and
    of each block's first word once more with another start value, beside the row of
    the block it belongs to.
    """

    features: np.ndarray
    hashes: np.ndarray
    starts: np.ndarray
    headlines: tuple[int, ...]
    word_keys: np.ndarray
    word_rows: np.ndarray

    def page(self, k: int) -> slice:
        """The rows of page ``k``."""
        return slice(int(self.starts[k]), int(self.starts[k + 1]))


def page_bounds(starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For every row of a batch, the first and the last row of its page."""
    sizes = np.diff(starts)
    return np.repeat(starts[:-1], sizes), np.repeat(starts[1:] - 1, sizes)


def _hash_folded(lines: list[bytes]) -> np.ndarray:
    """64-bit hashes of folded lines without their spaces: the CRC-32 beside the length
    (two lines collide only with equal lengths and CRCs); 0 for an empty line."""
    crc = np.fromiter(map(zlib.crc32, lines), dtype=np.uint64, count=len(lines))
    length = np.fromiter(map(len, lines), dtype=np.uint64, count=len(lines))
    return np.where(length > 0, (length << np.uint64(32)) | crc, np.uint64(0))


def line_hashes(lines: list[str]) -> np.ndarray:
    """A 64-bit hash of each line's normalised form, for finding lines again.

    The normalised form is the line's letters, digits and non-ASCII characters, without
    spaces: ASCII letters lower-cased, every ASCII digit read as 0, other ASCII
    characters dropped (the menu separators ``·`` and ``•`` count as ASCII punctuation);
    so case, spacing, punctuation and numbers ("3 comments", "© 2024") do not make two
    lines different.  ``lines`` hold no newline.  The hash is the same in every process
    and run, and equals ``block_features``'s; it is 0 for a line without letters, digits
    or non-ASCII characters.
    """
    if not lines:
        return np.zeros(0, dtype=np.uint64)
    encoded = "\n".join(lines).encode("utf-8", "surrogatepass")
    for separator in _SEPARATORS:
        if separator in encoded:
            encoded = encoded.replace(separator, b"|")
    folded = encoded.translate(_FOLD)
    return _hash_folded(folded.translate(None, b" ").split(b"\n"))


# Sums over a batch are taken in integers of this many parts of a unit: exact, so a
# page's values never depend on the pages batched with it (float prefix sums would).
FIXED_POINT = float(1 << 20)


def segment_sums(values: np.ndarray) -> np.ndarray:
    """Exact prefix sums of ``values`` (last axis) with a leading 0, as int64 in units
    of ``1 / FIXED_POINT``; differences of them are sums over any range."""
    sums = np.zeros(values.shape[:-1] + (values.shape[-1] + 1,), dtype=np.int64)
    np.cumsum(np.rint(values * FIXED_POINT).astype(np.int64), axis=-1, out=sums[..., 1:])
    return sums


def window_mean(values: np.ndarray, radius: int, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Mean of ``values`` (one row per block, or a matrix of such rows) over each block's
    neighbours within ``radius`` lines and within its page (rows ``low`` to ``high``),
    the block itself excluded; 0 without neighbours."""
    index = np.arange(values.shape[-1])
    first, last = np.maximum(index - radius, low), np.minimum(index + radius, high)
    sums = segment_sums(values)
    inside = sums[..., last + 1] - sums[..., first] - (sums[..., index + 1] - sums[..., index])
    return inside / FIXED_POINT / np.maximum(last - first, 1)


def title_parts(title: str) -> list[str]:
    """A page title and its parts of two or more words: a page title is the headline,
    often with the site's name before or after it ("Headline | Site")."""
    parts = [title]
    for separator in _TITLE_SEPARATORS:
        if separator in title:
            parts += [part.strip() for part in title.split(separator) if " " in part.strip()]
    return parts


def _headline_index(title: str, hashes: list[int]) -> int:
    """Where the page title (the first block of a dump) reappears as the headline, or -1:
    the first later block equal to one of its ``title_parts``."""
    found = (set(line_hashes(title_parts(title)).tolist()) - {0}).intersection(hashes[1:])
    return min(hashes.index(value, 1) for value in found) if found else -1


def block_features(pages: list[list[str]]) -> BlockTable:
    """Features and hashes of every block of a batch of pages (see ``BlockTable``).

    Each page is a list of its non-empty lines in stored form (``normalize_text``; no
    newline inside a block), in page order.  Row ``k`` of the features depends on its
    block, the block's neighbours and its page's structure only, never on other pages:
    batching only spreads the cost of numpy's calls over more blocks.
    """
    blocks = list(chain.from_iterable(pages))
    sizes = np.fromiter(map(len, pages), dtype=np.int64, count=len(pages))
    starts = np.concatenate(([0], np.cumsum(sizes)))
    n = len(blocks)
    if n == 0:
        return BlockTable(
            np.zeros((0, len(FEATURE_NAMES))), np.zeros(0, dtype=np.uint64), starts, (-1,) * len(pages),
            np.zeros(0, dtype=np.uint32), np.zeros(0, dtype=np.int64),
        )
    # One bincount over the UTF-8 bytes gives the character counts of every block.
    # Bytes of non-ASCII characters count as letters; capitals are ASCII capitals.
    encoded = ("\n".join(blocks) + "\n").encode("utf-8", "surrogatepass")
    for separator in _SEPARATORS:  # counted as "|" (the bytes after them are not used)
        if separator in encoded:
            encoded = encoded.replace(separator, b"|")
    folded = encoded.translate(_FOLD)
    raw = np.frombuffer(encoded, dtype=np.uint8)
    word_byte = np.frombuffer(folded, dtype=np.uint8) > 32  # folded gaps are spaces and newlines
    word_start = word_byte.copy()
    word_start[1:] &= ~word_byte[:-1]
    codes = _BYTE_CLASS[raw] + word_start.view(np.uint8) * np.uint8(_WORD_START)
    block_of = np.cumsum(raw == 10) * _CODES  # a block's closing newline counts for the next one
    counts = np.bincount(block_of + codes, minlength=(n + 1) * _CODES)[: n * _CODES].reshape(n, _CODES)
    counts = counts.astype(np.float64)
    tokens = counts[:, _WORD_START:].sum(axis=1)
    upper_starts = counts[:, _WORD_START + _UPPER]
    uppers = counts[:, _UPPER] + upper_starts
    lowers = counts[:, _LOWER] + counts[:, _WORD_START + _LOWER]
    digits = counts[:, _DIGIT] + counts[:, _WORD_START + _DIGIT]
    cjk = counts[:, _CJK_LEAD] + counts[:, _WORD_START + _CJK_LEAD]
    non_ascii = cjk + counts[:, _LEAD] + counts[:, _WORD_START + _LEAD]
    copyright_sign = np.zeros(n, dtype=bool)
    if b"\xc2\xa9" in encoded:
        copyright_sign[block_of[np.flatnonzero((raw[1:] == 0xA9) & (raw[:-1] == 0xC2)) + 1] // _CODES] = True
    lengths = np.fromiter(map(len, blocks), dtype=np.float64, count=n)
    words = tokens + cjk / 2.0
    words_safe = np.maximum(words, 1.0)

    # Words, one dictionary look-up each: function words and cue words.
    # Only a block's first _LOOKED_UP words are looked up: they tell prose from chrome as
    # well as all of them, and long paragraphs hold a third of a page's words.
    word_list = folded.split()
    word_counts = tokens.astype(np.int64)
    first_word = np.cumsum(word_counts) - word_counts
    looked = np.minimum(word_counts, _LOOKED_UP)
    sample = word_list
    if looked.sum() < len(word_list):
        rank = np.arange(len(word_list)) - np.repeat(first_word, word_counts)
        sample = list(compress(word_list, (rank < _LOOKED_UP).tolist()))
    bits = np.fromiter(map(_LEXICON.get, sample, repeat(0)), dtype=np.int64, count=len(sample))
    first_looked = np.cumsum(looked) - looked
    has_words = word_counts > 0
    flags = np.zeros((len(_FLAG_BITS), n))
    if bits.size:
        matrix = (bits[None, :] & _FLAG_BITS[:, None]) != 0
        flags[:, has_words] = np.add.reduceat(matrix.view(np.uint8), first_looked[has_words], axis=1, dtype=np.int32)
    stops = flags[0]
    looked_safe = np.maximum(looked, 1.0)
    # Every word, for the learned lexicon (all of them: the first _LOOKED_UP alone
    # tell less, see docs/benchmarks.md); CRC-32 is one C call per word.
    first_words = [word_list[k] for k in first_word[has_words].tolist()]
    word_keys = np.concatenate((
        np.fromiter(map(zlib.crc32, word_list), dtype=np.uint32, count=len(word_list)),
        np.fromiter(map(zlib.crc32, first_words, repeat(_FIRST_WORD)), dtype=np.uint32, count=len(first_words)),
    ))
    word_rows = np.concatenate((np.repeat(np.arange(n), word_counts), np.flatnonzero(has_words)))

    # End-of-article headings: short blocks whose first word can open one.
    end_marker = np.zeros(n, dtype=bool)
    if bits.size:
        candidates = np.flatnonzero(has_words & (words <= 8))
        for k in candidates[(bits[first_looked[candidates]] & _END_HEAD) != 0].tolist():
            heading = b" ".join(word_list[first_word[k]:first_word[k] + word_counts[k]]).decode("utf-8", "replace")
            end_marker[k] = heading.startswith(END_MARKERS)

    # A block repeated on its page (menus at the top and the bottom), and the headline.
    hashes = _hash_folded(folded.translate(None, b" ").split(b"\n")[:n])
    hash_list = hashes.tolist()
    order = np.lexsort((hashes, np.repeat(np.arange(len(pages)), sizes)))
    twin = np.zeros(n + 1, dtype=bool)  # twin[k]: sorted row k equals sorted row k - 1
    twin[1:n] = (hashes[order][1:] == hashes[order][:-1]) & (np.diff(np.repeat(np.arange(len(pages)), sizes)[order]) == 0)
    repeated = np.zeros(n, dtype=bool)
    repeated[order] = (twin[:n] | twin[1:]) & (hashes[order] != 0)
    headlines = tuple(
        _headline_index(page[0], hash_list[start:start + len(page)]) if page else -1
        for page, start in zip(pages, starts[:-1].tolist())
    )
    last = list(map(itemgetter(-1), blocks))
    ends_sentence = np.fromiter(map(_SENTENCE_END.__contains__, last), dtype=bool, count=n)
    for k in np.flatnonzero(np.fromiter(map(_CLOSING.__contains__, last), dtype=bool, count=n)).tolist():
        ends_sentence[k] = len(blocks[k]) > 1 and blocks[k][-2] in _SENTENCE_END
    ends_colon = raw[np.flatnonzero(raw == 10) - 1] == 58
    first_symbol = ~np.fromiter(map(str.isalnum, map(itemgetter(0), blocks)), dtype=bool, count=n)

    low, high = page_bounds(starts)
    index = np.arange(n)
    local = index - low
    headline = np.repeat(np.array(headlines, dtype=np.int64), sizes)
    short = words <= 12
    log_words = np.log1p(words)
    stop_ratio = stops / looked_safe
    cues = {f"{cue}_{what}": column for cue, counted in zip(("cta", "legal", "time", "credit"), flags[1:5])
            for what, column in (("short", (counted > 0) & short), ("density", counted / looked_safe))}
    context = dict(zip(("ctx_log_words_2", "ctx_ends_sentence_2", "ctx_stop_ratio_2", "ctx_repeated_2"),
                       window_mean(np.vstack([log_words, ends_sentence, stop_ratio, repeated]), 2, low, high)))
    columns = {
        "bias": np.ones(n), "log_words": log_words, "log_chars": np.log1p(lengths), "words_le_2": words <= 2,
        "words_le_5": words <= 5, "words_le_10": words <= 10, "words_gt_25": words > 25, "stop_ratio": stop_ratio,
        "no_stopword": stops == 0, "ends_sentence": ends_sentence, "ends_colon": ends_colon,
        "upper_words": upper_starts / np.maximum(tokens, 1.0),
        "all_caps": (uppers >= 2) & (lowers == 0) & (non_ascii <= uppers / 4),
        "digits": digits / np.maximum(lengths, 1.0), "commas": counts[:, _COMMA] / words_safe,
        "separators": counts[:, _SEPARATOR] > 0, "first_symbol": first_symbol, **cues,
        "end_marker": end_marker, "copyright_sign": copyright_sign, "repeated": repeated,
        "position": local / np.maximum(high - low, 1), "headline": local == headline,
        "before_headline": local < headline, "no_headline": headline < 0, **context,
        "ctx_short_both": (np.concatenate(([True], short[:-1])) | (index == low))
        & (np.concatenate((short[1:], [True])) | (index == high)),
    }
    # The learned weights are stored by position: the columns must be FEATURE_NAMES, in order.
    assert tuple(columns) == FEATURE_NAMES, "block_features and FEATURE_NAMES disagree"
    features = np.empty((n, len(FEATURE_NAMES)))
    for j, column in enumerate(columns.values()):
        features[:, j] = column
    return BlockTable(features, hashes, starts, headlines, word_keys, word_rows)
