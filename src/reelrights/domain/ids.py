r"""Ids: the one pattern every party, title, contract and key id keeps.

An id is 1 to :data:`MAX_ID_LENGTH` characters: ASCII letters, digits, and ``-`` ``_``
``.`` ``:``, starting with a letter or a digit. No whitespace, no control characters, no
``/``: an id travels as it is into URLs (``/contracts/{id}``), HTTP headers and file names
of exports, CSV cells, log lines and other systems' feeds, and must mean the same in each
(an id holding CR LF once broke every Avails export). Ids compare exactly (case matters).

Ids read from other systems' data (an Avails feed's content ids and ALIDs) are made to fit
by :func:`fit_id`; the original stays in the title's external ids.

>>> is_id("disney-tencent-star-wars"), is_id("md:cid:eidr-s:1489-49A2"), is_id("a\r\nb")
(True, True, False)
>>> print(id_problem("star wars"))  # doctest: +ELLIPSIS
'star wars' is not an id: use 1 to 200 letters, digits and - _ . : (no spaces, no '/'), ...
>>> fit_id("10.5240/1489-49A2 (cut)")
'10.5240_1489-49A2__cut_'
"""

from __future__ import annotations

import re

MAX_ID_LENGTH = 200
MAX_NAME_LENGTH = 500
"""The longest party or title name a person may refer to one by instead of its id."""
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"
"""The pattern as a regular expression over the whole id (for API schemas and forms; the
length limit is :data:`MAX_ID_LENGTH`)."""

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]*")
_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_.:\-]")
RULE = (
    f"use 1 to {MAX_ID_LENGTH} letters, digits and - _ . : (no spaces, no '/'), "
    "starting with a letter or digit"
)


def is_id(value: object) -> bool:
    """Whether ``value`` is a text that keeps the id pattern."""
    return (
        isinstance(value, str) and len(value) <= MAX_ID_LENGTH and _ID.fullmatch(value) is not None
    )


def id_problem(value: object) -> str | None:
    """Why ``value`` is not an id (quoted safely: control characters escaped), or None."""
    if is_id(value):
        return None
    shown = repr(str(value)) if len(str(value)) <= 60 else repr(str(value)[:57]) + "..."
    return f"{shown} is not an id: {RULE}"


def fit_id(text: str) -> str:
    """An id made from another system's identifier: every character the pattern does not
    allow becomes ``_``, and one that does not start with a letter or digit gains an ``x``
    in front. The length is not cut (two long identifiers must not become one): a result
    longer than :data:`MAX_ID_LENGTH` is still refused by :func:`is_id`."""
    fitted = _NOT_ALLOWED.sub("_", text.strip())
    if not fitted or not fitted[0].isascii() or not fitted[0].isalnum():
        fitted = "x" + fitted
    return fitted
