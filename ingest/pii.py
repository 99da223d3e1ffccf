"""One personal-data (PII) detector for every source: API spec fields, SQL columns and
inventory fields, so a field is judged the same wherever it is found.

``detect_pii`` reads a field's name (a column name, or a path such as
``items[].shipping_address.city``) and, when known, its type, format, description, the
dataset it belongs to and an explicit marking. It returns the category of personal data the
field holds, how sure that is and why, or None. See docs/pii.md.

The rules are data, not code: phrases per category (strong ones decide alone, weak ones
such as ``name`` or ``city`` need context saying whose field it is), context words, and the
words that turn a field into metadata *about* personal data (``email_sent_at``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from ingest.records import Classification

CATEGORIES = (
    "email",
    "phone",
    "name",
    "username",
    "address",
    "date_of_birth",
    "national_id",
    "financial_account",
    "payment_card",
    "ip_address",
    "device_id",
    "geolocation",
    "credentials",
    "demographic",
    "special_category",
    "salary",
    "personal",  # personal, category unknown: only from an explicit marking
)

_RESTRICTED = frozenset(
    {
        "date_of_birth",
        "national_id",
        "financial_account",
        "payment_card",
        "credentials",
        "special_category",
        "salary",
    }
)


@dataclass(frozen=True)
class PiiMatch:
    category: str  # one of CATEGORIES
    confidence: float  # in (0, 1]
    evidence: str  # why, for people: "name matches 'email'", "format: email", "x-pii: true"


def _set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# -- rule tables -----------------------------------------------------------------------------
# Phrases, comma-separated, are written as the tokeniser yields them: lower case, one space
# between words, digits dropped, abbreviations already expanded by _SYNONYMS ("addr").
_STRONG: dict[str, str] = {
    "email": "email, e mail, email address, mail address",
    "phone": (
        "phone, phone number, telephone, mobile number, mobile phone, cell phone, cellphone, "
        "cell number, msisdn, fax, landline, telefon"
    ),
    "name": (
        "first name, last name, given name, family name, full name, middle name, maiden name, "
        "nickname, nick name, surname, forename, fname, lname, vorname, nachname"
    ),
    "username": "user name, login name, screen name",
    "address": (
        "address, street, street address, street name, street number, house number, address line, "
        "zip, zip code, post code, postal code, postal address, po box, strasse, postleitzahl"
    ),
    "date_of_birth": (
        "dob, date of birth, birth date, birthday, birth day, birth year, year of birth, born on, "
        "geburtsdatum"
    ),
    "national_id": (
        "ssn, social security, social security number, national id, national identifier, "
        "national identity, national insurance, national insurance number, nin, nino, passport, "
        "tax id, tax identifier, tax number, tin, taxpayer id, driver license, driver licence, "
        "driving license, driving licence, id card, identity card, personnummer, aadhaar, cpf, "
        "nric, bsn, pesel"
    ),
    "financial_account": "iban, account number, bank account, bank details",
    "payment_card": (
        "pan, card number, credit card, debit card, cc number, cvv, cvc, card verification, "
        "card security code, primary account number"
    ),
    "ip_address": (
        "ip, ip address, ipv, ipv address, client ip, remote ip, remote address, source ip, "
        "user ip, x forwarded for, forwarded for"
    ),
    "device_id": (
        "device id, device identifier, idfa, idfv, gaid, aaid, advertising id, imei, imsi, udid, "
        "android id, mac address, push token, fcm token, apns token"
    ),
    "geolocation": (
        "latitude, longitude, lat, lng, lon, lat long, geolocation, geo location, gps, "
        "coordinates, coords, geo point, geohash"
    ),
    "credentials": (
        "password, passwd, pwd, passphrase, passcode, secret, client secret, api key, "
        "access token, refresh token, auth token, bearer token, id token, session token, "
        "private key, secret key, pin, pin code, otp, totp secret, security answer, "
        "recovery code"
    ),
    "demographic": (
        "gender, sex, marital status, nationality, citizenship, place of birth, birth place, "
        "birthplace, country of birth, birth country"
    ),
    "special_category": (
        "ethnicity, ethnic origin, religion, religious belief, sexual orientation, "
        "political opinion, political affiliation, trade union, union membership, "
        "health condition, health record, health data, medical, diagnosis, medication, allergy, "
        "disability, blood type, biometric, genetic"
    ),
    "salary": (
        "salary, wage, annual salary, base salary, gross salary, net salary, pay rate, compensation"
    ),
}

# Weak phrases: (context kind it needs, category it then means). Kinds: person / address /
# card / bank / phone / name come from context words; "date" from the type or format.
# Decision: a lone "city" is not personal (a store's city, a city dimension); under an
# address or a person it is.
_PLACE = (("address", "address"), ("person", "address"))
_ADDRESS_ONLY = (("address", "address"),)
_WEAK: dict[str, tuple[tuple[str, str], ...]] = {
    "name": (("person", "name"),),
    "display name": (("person", "name"),),
    "initials": (("person", "name"),),
    "first": (("name", "name"),),  # customer.name.first
    "last": (("name", "name"),),
    "given": (("name", "name"),),
    "family": (("name", "name"),),
    "middle": (("name", "name"),),
    "mail": (("person", "email"),),
    "mobile": (("person", "phone"),),
    "cell": (("person", "phone"),),
    "handle": (("person", "username"),),
    "number": (("card", "payment_card"), ("bank", "financial_account"), ("phone", "phone")),
    "security code": (("card", "payment_card"),),
    "city": _PLACE,
    "town": _PLACE,
    "line": _ADDRESS_ONLY,
    "state": _ADDRESS_ONLY,
    "province": _ADDRESS_ONLY,
    "region": _ADDRESS_ONLY,
    "county": _ADDRESS_ONLY,
    "district": _ADDRESS_ONLY,
    "apartment": _ADDRESS_ONLY,
    "apt": _ADDRESS_ONLY,
    "suite": _ADDRESS_ONLY,
    "building": _ADDRESS_ONLY,
    "location": (("person", "geolocation"),),
    "geo": (("person", "geolocation"),),
    "birth": (("date", "date_of_birth"),),
    "born": (("date", "date_of_birth"),),
    "age": (("person", "demographic"),),
}

# Context words: whose field it is, or what it is part of. A word may have several kinds.
_CONTEXT_KINDS: dict[str, str] = {
    "person": (
        "customer client contact person people user employee staff member patient recipient "
        "sender holder cardholder owner buyer applicant guest passenger traveler traveller "
        "student driver beneficiary payee payer subscriber consumer lead prospect candidate "
        "visitor shopper author profile individual citizen resident manager spouse kin "
        "emergency personal signer signatory insured policyholder consignee addressee"
    ),
    # Things that are not people: their names, addresses and places are not personal data.
    "nonperson": (
        "product sku company organisation organization org business merchant "
        "vendor supplier store shop warehouse office branch site facility venue depot campaign "
        "file host server domain table column field schema database db app application "
        "service brand category event project team department plan tier bucket queue "
        "topic role group job task country currency language tag label template report "
        "dashboard metric feature model device browser os platform package repo repository "
        "commit image container pod cluster node zone variable param parameter property "
        "attribute key folder directory page document doc asset account carrier airline "
        "airport hotel school university hospital bank insurer provider partner sponsor "
        "channel source segment stage step workflow pipeline process rule policy contract "
        "city"
    ),
    "address": "address billing shipping delivery home residential residence mailing postal",
    "card": "card credit debit cc",
    "bank": "bank banking iban",
    "phone": "phone telephone mobile cell fax",
    "name": "name",
}

# Words that, after the matched phrase, make the field metadata about personal data rather
# than the data itself: email_sent_at, phone_type, ip_protocol, zip_file, address_id.
_AFTER_NEGATIVE = _set(
    """at ts date time timestamp datetime day sent received opened clicked bounced delivered
    verified verification valid validated validation confirmed confirmation changed updated
    created modified deleted expires expiry expiration exp count total length len size max min
    type kind status category format template pattern regex policy setting settings config
    preference preferences consent opt optin optout opted subscribed unsubscribed enabled
    disabled required visible flag id ids uuid guid key ref fk pk file path url uri country
    currency language locale timezone label hint placeholder field column version source
    provider domain mode method frequency error reason code service server host range check
    prefix suffix list allowlist whitelist blocklist blacklist subject body content html
    template campaign smtp notification notifications"""
)
_AFTER_NEGATIVE_BY_CATEGORY: dict[str, frozenset[str]] = {
    "phone": frozenset({"carrier", "extension"}),
    "ip_address": frozenset(
        {"protocol", "pool", "subnet", "cidr", "mask", "netmask", "family", "rule", "gateway"}
    ),
    "payment_card": frozenset({"brand", "network", "scheme", "issuer", "token", "bin", "last"}),
    "credentials": frozenset({"name", "strength", "reset", "rotation", "arn", "attempt"}),
    "geolocation": frozenset({"accuracy", "precision", "radius"}),
}
# Words before the phrase that make it a flag or a count: is_email_verified, num_emails.
_BEFORE_NEGATIVE = _set(
    "is has can should allow allowed enable disable verify validate hide show number count "
    "total max min"
)
# Identifier words that belong to the phrase before them: passport_id, phone_number.
_TAILS: dict[str, frozenset[str]] = {
    "national_id": frozenset({"number", "id", "identifier"}),
    "device_id": frozenset({"number", "id"}),
    "payment_card": frozenset({"number"}),
    "financial_account": frozenset({"number"}),
    "phone": frozenset({"number"}),
}
# fmt: off
_SYNONYMS = {
    "addr": "address", "adr": "address", "num": "number", "nbr": "number", "nr": "number",
    "no": "number", "acct": "account", "dt": "date", "tel": "phone",
}
_FORMATS = {
    "email": "email", "idn-email": "email", "ipv4": "ip_address", "ipv6": "ip_address",
    "password": "credentials", "iban": "financial_account", "phone": "phone", "tel": "phone",
}
# fmt: on
_DATE_FORMATS = frozenset({"date", "date-time", "datetime", "time"})
_NUMBER_FORMATS = frozenset({"int32", "int64", "float", "double", "decimal"})
_TYPE_KINDS = {
    **dict.fromkeys(("boolean", "bool", "bit"), "bool"),
    **dict.fromkeys(
        _set(
            "integer int int2 int4 int8 int32 int64 bigint smallint tinyint number numeric "
            "decimal float float4 float8 double real"
        ),
        "number",
    ),
    **dict.fromkeys(
        _set("date datetime datetime2 smalldatetime timestamp timestamptz time timetz"), "date"
    ),
}
# A number cannot hold these; a date holds nothing but a birth date.
_NOT_NUMBERS = frozenset({"email", "name", "username"})
# Names, addresses and places of things that are not people are not personal data.
_OWNED = frozenset({"name", "address", "geolocation"})
_TRUE = frozenset({"true", "yes", "y"})
_FALSE = frozenset({"false", "no", "n", "none"})
_SPLIT_PATH = re.compile(r"[.\[\]/]+")
# camelCase, ACRONYMWords, snake_case, kebab-case; digits separate words and are dropped.
_TOKEN = re.compile(r"[A-Z]+(?![^\W\d_A-Z])|[A-Z]?[^\W\d_A-Z]+")
_DESCRIPTION_WORD = re.compile(r"[^\W\d_]+")

PhraseKey = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Phrase:
    text: str
    options: tuple[tuple[str | None, str], ...]  # (context kind needed or None, category)


def _phrase_table() -> dict[PhraseKey, _Phrase]:
    table: dict[PhraseKey, _Phrase] = {}
    for category, phrases in _STRONG.items():
        for text in phrases.split(","):
            table[tuple(text.split())] = _Phrase(text.strip(), ((None, category),))
    for text, options in _WEAK.items():
        table[tuple(text.split())] = _Phrase(text, options)
    return table


def _context_table() -> dict[str, frozenset[str]]:
    kinds: dict[str, set[str]] = {}
    for kind, words in _CONTEXT_KINDS.items():
        for word in words.split():
            kinds.setdefault(word, set()).add(kind)
    return {word: frozenset(found) for word, found in kinds.items()}


_PHRASES = _phrase_table()
_LONGEST = max(map(len, _PHRASES))
_CONTEXT = _context_table()
_VOCABULARY = frozenset(
    {word for key in _PHRASES for word in key}
    | set(_CONTEXT)
    | _AFTER_NEGATIVE
    | _BEFORE_NEGATIVE
    | {word for words in _AFTER_NEGATIVE_BY_CATEGORY.values() for word in words}
    | {word for text in _SYNONYMS.values() for word in text.split()}
)


# -- public API ------------------------------------------------------------------------------


def detect_pii(
    name: str,
    *,
    type: str | None = None,
    format: str | None = None,
    description: str | None = None,
    explicit: object = None,
    context: str | None = None,
) -> PiiMatch | None:
    """The personal data ``name`` holds, or None.

    ``name``: a field or column name, or a path (``customer.email``): the last segment says
    what the field is, the segments before it (then ``context``, the dataset or table name,
    then ``description``) say whose it is. ``type``: the spec or SQL type (``boolean``,
    ``integer``, ``timestamp``...); ``format``: the OpenAPI format.

    ``explicit`` is the marking a person wrote (``x-pii``, an inventory's PII cell) and wins
    with confidence 1.0: True (or "true"/"yes") -> the detected category, else "personal";
    False (or "false"/"no"/"none") -> None; a category or a phrase naming one
    ("bank_account") -> that category, else "personal". Other values (None, numbers, lists)
    mark nothing. ``x-classification`` is the caller's: it sets the classification only.
    """
    if isinstance(explicit, bool) or (isinstance(explicit, str) and explicit.strip()):
        return _explicit(explicit, str(name))
    args = (str(name), _text(type), _text(format), _text(context))
    match, wants_description = _detect(*args)
    if wants_description and _text(description):
        # Descriptions are nearly all different: reading one is left out of the cache.
        return _compute(*args, description)[0]
    return match


def pii_properties(
    name: str, *, type: str | None = None, context: str | None = None
) -> dict[str, object]:
    """The PII properties of a ``Field`` record for a column or inventory field that carries
    no marking of its own: the detected category, confidence, evidence and classification,
    or nothing."""
    match = detect_pii(name, type=type, context=context)
    if match is None:
        return {}
    return {
        "pii_category": match.category,
        "pii_confidence": match.confidence,
        "pii_evidence": match.evidence,
        "classification": classification_for(match.category),
    }


def classification_for(category: str) -> str:
    """The project classification (``Classification``) for a PII category: ``restricted``
    for data whose leak harms a person directly, ``confidential`` for other personal data."""
    known = _category_of(category)
    return Classification.RESTRICTED if known in _RESTRICTED else Classification.CONFIDENTIAL


# -- explicit markings -----------------------------------------------------------------------


def _explicit(value: bool | str, name: str) -> PiiMatch | None:
    word = value.strip().casefold() if isinstance(value, str) else value
    if word is False or word in _FALSE:
        return None
    evidence = f"x-pii: {str(value).lower() if isinstance(value, bool) else value}"
    if word is True or word in _TRUE:
        found = _detect(name, None, None, None)[0]
        return PiiMatch(found.category if found else "personal", 1.0, evidence)
    return PiiMatch(_category_of(value), 1.0, evidence)


@lru_cache(maxsize=256)
def _category_of(text: str) -> str:
    """A category named by ``text``: itself, or what a field of that name would hold
    ("bank_account" -> financial_account); "personal" when it names none."""
    key = re.sub(r"[\s-]+", "_", text.strip().casefold())
    if key in CATEGORIES:
        return key
    found = _detect(text, None, None, None)[0]
    return found.category if found else "personal"


# -- detection -------------------------------------------------------------------------------


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


Outcome = tuple[PiiMatch | None, bool]  # the match; whether a description could change it


@lru_cache(maxsize=1 << 16)
def _detect(name: str, type_: str | None, format_: str | None, context: str | None) -> Outcome:
    return _compute(name, type_, format_, context, None)


def _compute(
    name: str, type_: str | None, format_: str | None, context: str | None, description: str | None
) -> Outcome:
    fmt = format_.strip().casefold() if format_ else None
    kind = _value_kind(type_, fmt)
    if kind == "bool":
        return None, False  # a flag about personal data is not the data: is_email_verified
    if fmt in _FORMATS:
        return PiiMatch(_FORMATS[fmt], 0.95, f"format: {format_}"), False
    shown_type = None if fmt in _DATE_FORMATS else type_
    ctx = _Context(kind, shown_type, context, description, [])
    found = _match_name(_path(name), ctx)
    if found and fmt in _DATE_FORMATS and found.category == "date_of_birth":
        found = PiiMatch(found.category, 0.95, f"format: {format_}, {found.evidence}")
    return found, bool(ctx.unresolved)


@lru_cache(maxsize=1024)
def _value_kind(type_: str | None, fmt: str | None) -> str:
    if fmt in _DATE_FORMATS:
        return "date"
    if fmt in _NUMBER_FORMATS:
        return "number"
    head = re.match(r"\s*([A-Za-z0-9_]+)", type_ or "")
    return _TYPE_KINDS.get(head.group(1).lower(), "text") if head else "text"


Segment = tuple[str, tuple[str, ...]]  # (as written, its words)


@lru_cache(maxsize=1 << 14)
def _path(name: str) -> tuple[Segment, ...]:
    pieces = (piece.strip() for piece in _SPLIT_PATH.split(name))
    return tuple((piece, words) for piece in pieces if (words := _segment_words(piece)))


@lru_cache(maxsize=1 << 14)
def _segment_words(segment: str) -> tuple[str, ...]:
    return tuple(word for token in _TOKEN.findall(segment) for word in _words(token))


@lru_cache(maxsize=1 << 14)
def _words(token: str) -> tuple[str, ...]:
    """A token's words: itself if known, its singular, or known words it is made of
    ("emailaddress", "firstname"); abbreviations expanded."""
    word = token.casefold()
    known = _known(word)
    if known is not None:
        return known
    parts = _split_compound(word) if 3 < len(word) <= 40 else None
    if parts is None:
        return (word,)
    return tuple(w for part in parts for w in _known(part) or (part,))


def _known(word: str) -> tuple[str, ...] | None:
    for candidate in (word, *_singulars(word)):
        if candidate in _SYNONYMS:
            return tuple(_SYNONYMS[candidate].split())
        if candidate in _VOCABULARY:
            return (candidate,)
    return None


def _singulars(word: str) -> Iterator[str]:
    if word.endswith("ies"):
        yield word[:-3] + "y"
    if word.endswith("es"):
        yield word[:-2]
    if word.endswith("s"):
        yield word[:-1]


def _split_compound(word: str) -> list[str] | None:
    """The fewest known words (two letters or more) that spell ``word``, or None."""
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(2, len(word) + 1):
        for start in range(max(0, end - 20), end - 1):
            before = best[start]
            piece = word[start:end]
            if before is None or _known(piece) is None:
                continue
            if best[end] is None or len(before) + 1 < len(best[end]):
                best[end] = [*before, piece]
    return best[-1]


# -- matching a name -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    kind: str  # the value's kind: text / number / date
    type_: str | None  # shown as evidence when the type, not the format, says "date"
    context: str | None
    description: str | None
    unresolved: list[str]  # weak phrases that found no context before the description


@dataclass(frozen=True, slots=True)
class _Span:
    start: int
    end: int
    phrase: _Phrase


def _match_name(path: tuple[Segment, ...], ctx: _Context) -> PiiMatch | None:
    """The head (rightmost phrase that holds in its context) decides; words around it may
    turn it into metadata."""
    if not path:
        return None
    words = path[-1][1]
    for span in reversed(_spans(words)):
        found = _resolve(span, path, ctx)
        if found is None:
            continue
        match, end = found
        return None if _negated(match.category, words, span.start, end) else match
    return None


@lru_cache(maxsize=1 << 14)
def _spans(words: tuple[str, ...]) -> tuple[_Span, ...]:
    """Known phrases left to right, longest first at each position, not overlapping."""
    spans: list[_Span] = []
    i = 0
    while i < len(words):
        for end in range(min(len(words), i + _LONGEST), i, -1):
            phrase = _PHRASES.get(words[i:end])
            if phrase is not None:
                spans.append(_Span(i, end, phrase))
                i = end
                break
        else:
            i += 1
    return tuple(spans)


def _resolve(span: _Span, path: tuple[Segment, ...], ctx: _Context) -> tuple[PiiMatch, int] | None:
    """The match a phrase makes here and where its words end, or None."""
    words = path[-1][1]
    for need, category in span.phrase.options:
        if not _kind_allows(ctx.kind, category):
            continue
        if category in _OWNED and _owner(span, path, ctx)[0] == "nonperson":
            continue
        if need is None:
            end = _tail_end(category, words, span.end)
            whole = span.start == 0 and end == len(words)
            verb = "matches" if whole else "contains"
            evidence = f"name {verb} '{' '.join(words[span.start : end])}'"
            return PiiMatch(category, 0.9 if whole else 0.75, evidence), end
        found = _needed(need, span, path, ctx)
        if found is not None:
            return PiiMatch(category, *found), span.end
    return None


def _kind_allows(kind: str, category: str) -> bool:
    if kind == "date":
        return category == "date_of_birth"
    return kind != "number" or category not in _NOT_NUMBERS


def _needed(need: str, span: _Span, path: tuple[Segment, ...], ctx: _Context) -> tuple | None:
    """(confidence, evidence) when the context a weak phrase needs is there."""
    text = span.phrase.text
    if need == "date":
        if ctx.kind != "date":
            return None
        return 0.75, f"name contains '{text}'" + (f", type {ctx.type_}" if ctx.type_ else "")
    if need == "person":
        owner, where, label = _owner(span, path, ctx, described=True)
        if owner == "person":
            return _evidence(text, where, label)
        if not owner:
            ctx.unresolved.append(text)
        return None
    for where, label, words in _surroundings(span, path, ctx, described=True):
        for word in words:
            if need in _CONTEXT.get(word, ()):
                return _evidence(text, where, word if where in _BY_WORD else label)
    ctx.unresolved.append(text)
    return None


def _evidence(text: str, where: str, label: str) -> tuple[float, str]:
    if where == "segment":
        return 0.75, f"name contains '{text}' with '{label}'"
    if where == "parent":
        return 0.6, f"name matches '{text}' under '{label}'"
    if where == "context":
        return 0.6, f"name matches '{text}' in context '{label}'"
    return 0.6, f"name matches '{text}', description mentions '{label}'"


def _owner(
    span: _Span, path: tuple[Segment, ...], ctx: _Context, *, described: bool = False
) -> tuple[str, str, str]:
    """Whose field it is: the nearest person or non-person word before the phrase, then in
    the parent segments and the context: (kind or "", where, word). The description may
    only say it is a person's: it never takes a strong match away."""
    for where, label, words in _surroundings(span, path, ctx, described=described):
        for word in words:
            kinds = _CONTEXT.get(word, ())
            for owner in ("person", "nonperson"):
                if owner in kinds:
                    return owner, where, word if where in _BY_WORD else label
    return "", "", ""


_BY_WORD = ("segment", "description")  # evidence names the word, not the whole segment


def _surroundings(
    span: _Span, path: tuple[Segment, ...], ctx: _Context, *, described: bool
) -> Iterator[tuple[str, str, Iterable[str]]]:
    """Context words, nearest first: (where, label, words)."""
    before = path[-1][1][: span.start]
    yield "segment", "", reversed(before)
    for raw, words in reversed(path[:-1]):
        yield "parent", raw, reversed(words)
    if ctx.context:
        words = [w for _, seg in _path(ctx.context) for w in seg]
        yield "context", ctx.context, reversed(words)
    if described and ctx.description:
        yield "description", "", _description_words(ctx.description)


@lru_cache(maxsize=64)
def _description_words(description: str) -> tuple[str, ...]:
    # The first context word of "Full name of the customer" says whose; later ones rarely do.
    found = (_known(w.casefold()) for w in _DESCRIPTION_WORD.findall(description[:300]))
    return tuple(words[0] for words in found if words and words[0] in _CONTEXT)


def _tail_end(category: str, words: tuple[str, ...], end: int) -> int:
    tails = _TAILS.get(category, frozenset())
    while end < len(words) and words[end] in tails:
        end += 1
    return end


def _negated(category: str, words: tuple[str, ...], start: int, end: int) -> bool:
    extra = _AFTER_NEGATIVE_BY_CATEGORY.get(category, frozenset())
    after = words[end:]
    return any(w in _AFTER_NEGATIVE or w in extra for w in after) or any(
        w in _BEFORE_NEGATIVE for w in words[:start]
    )
