"""UN M49 regions and their member countries, as hdx-python-country's offline data has them.

Copied from :func:`reelrights.domain.territories.m49_from_hdx` (do not edit by hand):
reading them from hdx takes over a second a process (it loads its CSV through
frictionless), which every fresh ``reelrights`` command paid before its first answer.
``tests/domain/test_m49.py`` checks that this table still equals what the installed
hdx-python-country says, and prints the table to paste here when it does not.
"""

# M49 number: (NAME, member alpha-2 codes), in hdx's order.
REGIONS: dict[int, tuple[str, str]] = {
    142: (
        "ASIA",
        (
            "AE AF AM AZ BD BH BN BT CN CY GE HK ID IL IN IQ IR JO JP KG KH KP KR KW KZ LA LB "
            "LK MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE"
        ),
    ),
    34: (
        "SOUTHERN_ASIA",
        ("AF BD BT IN IR LK MV NP PK"),
    ),
    150: (
        "EUROPE",
        (
            "AD AL AT AX BA BE BG BY CH CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT "
            "JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA"
        ),
    ),
    154: (
        "NORTHERN_EUROPE",
        ("AX DK EE FI FO GB GG IE IM IS JE LT LV NO SE SJ"),
    ),
    39: (
        "SOUTHERN_EUROPE",
        ("AD AL BA ES GI GR HR IT ME MK MT PT RS SI SM VA"),
    ),
    2: (
        "AFRICA",
        (
            "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW IO KE KM LR "
            "LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TF TG TN "
            "TZ UG YT ZA ZM ZW"
        ),
    ),
    15: (
        "NORTHERN_AFRICA",
        ("DZ EG EH LY MA SD TN"),
    ),
    9: (
        "OCEANIA",
        ("AS AU CC CK CX FJ FM GU HM KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS"),
    ),
    61: (
        "POLYNESIA",
        ("AS CK NU PF PN TK TO TV WF WS"),
    ),
    202: (
        "SUB_SAHARAN_AFRICA",
        (
            "AO BF BI BJ BW CD CF CG CI CM CV DJ ER ET GA GH GM GN GQ GW IO KE KM LR LS MG ML "
            "MR MU MW MZ NA NE NG RE RW SC SH SL SN SO SS ST SZ TD TF TG TZ UG YT ZA ZM ZW"
        ),
    ),
    17: (
        "MIDDLE_AFRICA",
        ("AO CD CF CG CM GA GQ ST TD"),
    ),
    19: (
        "AMERICAS",
        (
            "AG AI AR AW BB BL BM BO BQ BR BS BV BZ CA CL CO CR CU CW DM DO EC FK GD GF GL GP "
            "GS GT GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT US UY VC "
            "VE VG VI"
        ),
    ),
    419: (
        "LATIN_AMERICA_AND_THE_CARIBBEAN",
        (
            "AG AI AR AW BB BL BO BQ BR BS BV BZ CL CO CR CU CW DM DO EC FK GD GF GP GS GT GY "
            "HN HT JM KN KY LC MF MQ MS MX NI PA PE PR PY SR SV SX TC TT UY VC VE VG VI"
        ),
    ),
    29: (
        "CARIBBEAN",
        ("AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC VG VI"),
    ),
    5: (
        "SOUTH_AMERICA",
        ("AR BO BR BV CL CO EC FK GF GS GY PE PY SR UY VE"),
    ),
    145: (
        "WESTERN_ASIA",
        ("AE AM AZ BH CY GE IL IQ JO KW LB OM PS QA SA SY TR YE"),
    ),
    53: (
        "AUSTRALIA_AND_NEW_ZEALAND",
        ("AU CC CX HM NF NZ"),
    ),
    155: (
        "WESTERN_EUROPE",
        ("AT BE CH DE FR LI LU MC NL"),
    ),
    151: (
        "EASTERN_EUROPE",
        ("BG BY CZ HU MD PL RO RU SK UA"),
    ),
    13: (
        "CENTRAL_AMERICA",
        ("BZ CR GT HN MX NI PA SV"),
    ),
    11: (
        "WESTERN_AFRICA",
        ("BF BJ CI CV GH GM GN GW LR ML MR NE NG SH SL SN TG"),
    ),
    21: (
        "NORTHERN_AMERICA",
        ("BM CA GL PM US"),
    ),
    18: (
        "SOUTHERN_AFRICA",
        ("BW LS NA SZ ZA"),
    ),
    14: (
        "EASTERN_AFRICA",
        ("BI DJ ER ET IO KE KM MG MU MW MZ RE RW SC SO SS TF TZ UG YT ZM ZW"),
    ),
    35: (
        "SOUTH_EASTERN_ASIA",
        ("BN ID KH LA MM MY PH SG TH TL VN"),
    ),
    30: (
        "EASTERN_ASIA",
        ("CN HK JP KP KR MN MO TW"),
    ),
    54: (
        "MELANESIA",
        ("FJ NC PG SB VU"),
    ),
    57: (
        "MICRONESIA",
        ("FM GU KI MH MP NR PW UM"),
    ),
    830: (
        "CHANNEL_ISLANDS",
        ("GG JE"),
    ),
    143: (
        "CENTRAL_ASIA",
        ("KG KZ TJ TM UZ"),
    ),
}
