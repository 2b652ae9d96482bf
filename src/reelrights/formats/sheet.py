"""The deal sheet (YAML or JSON): parse into domain values with located problems, render back.

Parsing collects every problem with its file, line and field path; nothing is returned
half-parsed to be stored. Custom ``territory_groups`` and ``media_groups`` of the sheet are
added to the given :class:`Geography` and :class:`MediaTaxonomy` before any grant is read.

>>> text = '''
... parties: [{id: studio, name: Studio}]
... titles: [{id: film, name: Film, kind: film, release: 2020-05-01}]
... contracts:
...   - id: owns
...     licensee: studio
...     grants: [{titles: [film], media: [ALL_MEDIA], territories: [WORLD], start: release}]
... '''
>>> sheet = parse_sheet(text, "deals.yaml", MediaTaxonomy(), Geography())
>>> sheet.problems, [c.id for c in sheet.contracts]
([], ['owns'])
>>> bad = parse_sheet("contracts: [{id: x, licensee: y, grants: [{titles: [a], media: [SVODD],"
...                   " territories: [KR]}]}]", "bad.yaml", MediaTaxonomy(), Geography())
>>> print(*bad.problems)  # doctest: +ELLIPSIS
bad.yaml:1: contracts[0].grants[0].media: unknown medium 'SVODD'...
"""

from __future__ import annotations

import json
import json.encoder
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

import yaml

from reelrights.domain.contracts import (
    OPTION_KINDS,
    STATUSES,
    Contract,
    Grant,
    Holdback,
    Money,
    Option,
    Party,
)
from reelrights.domain.ids import MAX_NAME_LENGTH, id_problem
from reelrights.domain.languages import ALL_LANGUAGES, LanguageSet
from reelrights.domain.media import MediaTaxonomy
from reelrights.domain.money import (
    REPORTING,
    Instalment,
    ShareEntry,
    Tier,
    currency_code,
    minor_unit,
    parse_amount,
)
from reelrights.domain.problems import CodeError, Problem
from reelrights.domain.terms import DateBound, parse_date
from reelrights.domain.territories import COUNTRY_BIT, Geography
from reelrights.domain.titles import KINDS, Title

Path = tuple[str | int, ...]

TOP_FIELDS = {"parties", "titles", "territory_groups", "media_groups", "contracts"}
PARTY_FIELDS = {"id", "name", "extra"}
TITLE_FIELDS = {
    "id",
    "name",
    "kind",
    "year",
    "release",
    "releases",
    "parent",
    "members",
    "eidr",
    "imdb",
    "external_ids",
    "original_name",
    "alternative_names",
    "extra",
}
CONTRACT_FIELDS = {
    "id",
    "licensor",
    "licensee",
    "status",
    "signed",
    "terminated",
    "currency",
    "fee",
    "payments",
    "minimum_guarantee",
    "revenue_share",
    "reporting",
    "grants",
    "holdbacks",
    "options",
    "extra",
}
RIGHT_FIELDS = {"titles", "media", "territories", "languages", "start", "end", "extra"}
GRANT_FIELDS = RIGHT_FIELDS | {"exclusive", "sublicense"}
OPTION_FIELDS = RIGHT_FIELDS | {"kind", "holder", "exercise_by"}


@dataclass
class DealSheet:
    """What one sheet holds, in sheet order, and the problems found reading it."""

    file: str
    parties: list[Party] = field(default_factory=list)
    titles: list[Title] = field(default_factory=list)
    territory_groups: dict[str, list[str]] = field(default_factory=dict)
    media_groups: dict[str, list[str]] = field(default_factory=dict)
    contracts: list[Contract] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    paths: dict[str, Path] = field(default_factory=dict)
    line_map: Callable[[], dict[Path, int]] = field(default=lambda: {}, repr=False)
    # Whether the parties and titles its contracts name were resolved to ids (and every
    # one that names nothing reported), so that a load need not report them again.
    names_checked: bool = False

    def line_of(self, what: str) -> int | None:
        """The line where an entity (``contract:ID``, ``title:ID``...) is defined."""
        path = self.paths.get(what)
        return None if path is None else self.line_map().get(path)

    def line_within(self, what: str, *inner: str | int) -> int | None:
        """The line of a part of an entity (``line_within("contract:x", "grants", 0)``),
        else of the nearest part that holds it, else of the entity itself."""
        path = self.paths.get(what)
        if path is None:
            return None
        lines = self.line_map()
        for depth in range(len(inner), -1, -1):
            line = lines.get((*path, *inner[:depth]))
            if line is not None:
                return line
        return None


def _path_text(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _line_map(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            _line_map(value, (*path, str(key.value)), lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*path, i), lines)


class _Reader:
    def __init__(
        self, file: str, lines: Callable[[], dict[Path, int]], problems: list[Problem]
    ) -> None:
        self.file = file
        self.lines = lines
        self.problems = problems

    def problem(self, path: Path, message: str) -> None:
        lines = self.lines()
        line = None
        probe = path
        while probe and line is None:
            line = lines.get(probe)
            probe = probe[:-1]
        self.problems.append(Problem(message, self.file, line, _path_text(path) or None))

    def mapping(self, value: Any, path: Path, allowed: set[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, f"expected a mapping, got {_kind(value)}")
            return None
        for key in value:
            if str(key) not in allowed:
                self.problem(
                    (*path, str(key)),
                    f"unknown field '{key}' (expected one of {', '.join(sorted(allowed))})",
                )
        return value

    def text(self, value: Any, path: Path, required: bool = True) -> str | None:
        if value is None:
            if required:
                self.problem(path, "missing")
            return None
        if isinstance(value, dict | list):
            self.problem(path, f"expected text, got {_kind(value)}")
            return None
        text = str(value).strip()
        if required and not text:
            self.problem(path, "must not be empty")
            return None
        return text

    def ident(self, value: Any, path: Path, required: bool = True) -> str | None:
        """An id (of a party, title or contract, defined or referred to): text that keeps
        the one id pattern of :mod:`reelrights.domain.ids`."""
        text = self.text(value, path, required)
        if text is None or (not text and not required):
            return text
        problem = id_problem(text)
        if problem is not None:
            self.problem(path, problem)
            return None
        return text

    def idents(self, value: Any, path: Path) -> tuple[str, ...]:
        """A list of ids (``None`` for none); each one checked, the bad ones left out."""
        out = []
        for i, item in enumerate(self.list_of(value, path) if value is not None else []):
            found = self.ident(item, (*path, i))
            if found is not None:
                out.append(found)
        return tuple(out)

    def reference(self, value: Any, path: Path, required: bool = True) -> str | None:
        """A party or title a contract refers to: its id or its name (docs/semantics.md
        rule 13), resolved to an id when the sheet is loaded. A name is at most
        :data:`MAX_NAME_LENGTH` characters with no control characters."""
        text = self.text(value, path, required)
        if text is None or (not text and not required) or id_problem(text) is None:
            return text
        if len(text) > MAX_NAME_LENGTH or any(unicodedata.category(c) == "Cc" for c in text):
            shown = repr(text) if len(text) <= 60 else repr(text[:57]) + "..."
            self.problem(
                path,
                f"{shown} is neither an id nor a name: an id keeps the id pattern, a name is "
                f"at most {MAX_NAME_LENGTH} characters with no control characters",
            )
            return None
        return text

    def references(self, value: Any, path: Path) -> tuple[str, ...]:
        """A list of :meth:`reference` (``None`` for none), the bad ones left out."""
        out = []
        for i, item in enumerate(self.list_of(value, path) if value is not None else []):
            found = self.reference(item, (*path, i))
            if found is not None:
                out.append(found)
        return tuple(out)

    def convert(self, path: Path, make: Callable[[], Any]) -> Any:
        try:
            return make()
        except CodeError as error:
            self.problem(path, str(error))
            return None

    def list_of(self, value: Any, path: Path) -> list[Any]:
        if value is None:
            self.problem(path, "missing")
            return []
        if isinstance(value, str):
            return [value]
        if not isinstance(value, list):
            self.problem(path, f"expected a list, got {_kind(value)}")
            return []
        return value

    def boolean(self, value: Any, path: Path, default: bool) -> bool:
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        self.problem(path, f"expected true or false, got {value!r}")
        return default

    def money(self, value: Any, path: Path) -> Money | None:
        if value is None:
            return None
        data = self.mapping(value, path, {"amount", "currency"})
        if data is None:
            return None
        amount = self.decimal(data.get("amount"), (*path, "amount"))
        currency = self.currency(data.get("currency"), (*path, "currency"), required=True)
        if amount is None or currency is None:
            return None
        if amount < 0:
            self.problem((*path, "amount"), "must not be negative")
            return None
        if _too_fine(amount, currency):
            self.problem((*path, "amount"), f"finer than the minor unit of {currency}")
            return None
        return Money(amount, currency)

    def currency(self, value: Any, path: Path, required: bool = False) -> str | None:
        text = self.text(value, path, required=required)
        if text is None:
            return None
        code: str | None = self.convert(path, lambda: currency_code(text))
        return code

    def decimal(self, value: Any, path: Path) -> Decimal | None:
        if value is None:
            self.problem(path, "missing")
            return None
        if isinstance(value, dict | list):
            self.problem(path, f"expected a number, got {_kind(value)}")
            return None
        result: Decimal | None = self.convert(path, lambda: parse_amount(value))
        return result

    def day(self, value: Any, path: Path) -> date | None:
        if value is None:
            return None
        result: date | None = self.convert(path, lambda: parse_date(value))
        return result


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return "text" if isinstance(value, str) else repr(value)


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

MAX_SHEET_CHARS = 32 * 1024 * 1024
"""The longest deal sheet read, in characters (a sheet of 10,000 contracts is about 10 MB)."""
MAX_DEPTH = 64
"""The deepest nesting of mappings and lists (a deal sheet needs 7; ``extra`` a few more).
Deeper documents would exhaust the recursion of the loaders and of everything after them."""
MAX_ALIAS_NODES = 100_000
"""How many values YAML aliases (``*name``) may add to a sheet, counted as expanded: an
alias stands for everything its anchor holds, so ten nested aliases of ten can stand for
ten billion values (the "billion laughs") in a few hundred bytes."""

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def check_document(text: str, file: str) -> Problem | None:
    r"""The first limit a YAML or JSON text breaks (:data:`MAX_SHEET_CHARS`,
    :data:`MAX_DEPTH`, :data:`MAX_ALIAS_NODES`), located, or None. Reads events or tokens
    one at a time, so a hostile document is refused in memory proportional to its text.

    >>> print(check_document("a: " + "[" * 100 + "]" * 100, "deep.yaml"))
    deep.yaml:1: nested 65 levels deep; a deal sheet may nest at most 64
    >>> bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\n" + "d: [" + "*c, " * 20000 + "]"
    >>> print(check_document(bomb, "bomb.yaml"))  # doctest: +ELLIPSIS
    bomb.yaml:4: YAML aliases expand to more than 100000 values; ...
    """
    if len(text) > MAX_SHEET_CHARS:
        return Problem(
            f"the sheet has {len(text):,} characters; a deal sheet may have at most "
            f"{MAX_SHEET_CHARS:,} (split it into several sheets)",
            file,
        )
    if file.lower().endswith(".json"):
        return _check_json(text, file)
    return _check_yaml(text, file)


def _too_deep(file: str, line: int | None) -> Problem:
    return Problem(
        f"nested {MAX_DEPTH + 1} levels deep; a deal sheet may nest at most {MAX_DEPTH}",
        file,
        line,
    )


def _too_deep_at(data: Any) -> Path | None:
    """The path of the first value nested deeper than :data:`MAX_DEPTH` in an already
    parsed document (one that came as JSON through the API, say), found without
    recursion; None when there is none."""
    stack: list[tuple[Any, Path]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict | list):
            if len(path) >= MAX_DEPTH:
                return path
            items = value.items() if isinstance(value, dict) else enumerate(value)
            stack.extend(
                (item, (*path, key if isinstance(key, int) else str(key))) for key, item in items
            )
    return None


def _check_json(text: str, file: str) -> Problem | None:
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return _too_deep(file, text.count("\n", 0, token.start()) + 1)
        elif mark in "]}":
            depth -= 1
    return None


def _line(event: Any) -> int | None:
    mark = event.start_mark
    return None if mark is None else int(mark.line) + 1


def _check_yaml(text: str, file: str) -> Problem | None:
    anchors: dict[str, int] = {}  # anchor -> how many values it stands for, expanded
    open_nodes: list[list[Any]] = []  # [anchor, values so far] of each open mapping/list
    added = 0

    def count(value: int, anchor: str | None) -> None:
        if anchor:
            anchors[anchor] = value
        if open_nodes:
            open_nodes[-1][1] += value

    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            if len(open_nodes) >= MAX_DEPTH:
                return _too_deep(file, _line(event))
            open_nodes.append([event.anchor, 1])
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, value = open_nodes.pop()
            count(value, anchor)
        elif isinstance(event, yaml.ScalarEvent):
            count(1, event.anchor)
        elif isinstance(event, yaml.AliasEvent):
            value = anchors.get(event.anchor or "", 1)
            added += value
            if added > MAX_ALIAS_NODES:
                return Problem(
                    f"YAML aliases expand to more than {MAX_ALIAS_NODES} values; a deal sheet "
                    "may repeat at most that much through aliases (write the values out)",
                    file,
                    _line(event),
                )
            count(value, None)
    return None


def load_document(text: str, file: str) -> tuple[Any, Callable[[], dict[Path, int]], list[Problem]]:
    """The parsed document of a YAML or JSON text and a function giving its line map
    (computed only when a problem needs a line), or a located problem: a syntax error or
    a limit of :func:`check_document` broken."""
    try:
        refused = check_document(text, file)
        if refused is not None:
            return None, dict, [refused]
        if file.lower().endswith(".json"):
            data = json.loads(text)
        else:
            data = yaml.load(text, Loader=_Loader)
    except json.JSONDecodeError as error:
        return None, dict, [Problem(f"not valid JSON: {error.msg}", file, error.lineno)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        return None, dict, [Problem(f"not valid YAML: {error.problem or error}", file, line)]
    except yaml.YAMLError as error:
        return None, dict, [Problem(f"not valid YAML: {error}", file)]
    cache: dict[Path, int] = {}

    def lines() -> dict[Path, int]:
        if not cache:
            node = yaml.compose(text, Loader=_Loader)
            if node is not None:
                _line_map(node, (), cache)
        return cache

    return data, lines, []


def parse_sheet(text: str, file: str, media: MediaTaxonomy, geography: Geography) -> DealSheet:
    """Read one deal sheet. Groups it defines are added to ``media`` and ``geography``."""
    data, lines, problems = load_document(text, file)
    return parse_document(data, file, media, geography, lines, problems)


def parse_document(
    data: Any,
    file: str,
    media: MediaTaxonomy,
    geography: Geography,
    lines: Callable[[], dict[Path, int]] = dict,
    problems: list[Problem] | None = None,
) -> DealSheet:
    """:func:`parse_sheet` for an already parsed document (a mapping)."""
    sheet = DealSheet(file, line_map=lines)
    problems = problems or []
    sheet.problems.extend(problems)
    if problems:
        return sheet
    read = _Reader(file, lines, sheet.problems)
    if data is None:
        read.problem((), "the sheet is empty")
        return sheet
    deep = _too_deep_at(data)
    if deep is not None:
        read.problem(deep, f"nested more than {MAX_DEPTH} levels deep")
        return sheet
    top = read.mapping(data, (), TOP_FIELDS)
    if top is None:
        return sheet
    adders: tuple[tuple[str, dict[str, list[str]], Callable[[str, list[str]], int]], ...] = (
        ("territory_groups", sheet.territory_groups, geography.add_group),
        ("media_groups", sheet.media_groups, media.add_group),
    )
    for path_key, groups, add in adders:
        raw = top.get(path_key) or {}
        if not isinstance(raw, dict):
            read.problem((path_key,), "expected a mapping of group name to codes")
            continue
        for name, members in raw.items():
            path = (path_key, str(name))
            codes = [str(m) for m in read.list_of(members, path)]
            if read.convert(path, partial(add, str(name), codes)) is not None:
                groups[str(name)] = codes
    for i, raw in enumerate(read.list_of(top.get("parties") or [], ("parties",))):
        party = _party(read, raw, ("parties", i))
        if party:
            sheet.parties.append(party)
            sheet.paths[f"party:{party.id}"] = ("parties", i)
    for i, raw in enumerate(read.list_of(top.get("titles") or [], ("titles",))):
        title = _title(read, raw, ("titles", i))
        if title:
            sheet.titles.append(title)
            sheet.paths[f"title:{title.id}"] = ("titles", i)
    for i, raw in enumerate(read.list_of(top.get("contracts") or [], ("contracts",))):
        contract = _contract(read, raw, ("contracts", i), media, geography)
        if contract:
            sheet.contracts.append(contract)
            sheet.paths[f"contract:{contract.id}"] = ("contracts", i)
    return sheet


def _party(read: _Reader, raw: Any, path: Path) -> Party | None:
    data = read.mapping(raw, path, PARTY_FIELDS)
    if data is None:
        return None
    pid = read.ident(data.get("id"), (*path, "id"))
    name = read.text(data.get("name"), (*path, "name"), required=False)
    if pid is None:
        return None
    return Party(pid, name or pid, dict(data.get("extra") or {}))


def _title(read: _Reader, raw: Any, path: Path) -> Title | None:
    data = read.mapping(raw, path, TITLE_FIELDS)
    if data is None:
        return None
    tid = read.ident(data.get("id"), (*path, "id"))
    name = read.text(data.get("name"), (*path, "name"))
    kind = (read.text(data.get("kind"), (*path, "kind"), required=False) or "film").lower()
    if kind not in KINDS:
        read.problem((*path, "kind"), f"unknown kind '{kind}' (expected one of {', '.join(KINDS)})")
    year = data.get("year")
    if year is not None and not isinstance(year, int):
        read.problem((*path, "year"), f"expected a year, got {year!r}")
        year = None
    release = read.day(data.get("release"), (*path, "release"))
    releases: dict[str, date] = {}
    raw_releases = data.get("releases") or {}
    if not isinstance(raw_releases, dict):
        read.problem((*path, "releases"), "expected a mapping of country to date")
    else:
        for country, day in raw_releases.items():
            code = str(country).upper()
            where = (*path, "releases", str(country))
            if code not in COUNTRY_BIT:
                read.problem(where, f"unknown country '{country}'")
                continue
            parsed = read.day(day, where)
            if parsed:
                releases[code] = parsed
    members = read.idents(data.get("members") or [], (*path, "members"))
    if members and kind != "collection":
        read.problem((*path, "members"), "only a collection has members")
    parent = read.ident(data.get("parent"), (*path, "parent"), required=False)
    if parent and kind not in ("season", "episode"):
        read.problem((*path, "parent"), "only a season or an episode has a parent")
    external = {str(k): str(v) for k, v in dict(data.get("external_ids") or {}).items()}
    for key in ("eidr", "imdb"):
        if data.get(key):
            external[key] = str(data[key])
    extra = dict(data.get("extra") or {})
    original = data.get("original_name")
    if original is not None:
        if not isinstance(original, str) or not original.strip():
            read.problem((*path, "original_name"), "expected the title's name in its language")
        else:
            extra["original_name"] = original.strip()
    aliases = data.get("alternative_names")
    if aliases is not None:
        listed = read.list_of(aliases, (*path, "alternative_names"))
        extra["alternative_names"] = [str(a).strip() for a in listed if str(a).strip()]
    if tid is None or name is None:
        return None
    return Title(
        tid,
        name,
        kind,
        year,
        release,
        releases,
        parent or None,
        members,
        external,
        extra,
    )


def _contract(
    read: _Reader, raw: Any, path: Path, media: MediaTaxonomy, geography: Geography
) -> Contract | None:
    data = read.mapping(raw, path, CONTRACT_FIELDS)
    if data is None:
        return None
    cid = read.ident(data.get("id"), (*path, "id"))
    licensor = read.reference(data.get("licensor"), (*path, "licensor"), required=False)
    licensee = read.reference(data.get("licensee"), (*path, "licensee"))
    status = (
        read.text(data.get("status"), (*path, "status"), required=False) or "executed"
    ).lower()
    if status not in STATUSES:
        read.problem(
            (*path, "status"), f"unknown status '{status}' (expected one of {', '.join(STATUSES)})"
        )
    signed = read.day(data.get("signed"), (*path, "signed"))
    terminated = read.day(data.get("terminated"), (*path, "terminated"))
    if terminated and status != "terminated":
        read.problem((*path, "terminated"), "a termination date needs status: terminated")
    grants = []
    for i, item in enumerate(read.list_of(data.get("grants") or [], (*path, "grants"))):
        grant = _right(read, item, (*path, "grants", i), media, geography, True)
        if isinstance(grant, Grant):
            grants.append(grant)
    holdbacks = []
    for i, item in enumerate(read.list_of(data.get("holdbacks") or [], (*path, "holdbacks"))):
        holdback = _right(read, item, (*path, "holdbacks", i), media, geography, False)
        if isinstance(holdback, Holdback):
            holdbacks.append(holdback)
    options = []
    for i, item in enumerate(read.list_of(data.get("options") or [], (*path, "options"))):
        option = _option(read, item, (*path, "options", i), media, geography)
        if option is not None:
            options.append(option)
    if not grants and not holdbacks and not data.get("grants") and not data.get("options"):
        read.problem((*path, "grants"), "a contract needs at least one grant, holdback or option")
    fee = read.money(data.get("fee"), (*path, "fee"))
    guarantee = read.money(data.get("minimum_guarantee"), (*path, "minimum_guarantee"))
    currency = read.currency(data.get("currency"), (*path, "currency"))
    money_currency = currency or (fee.currency if fee else None)
    money_currency = money_currency or (guarantee.currency if guarantee else None)
    for key, money in (("fee", fee), ("minimum_guarantee", guarantee)):
        if money is not None and money_currency is not None and money.currency != money_currency:
            read.problem(
                (*path, key, "currency"),
                f"{money.currency} differs from the contract currency {money_currency}",
            )
    payments = _payments(read, data.get("payments"), (*path, "payments"), fee, money_currency)
    revenue_share = _revenue_share(
        read, data.get("revenue_share"), (*path, "revenue_share"), media, geography
    )
    if revenue_share and money_currency is None:
        read.problem((*path, "currency"), "a revenue share needs a contract currency")
    reporting = (
        read.text(data.get("reporting"), (*path, "reporting"), required=False) or "quarterly"
    ).lower()
    if reporting not in REPORTING:
        read.problem(
            (*path, "reporting"),
            f"unknown reporting '{reporting}' (expected one of {', '.join(REPORTING)})",
        )
    if cid is None or licensee is None:
        return None
    return Contract(
        cid,
        licensor or None,
        licensee,
        status,
        signed,
        terminated,
        fee,
        guarantee,
        revenue_share,
        tuple(grants),
        tuple(holdbacks),
        dict(data.get("extra") or {}),
        currency,
        payments,
        reporting,
        options=tuple(options),
    )


def _option(
    read: _Reader, raw: Any, path: Path, media: MediaTaxonomy, geography: Geography
) -> Option | None:
    """An option (rule 21): a holdback-shaped box plus its kind, holder and deadline."""
    data = read.mapping(raw, path, OPTION_FIELDS)
    if data is None:
        return None
    kind = (read.text(data.get("kind"), (*path, "kind")) or "").lower()
    if kind and kind not in OPTION_KINDS:
        read.problem(
            (*path, "kind"),
            f"unknown option kind '{kind}' (expected one of {', '.join(OPTION_KINDS)})",
        )
    holder = read.reference(data.get("holder"), (*path, "holder"))
    if data.get("exercise_by") is None:
        read.problem((*path, "exercise_by"), "missing")
    deadline = read.day(data.get("exercise_by"), (*path, "exercise_by"))
    box = _right(
        read,
        {k: v for k, v in data.items() if k in RIGHT_FIELDS},
        path,
        media,
        geography,
        False,
    )
    if (
        not isinstance(box, Holdback)
        or kind not in OPTION_KINDS
        or holder is None
        or deadline is None
    ):
        return None
    return Option(
        kind,
        holder,
        box.titles,
        box.media,
        box.territories,
        deadline,
        box.languages,
        box.start,
        box.end,
        box.extra,
    )


def _payments(
    read: _Reader, raw: Any, path: Path, fee: Money | None, currency: str | None
) -> tuple[Instalment, ...]:
    """The fee's schedule: dated amounts that add up to the fee exactly."""
    if raw is None:
        return ()
    out: list[Instalment] = []
    complete = True
    for i, item in enumerate(read.list_of(raw, path)):
        where = (*path, i)
        data = read.mapping(item, where, {"due", "amount"})
        if data is None:
            complete = False
            continue
        if data.get("due") is None:
            read.problem((*where, "due"), "missing")
        due = read.day(data.get("due"), (*where, "due"))
        amount = read.decimal(data.get("amount"), (*where, "amount"))
        if amount is not None and amount <= 0:
            read.problem((*where, "amount"), "must be more than zero")
            amount = None
        if amount is not None and currency is not None and _too_fine(amount, currency):
            read.problem((*where, "amount"), f"finer than the minor unit of {currency}")
        if due is None or amount is None:
            complete = False
            continue
        out.append(Instalment(due, amount))
    if fee is None and out:
        read.problem(path, "a payment schedule needs a fee")
    elif fee is not None and complete and out:
        total = sum((p.amount for p in out), Decimal(0))
        if total != fee.amount:
            read.problem(
                path,
                f"the payments add up to {total}, not to the fee of {fee.amount} {fee.currency}",
            )
    return tuple(out)


def _too_fine(amount: Decimal, currency: str) -> bool:
    exponent = amount.normalize().as_tuple().exponent
    return isinstance(exponent, int) and -exponent > minor_unit(currency)


def _rate(read: _Reader, raw: Any, path: Path) -> Decimal | None:
    rate = read.decimal(raw, path)
    if rate is not None and not Decimal(0) <= rate <= Decimal(1):
        read.problem(path, f"a rate is a fraction between 0 and 1, got {rate}")
        return None
    return rate


def _revenue_share(
    read: _Reader, raw: Any, path: Path, media: MediaTaxonomy, geography: Geography
) -> tuple[ShareEntry, ...]:
    """``revenue_share``: a plain rate (one entry for everything) or a list of entries
    ``{media, territories, rate}`` whose rate may be tiers ``[{upto, rate}, ..., {rate}]``."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        rate = _rate(read, raw, path)
        return () if rate is None else (ShareEntry.flat(rate),)
    out: list[ShareEntry] = []
    for i, item in enumerate(raw):
        where = (*path, i)
        data = read.mapping(item, where, {"media", "territories", "rate"})
        if data is None:
            continue
        media_mask: int | None = None
        territory_mask: int | None = None
        if data.get("media") is not None:
            codes = read.list_of(data["media"], (*where, "media"))
            media_mask = read.convert((*where, "media"), partial(media.parse, codes))
        if data.get("territories") is not None:
            places = read.list_of(data["territories"], (*where, "territories"))
            territory_mask = read.convert((*where, "territories"), partial(geography.parse, places))
        tiers = _tiers(read, data.get("rate"), (*where, "rate"))
        if tiers:
            out.append(ShareEntry(tiers, media_mask, territory_mask))
    return tuple(out)


def _tiers(read: _Reader, raw: Any, path: Path) -> tuple[Tier, ...]:
    if raw is None:
        read.problem(path, "missing")
        return ()
    if not isinstance(raw, list):
        rate = _rate(read, raw, path)
        return () if rate is None else (Tier(None, rate),)
    tiers: list[Tier] = []
    last: Decimal | None = None
    for i, item in enumerate(raw):
        where = (*path, i)
        data = read.mapping(item, where, {"upto", "rate"})
        if data is None:
            return ()
        rate = _rate(read, data.get("rate"), (*where, "rate"))
        upto = None
        is_last = i == len(raw) - 1
        if data.get("upto") is not None:
            upto = read.decimal(data.get("upto"), (*where, "upto"))
            if upto is not None and last is not None and upto <= last:
                read.problem((*where, "upto"), f"tiers must rise: {upto} is not above {last}")
                return ()
            if upto is not None and upto <= 0:
                read.problem((*where, "upto"), "must be more than zero")
                return ()
            if is_last:
                read.problem((*where, "upto"), "the last tier has no upto (it takes the rest)")
                return ()
            last = upto
        elif not is_last:
            read.problem((*where, "upto"), "missing (only the last tier takes the rest)")
            return ()
        if rate is None:
            return ()
        tiers.append(Tier(upto, rate))
    if not tiers:
        read.problem(path, "no tiers given")
    return tuple(tiers)


def _right(
    read: _Reader,
    raw: Any,
    path: Path,
    media: MediaTaxonomy,
    geography: Geography,
    is_grant: bool,
) -> Grant | Holdback | None:
    data = read.mapping(raw, path, GRANT_FIELDS if is_grant else RIGHT_FIELDS)
    if data is None:
        return None
    if data.get("titles") is None:
        read.problem((*path, "titles"), "missing")
    titles = read.references(data.get("titles"), (*path, "titles"))
    if not titles and data.get("titles") is not None:
        read.problem((*path, "titles"), "no titles given")
    media_mask = read.convert(
        (*path, "media"), lambda: media.parse(read.list_of(data.get("media"), (*path, "media")))
    )
    territory_mask = read.convert(
        (*path, "territories"),
        lambda: geography.parse(read.list_of(data.get("territories"), (*path, "territories"))),
    )
    languages = read.convert((*path, "languages"), lambda: LanguageSet.parse(data.get("languages")))
    start = _bound(read, data.get("start"), (*path, "start"))
    end = _bound(read, data.get("end"), (*path, "end"))
    if start and end and start.day and end.day and end.day < start.day:
        read.problem((*path, "end"), f"term ends ({end.day}) before it starts ({start.day})")
        return None
    if not titles or media_mask is None or territory_mask is None or languages is None:
        return None
    extra = dict(data.get("extra") or {})
    if is_grant:
        return Grant(
            titles,
            media_mask,
            territory_mask,
            languages,
            start,
            end,
            read.boolean(data.get("exclusive"), (*path, "exclusive"), False),
            read.boolean(data.get("sublicense"), (*path, "sublicense"), False),
            extra,
        )
    return Holdback(titles, media_mask, territory_mask, languages, start, end, extra)


def _bound(read: _Reader, value: Any, path: Path) -> DateBound | None:
    if value is None:
        return None
    result: DateBound | None = read.convert(path, lambda: DateBound.parse(value))
    return result


# -- rendering --------------------------------------------------------------------------


def render_media(mask: int, media: MediaTaxonomy) -> list[str]:
    """A mask as sheet codes: one group name where one matches exactly, else leaves."""
    for name, group in media.groups.items():
        if group == mask:
            return [name]
    return media.format(mask)


def render_territories(mask: int, geography: Geography) -> list[str]:
    """A mask as sheet codes (``WORLD``, ``WORLD except ...``, a group, or countries)."""
    name = geography.name_of(mask)
    if name is not None:
        return [name]
    codes = geography.format(mask)
    return codes if len(codes) > 1 else [", ".join(codes)]


def _number(amount: Decimal) -> Any:
    """An amount for a sheet: an integer where it is whole, else exact decimal text."""
    return int(amount) if amount == int(amount) else str(amount)


def _money(money: Money | None) -> dict[str, Any] | None:
    if money is None:
        return None
    return {"amount": _number(money.amount), "currency": money.currency}


def render_share(
    entries: tuple[ShareEntry, ...], media: MediaTaxonomy, geography: Geography
) -> Any:
    """``revenue_share`` as a sheet writes it: a plain rate for one untiered entry that
    matches everything, else the list of entries (rates as exact decimal text)."""
    only = entries[0] if len(entries) == 1 else None
    if only and only.media is None and only.territories is None and len(only.tiers) == 1:
        return str(only.tiers[0].rate)
    out: list[dict[str, Any]] = []
    for entry in entries:
        item: dict[str, Any] = {}
        if entry.media is not None:
            item["media"] = render_media(entry.media, media)
        if entry.territories is not None:
            item["territories"] = render_territories(entry.territories, geography)
        if len(entry.tiers) == 1:
            item["rate"] = str(entry.tiers[0].rate)
        else:
            item["rate"] = [
                {"upto": _number(t.upto), "rate": str(t.rate)}
                if t.upto is not None
                else {"rate": str(t.rate)}
                for t in entry.tiers
            ]
        out.append(item)
    return out


class MaskNames:
    """:func:`render_media` and :func:`render_territories` for one taxonomy and
    geography, each mask rendered once: a bulk load renders a million grants drawn from
    far fewer masks. At most :attr:`LIMIT` masks of each kind are remembered (memory stays
    bounded); the lists it returns are shared, to be read, never changed."""

    LIMIT = 100_000

    def __init__(self, media: MediaTaxonomy, geography: Geography) -> None:
        self._taxonomy, self._geography = media, geography
        self._media: dict[int, list[str]] = {}
        self._territories: dict[int, list[str]] = {}
        # JSON texts (what contract_json reads first): of each mask's rendering, of a day
        self.media_json: dict[int, str] = {}
        self.territories_json: dict[int, str] = {}
        self.day_json: dict[date, str] = {}

    def json_of(self, kind: str, mask: int) -> str:
        """The JSON text of :meth:`media` (``kind`` "media") or :meth:`territories`."""
        memo = self.media_json if kind == "media" else self.territories_json
        found = memo.get(mask)
        if found is None:
            found = _json_list(self.media(mask) if kind == "media" else self.territories(mask))
            if len(memo) < self.LIMIT:
                memo[mask] = found
        return found

    def json_of_day(self, day: date) -> str:
        """A day as JSON text (ISO, quoted); every day is remembered (a few thousand
        years' worth at most)."""
        found = self.day_json.get(day)
        if found is None:
            found = self.day_json[day] = f'"{day.isoformat()}"'
        return found

    def media(self, mask: int) -> list[str]:
        found = self._media.get(mask)
        if found is None:
            found = render_media(mask, self._taxonomy)
            if len(self._media) < self.LIMIT:
                self._media[mask] = found
        return found

    def territories(self, mask: int) -> list[str]:
        found = self._territories.get(mask)
        if found is None:
            found = render_territories(mask, self._geography)
            if len(self._territories) < self.LIMIT:
                self._territories[mask] = found
        return found


def render_right(
    item: Grant | Holdback | Option,
    media: MediaTaxonomy,
    geography: Geography,
    names: MaskNames | None = None,
) -> dict[str, Any]:
    """One grant, holdback or option as a sheet mapping (``names``: remembered renderings
    of the masks, for many rights in a row)."""
    out: dict[str, Any] = {}
    if isinstance(item, Option):
        out = {"kind": item.kind, "holder": item.holder, "exercise_by": item.exercise_by}
    out |= {
        "titles": list(item.titles),
        "media": render_media(item.media, media) if names is None else names.media(item.media),
        "territories": render_territories(item.territories, geography)
        if names is None
        else names.territories(item.territories),
        "languages": item.languages.to_json() if item.languages != ALL_LANGUAGES else "all",
        "start": _bound_out(item.start),
        "end": _bound_out(item.end),
    }
    if isinstance(item, Grant):
        out["exclusive"] = item.exclusive
        out["sublicense"] = item.sublicense
    if item.extra:
        out["extra"] = dict(item.extra)
    return out


def _bound_out(bound: DateBound | None) -> Any:
    if bound is None:
        return None
    return bound.day if bound.day is not None else str(bound)


def render_contract(
    contract: Contract,
    media: MediaTaxonomy,
    geography: Geography,
    names: MaskNames | None = None,
) -> dict[str, Any]:
    """One contract as a sheet mapping (no licensor key for ownership; ``names``: see
    :func:`render_right`)."""
    out: dict[str, Any] = {"id": contract.id}
    if contract.licensor is not None:
        out["licensor"] = contract.licensor
    out["licensee"] = contract.licensee
    out["status"] = contract.status
    for key, value in (("signed", contract.signed), ("terminated", contract.terminated)):
        if value is not None:
            out[key] = value
    if contract.currency is not None:
        out["currency"] = contract.currency
    if contract.fee is not None:
        out["fee"] = _money(contract.fee)
    if contract.payments:
        out["payments"] = [{"due": p.due, "amount": _number(p.amount)} for p in contract.payments]
    if contract.minimum_guarantee is not None:
        out["minimum_guarantee"] = _money(contract.minimum_guarantee)
    if contract.revenue_share:
        out["revenue_share"] = render_share(contract.revenue_share, media, geography)
    if contract.reporting != "quarterly":
        out["reporting"] = contract.reporting
    if contract.grants:
        out["grants"] = [render_right(g, media, geography, names) for g in contract.grants]
    if contract.holdbacks:
        out["holdbacks"] = [render_right(h, media, geography, names) for h in contract.holdbacks]
    if contract.options:
        out["options"] = [render_right(o, media, geography, names) for o in contract.options]
    if contract.extra:
        out["extra"] = dict(contract.extra)
    return out


_quote = json.encoder.encode_basestring_ascii


def _json_list(codes: list[str]) -> str:
    return "[" + ", ".join(map(_quote, codes)) + "]"


def _json_bound(bound: DateBound | None, names: MaskNames) -> str:
    """A term's start or end as JSON text; a fixed day's text is the one ``names``
    remembers."""
    if bound is None:
        return "null"
    if bound.day is None:
        return _quote(str(bound))
    return names.json_of_day(bound.day)


_FLAGS = (
    ', "exclusive": false, "sublicense": false}',
    ', "exclusive": false, "sublicense": true}',
    ', "exclusive": true, "sublicense": false}',
    ', "exclusive": true, "sublicense": true}',
)
"""The end of a grant's JSON text, by ``2 * exclusive + sublicense``."""


def contract_json(contract: Contract, names: MaskNames) -> str | None:
    """The JSON text of :func:`render_contract` for a plain contract (grants and holdbacks,
    no money terms, options or extra data: what a bulk load stores by the million),
    written directly: exactly what ``json.dumps`` writes of the mapping (dates as ISO
    text), without building it; the texts of masks and days come from ``names``, each
    written once. None for any other contract: render it."""
    if (
        contract.options
        or contract.extra
        or contract.currency is not None
        or contract.fee is not None
        or contract.payments
        or contract.minimum_guarantee is not None
        or contract.revenue_share
        or contract.reporting != "quarterly"
    ):
        return None
    quote = _quote
    media_json, territories_json = names.media_json, names.territories_json
    parts = [
        '{"id": ',
        quote(contract.id),
        "" if contract.licensor is None else f', "licensor": {quote(contract.licensor)}',
        f', "licensee": {quote(contract.licensee)}, "status": {quote(contract.status)}',
    ]
    if contract.signed is not None:
        parts.append(', "signed": ' + names.json_of_day(contract.signed))
    if contract.terminated is not None:
        parts.append(', "terminated": ' + names.json_of_day(contract.terminated))
    groups: tuple[tuple[str, tuple[Grant | Holdback, ...]], ...] = (
        (', "grants": [', contract.grants),
        (', "holdbacks": [', contract.holdbacks),
    )
    for opening, items in groups:
        if not items:
            continue
        parts.append(opening)
        for i, item in enumerate(items):
            if item.extra:
                return None
            titles = item.titles
            languages = item.languages
            media = media_json.get(item.media) or names.json_of("media", item.media)
            territories = territories_json.get(item.territories) or names.json_of(
                "territories", item.territories
            )
            parts.append(
                f'{", {" if i else "{"}"titles": '
                f"{f'[{quote(titles[0])}]' if len(titles) == 1 else _json_list(list(titles))}"
                f', "media": {media}, "territories": {territories}, "languages": '
                + (
                    '"all"'
                    if languages is ALL_LANGUAGES or languages == ALL_LANGUAGES
                    else json.dumps(languages.to_json())
                )
                + f', "start": {_json_bound(item.start, names)}'
                + f', "end": {_json_bound(item.end, names)}'
            )
            parts.append(
                _FLAGS[2 * item.exclusive + item.sublicense] if isinstance(item, Grant) else "}"
            )
        parts.append("]")
    parts.append("}")
    return "".join(parts)


def render_title(title: Title) -> dict[str, Any]:
    """One title as a sheet mapping."""
    out: dict[str, Any] = {"id": title.id, "name": title.name, "kind": title.kind}
    if title.year is not None:
        out["year"] = title.year
    if title.release is not None:
        out["release"] = title.release
    if title.releases:
        out["releases"] = dict(sorted(title.releases.items()))
    if title.parent:
        out["parent"] = title.parent
    if title.members:
        out["members"] = list(title.members)
    if title.external_ids:
        out["external_ids"] = dict(title.external_ids)
    extra = dict(title.extra)
    for key in ("original_name", "alternative_names"):
        if key in extra:
            out[key] = extra.pop(key)
    if extra:
        out["extra"] = extra
    return out


def render_party(party: Party) -> dict[str, Any]:
    """One party as a sheet mapping."""
    out: dict[str, Any] = {"id": party.id, "name": party.name}
    if party.extra:
        out["extra"] = dict(party.extra)
    return out


def render_sheet(
    parties: list[Party],
    titles: list[Title],
    contracts: list[Contract],
    media: MediaTaxonomy,
    geography: Geography,
    territory_groups: Mapping[str, list[str]],
    media_groups: Mapping[str, list[str]],
    progress: Callable[[str, int, int], None] | None = None,
) -> str:
    """A whole book as a YAML deal sheet that loads back to the same data. Ownership
    records come first (the loading order applies them first anyway). The contracts are
    written a thousand at a time (the text is the same as one dump of them all), and
    ``progress`` hears of each thousand."""
    ordered = sorted(contracts, key=lambda c: c.licensor is not None)
    document: dict[str, Any] = {
        "parties": [render_party(p) for p in parties],
        "titles": [render_title(t) for t in titles_in_order(titles)],
    }
    if territory_groups:
        document["territory_groups"] = {k: list(v) for k, v in territory_groups.items()}
    if media_groups:
        document["media_groups"] = {k: list(v) for k, v in media_groups.items()}
    if not ordered:
        document["contracts"] = []
        return _dump(document)
    parts = [_dump(document), "contracts:\n"]
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start : start + 1000]
        parts.append(_dump([render_contract(c, media, geography) for c in chunk]))
        if progress:
            progress("writing the deal sheet", start + len(chunk), len(ordered))
    return "".join(parts)


_Dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _dump(value: Any) -> str:
    """YAML text as reelrights writes it (libyaml's emitter when installed: same text,
    faster)."""
    return str(yaml.dump(value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100))


def titles_in_order(titles: list[Title]) -> list[Title]:
    """Parents before children and members before collections, so the sheet reads in
    order (the loader does not need it, but a reader does)."""
    rank = {"series": 0, "season": 1, "episode": 2, "collection": 4}
    return sorted(titles, key=lambda t: (rank.get(t.kind, 3), t.id))
