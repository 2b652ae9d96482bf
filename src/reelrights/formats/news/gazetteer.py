"""The word lists deal news is read with: media phrases, places, currencies, descriptors.

Each list maps the trade press's words onto reelrights codes (docs/semantics.md rule 23):
media phrases onto the leaf and group codes of the media taxonomy, place names onto ISO
3166-1 alpha-2 countries (pycountry's names and common names, plus the press's own short
forms) or UN M49 region codes, currency words and signs onto ISO 4217 codes. Everything is
data, read offline; nothing here is downloaded.

>>> media_code("subscription video-on-demand")
'SVOD'
>>> PLACES["mainland china"], PLACES["southeast asia"]
(('CN',), ('SOUTH_EASTERN_ASIA',))
"""

from __future__ import annotations

import re
from functools import cache

import pycountry

# -- media -----------------------------------------------------------------------------------

# Phrase (lower case, a regex fragment) -> media code. Longer phrases win over shorter ones
# that they contain ("subscription streaming" over "streaming").
MEDIA_PHRASES: tuple[tuple[str, str], ...] = (
    (r"subscription video[- ]on[- ]demand", "SVOD"),
    (r"subscription streaming", "SVOD"),
    (r"subscription (?:service|tier|platform)", "SVOD"),
    (r"svod", "SVOD"),
    (r"ad[- ]supported (?:streaming|video[- ]on[- ]demand|tier|service)", "AVOD"),
    (r"avod", "AVOD"),
    (r"free ad[- ]supported streaming", "FVOD"),
    (r"free streaming", "FVOD"),
    (r"fvod", "FVOD"),
    (r"transactional video[- ]on[- ]demand", "TVOD"),
    (r"transactional", "TVOD"),
    (r"tvod", "TVOD"),
    (r"pay[- ]per[- ]view", "TVOD"),
    (r"electronic sell[- ]through", "EST"),
    (r"download[- ]to[- ]own", "EST"),
    (r"digital download", "EST"),
    (r"home entertainment", "HOME_ENTERTAINMENT"),
    (r"home video", "HOME_ENTERTAINMENT"),
    (r"dvd", "PHYSICAL"),
    (r"blu[- ]ray", "PHYSICAL"),
    (r"physical", "PHYSICAL"),
    (r"online (?:distributor|distribution|rights|platform rights)", "ONLINE"),
    (r"digital rights", "ONLINE"),
    (r"digital distribution", "ONLINE"),
    (r"internet rights", "ONLINE"),
    (r"video[- ]on[- ]demand", "ONLINE"),
    (r"streaming", "STREAMING"),
    (r"(?:will |to )stream", "STREAMING"),
    (r"pay[- ]tv", "PAY_TV"),
    (r"pay television", "PAY_TV"),
    (r"premium cable", "PAY_TV"),
    (r"free[- ]to[- ]air", "FREE_TV"),
    (r"free[- ]tv", "FREE_TV"),
    (r"free television", "FREE_TV"),
    (r"terrestrial", "FREE_TV"),
    (r"basic cable", "BASIC_TV"),
    (r"basic tv", "BASIC_TV"),
    (
        r"(?<!pay-)(?<!pay )(?<!free-)(?<!free )(?<!basic )(?:tv|television|broadcast) rights",
        "TELEVISION",
    ),
    (r"(?:for|on) television", "TELEVISION"),
    (r"non[- ]theatrical", "NON_THEATRICAL"),
    (r"in[- ]flight", "NON_THEATRICAL"),
    (
        r"theatrical(?! releases?| films?| slate| features?| output| catalogue| catalog)",
        "THEATRICAL",
    ),
    (r"merchandising", "MERCHANDISING"),
    (r"merchandise", "MERCHANDISING"),
    (r"consumer products", "MERCHANDISING"),
    (r"brand licensing", "BRAND_LICENSING"),
    (r"e-?commerce", "ECOMMERCE"),
    (r"publishing", "PUBLISHING"),
    (r"book rights", "PUBLISHING"),
    (r"soundtrack", "SOUNDTRACK"),
    (r"music rights", "SOUNDTRACK"),
    (r"advertising", "ADVERTISING"),
    (r"marketing", "MARKETING"),
    (r"promotion(?:al)?", "PROMOTION"),
    (r"remake", "REMAKE"),
    (r"sequel", "SEQUEL"),
    (r"all media", "ALL_MEDIA"),
    (r"all rights", "ALL_MEDIA"),
    (
        r"all (?:u\.s\.|uk|[a-z]+an|[a-z]+ish|french|dutch|chinese|japanese|korean) rights",
        "ALL_MEDIA",
    ),
)

# Acronyms that are media codes only in capitals ("EST", not the word "est").
MEDIA_ACRONYMS: dict[str, str] = {"EST": "EST"}


def media_code(phrase: str) -> str | None:
    """The media code of one phrase as written, or None."""
    match = _ANY_MEDIUM.fullmatch(phrase.strip().lower())
    if match is not None and match.lastgroup is not None:
        return MEDIA_PHRASES[int(match.lastgroup[1:])][1]
    return MEDIA_ACRONYMS.get(phrase.strip())


_ANY_MEDIUM = re.compile("|".join(f"(?P<m{i}>{p})" for i, (p, _) in enumerate(MEDIA_PHRASES)))


# -- places ----------------------------------------------------------------------------------

# The press's short forms and regions (lower case) -> territory codes.
PLACE_ALIASES: dict[str, tuple[str, ...]] = {
    "u.s.": ("US",),
    "us": ("US",),
    "usa": ("US",),
    "the united states": ("US",),
    "america": ("US",),
    "uk": ("GB",),
    "u.k.": ("GB",),
    "britain": ("GB",),
    "great britain": ("GB",),
    "england": ("GB",),
    "korea": ("KR",),
    "south korea": ("KR",),
    "mainland china": ("CN",),
    "china": ("CN",),
    "taiwan": ("TW",),
    "hong kong": ("HK",),
    "macau": ("MO",),
    "macao": ("MO",),
    "russia": ("RU",),
    "vietnam": ("VN",),
    "turkey": ("TR",),
    "czech republic": ("CZ",),
    "holland": ("NL",),
    "worldwide": ("WORLD",),
    "global": ("WORLD",),
    "globally": ("WORLD",),
    "the world": ("WORLD",),
    "all territories": ("WORLD",),
    "north america": ("CA", "US"),
    # the trade's "Australia and New Zealand" is the two countries, not the M49 region
    # (which adds Christmas Island, the Cocos Islands, Heard and Norfolk Island)
    "australia and new zealand": ("AU", "NZ"),
    "greater china": ("CN", "HK", "MO", "TW"),
    "the nordics": ("DK", "FI", "IS", "NO", "SE"),
    "nordics": ("DK", "FI", "IS", "NO", "SE"),
    "the nordic countries": ("DK", "FI", "IS", "NO", "SE"),
    "nordic region": ("DK", "FI", "IS", "NO", "SE"),
    "scandinavia": ("DK", "NO", "SE"),
    "benelux": ("BE", "LU", "NL"),
    "dach": ("AT", "CH", "DE"),
    "german-speaking europe": ("AT", "CH", "DE"),
    "german-speaking territories": ("AT", "CH", "DE"),
    "southeast asia": ("SOUTH_EASTERN_ASIA",),
    "south-east asia": ("SOUTH_EASTERN_ASIA",),
    "south east asia": ("SOUTH_EASTERN_ASIA",),
    "latin america": ("LATIN_AMERICA_AND_THE_CARIBBEAN",),
    "sub-saharan africa": ("SUB_SAHARAN_AFRICA",),
}

# M49 region names as the press writes them (lower case) -> region codes.
REGIONS: dict[str, str] = {
    "africa": "AFRICA",
    "asia": "ASIA",
    "europe": "EUROPE",
    "oceania": "OCEANIA",
    "eastern europe": "EASTERN_EUROPE",
    "western europe": "WESTERN_EUROPE",
    "northern europe": "NORTHERN_EUROPE",
    "southern europe": "SOUTHERN_EUROPE",
    "east asia": "EASTERN_ASIA",
    "eastern asia": "EASTERN_ASIA",
    "south asia": "SOUTHERN_ASIA",
    "southern asia": "SOUTHERN_ASIA",
    "central asia": "CENTRAL_ASIA",
    "western asia": "WESTERN_ASIA",
    "south america": "SOUTH_AMERICA",
    "central america": "CENTRAL_AMERICA",
    "the caribbean": "CARIBBEAN",
    "caribbean": "CARIBBEAN",
    "north africa": "NORTHERN_AFRICA",
    "northern africa": "NORTHERN_AFRICA",
    "west africa": "WESTERN_AFRICA",
    "east africa": "EASTERN_AFRICA",
    "southern africa": "SOUTHERN_AFRICA",
}

# Adjectives of place, usable as a territory only right before the word "rights"
# ("U.S. rights", "all Italian rights", "North American rights").
DEMONYMS: dict[str, tuple[str, ...]] = {
    "american": ("US",),
    "north american": ("CA", "US"),
    "latin american": ("LATIN_AMERICA_AND_THE_CARIBBEAN",),
    "british": ("GB",),
    "french": ("FR",),
    "german": ("DE",),
    "italian": ("IT",),
    "spanish": ("ES",),
    "chinese": ("CN",),
    "japanese": ("JP",),
    "korean": ("KR",),
    "south korean": ("KR",),
    "indian": ("IN",),
    "australian": ("AU",),
    "canadian": ("CA",),
    "brazilian": ("BR",),
    "mexican": ("MX",),
    "turkish": ("TR",),
    "dutch": ("NL",),
    "polish": ("PL",),
    "russian": ("RU",),
    "nordic": ("DK", "FI", "IS", "NO", "SE"),
    "scandinavian": ("DK", "NO", "SE"),
    "european": ("EUROPE",),
    "asian": ("ASIA",),
    "african": ("AFRICA",),
    "u.s.": ("US",),
    "us": ("US",),
    "uk": ("GB",),
    "u.k.": ("GB",),
}

# Nationality and origin words that qualify a company or a title, never name one.
NATIONALITIES: frozenset[str] = frozenset(
    {
        *(d for d in DEMONYMS if " " not in d and "." not in d),
        "danish",
        "swedish",
        "norwegian",
        "finnish",
        "belgian",
        "swiss",
        "austrian",
        "thai",
        "vietnamese",
        "indonesian",
        "filipino",
        "malaysian",
        "singaporean",
        "taiwanese",
        "nigerian",
        "egyptian",
        "saudi",
        "emirati",
        "israeli",
        "irish",
        "portuguese",
        "argentine",
        "argentinian",
        "colombian",
        "chilean",
        "peruvian",
        "greek",
        "czech",
        "hungarian",
        "romanian",
        "ukrainian",
        "arab",
        "telugu",
        "tamil",
        "hindi",
        "bollywood",
        "pan-asian",
        "pan-european",
        "regional",
    }
)


@cache
def country_names() -> dict[str, tuple[str, ...]]:
    """Every country name pycountry knows (name, common and official names), lower case,
    plus :data:`PLACE_ALIASES` and :data:`REGIONS`."""
    names: dict[str, tuple[str, ...]] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value and "," not in value:
                names[value.lower()] = (country.alpha_2,)
                if value.lower().startswith("the "):
                    names[value.lower()[4:]] = (country.alpha_2,)
    names.update(PLACE_ALIASES)
    for name, code in REGIONS.items():
        names[name] = (code,)
    return names


PLACES = country_names()

# -- money -----------------------------------------------------------------------------------

# Signs and words (as written; words matched case-insensitively) -> ISO 4217.
CURRENCY_SIGNS: dict[str, str] = {
    "US$": "USD",
    "$": "USD",
    "A$": "AUD",
    "C$": "CAD",
    "CA$": "CAD",
    "HK$": "HKD",
    "NT$": "TWD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₩": "KRW",
    "₹": "INR",
    "Rs": "INR",
    "Rs.": "INR",
    "RMB": "CNY",
}
CURRENCY_WORDS: dict[str, str] = {
    "dollars": "USD",
    "euros": "EUR",
    "euro": "EUR",
    "pounds": "GBP",
    "yen": "JPY",
    "yuan": "CNY",
    "renminbi": "CNY",
    "won": "KRW",
    "rupees": "INR",
}
MULTIPLIERS: dict[str, int] = {
    "thousand": 1_000,
    "k": 1_000,
    "lakh": 100_000,
    "million": 1_000_000,
    "mn": 1_000_000,
    "m": 1_000_000,
    "crore": 10_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
}


@cache
def currency_codes() -> frozenset[str]:
    """ISO 4217 alphabetic codes (pycountry)."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)


# -- words around names ----------------------------------------------------------------------

# Words that describe a party before its name ("streaming service Britbox Plus"): skipped
# when reading the name. Those in BUYER_WORDS mark the party as the one receiving rights.
BUYER_WORDS: frozenset[str] = frozenset(
    {
        "broadcaster",
        "streamer",
        "platform",
        "service",
        "channel",
        "network",
        "site",
        "distributor",
        "exhibitor",
        "operator",
        "maker",
        "publisher",
        "investor",
        "fund",
        "telco",
        "airline",
        "buyer",
        "label",
    }
)
SELLER_WORDS: frozenset[str] = frozenset(
    {"producer", "studio", "agent", "seller", "company", "outfit", "banner", "creator"}
)
DESCRIPTOR_WORDS: frozenset[str] = (
    BUYER_WORDS
    | SELLER_WORDS
    | frozenset(
        {
            "the",
            "a",
            "an",
            "its",
            "their",
            "video",
            "streaming",
            "online",
            "sales",
            "production",
            "film",
            "tv",
            "toy",
            "investment",
            "media",
            "giant",
            "group",
            "local",
            "public",
            "commercial",
            "pay-tv",
            "cable",
            "satellite",
            "subscription",
            "leading",
            "independent",
            "indie",
            "regional",
            "rights",
            "holder",
            "entertainment",
            "music",
            "record",
            "ad-supported",
            "free-to-air",
        }
    )
)

MONTHS: dict[str, int] = {
    name: i
    for i, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
}
NUMBER_WORDS: dict[str, int] = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
}

# Capitalised words that start sentences or clauses but never a company name.
NOT_NAMES: frozenset[str] = frozenset(
    {
        "in",
        "at",
        "under",
        "separately",
        "meanwhile",
        "also",
        "and",
        "but",
        "while",
        "after",
        "as",
        "on",
        "for",
        "with",
        "from",
        "to",
        "this",
        "that",
        "these",
        "it",
        "its",
        "he",
        "she",
        "they",
        "we",
        "financial",
        "terms",
        "production",
        "return",
        "additionally",
        "elsewhere",
        "earlier",
        "today",
        "yesterday",
        "last",
        "next",
        *MONTHS,
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    }
)
