"""The service's problems with a deal, said for a person filling in the deal form: a human
label for the field ("Grant 1 · Media") and the form input it concerns, instead of the
sheet's path (``contracts[0].grants[0].media``). Pure presentation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from reelrights.domain.problems import Problem

FIELDS = {
    "id": "Contract id",
    "licensor": "Licensor",
    "licensee": "Licensee",
    "titles": "Titles",
    "media": "Media",
    "territories": "Territories",
    "languages": "Languages",
    "start": "From",
    "end": "To",
    "exclusive": "Exclusive",
    "sublicense": "May sublicense",
    "status": "Status",
    "signed": "Signed",
    "fee": "Fee",
    "currency": "Currency",
    "minimum_guarantee": "Minimum guarantee",
    "revenue_share": "Revenue share",
    "reporting": "Reporting",
    "payments": "Payment schedule",
    "kind": "Kind",
    "holder": "Holder",
    "exercise_by": "Exercise by",
    "due": "Due",
    "amount": "Amount",
}
ROWS = {"grants": "Grant", "holdbacks": "Holdback", "options": "Option", "payments": "Payment"}
_ITEM = re.compile(r"(grants|holdbacks|options|payments)\[(\d+)\](?:\.(\w+))?")
_TOP = re.compile(
    r"(?:^|[. ])(id|licensor|licensee|status|signed|fee|minimum_guarantee|currency|"
    r"revenue_share|reporting|payments)(?:$|\.|\[)"
)


@dataclass(frozen=True)
class FieldProblem:
    label: str  # "Grant 1 · Media", "Licensee", or "Deal"
    message: str
    input: str | None  # the form input's name ("grants-0-media"), when there is one

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"


def labelled(problem: Problem, positions: Mapping[str, list[int]] | None = None) -> FieldProblem:
    """``problem`` with a human label and the input it concerns. ``positions`` maps a
    document's rows to the form's (rows left empty on the form are not in the document).

    >>> str(labelled(Problem("unknown medium 'SVODD'; did you mean SVOD?",
    ...                      file="contract", field="contracts[0].grants[0].media")))
    "Grant 1 · Media: unknown medium 'SVODD' — did you mean SVOD?"
    >>> labelled(Problem("unknown title 'nope'", field="contract x grants[1]")).input
    'grants-1-titles'
    >>> labelled(Problem("missing", field="contracts[0].options[0].exercise_by"), {"options": [2]})
    FieldProblem(label='Option 3 · Exercise by', message='missing', input='options-2-exercise_by')
    >>> labelled(Problem("must be more than zero", field="contracts[0].fee.amount")).input
    'fee'
    """
    message = problem.message.replace("; did you mean", " — did you mean")
    where = problem.field or ""
    item = _ITEM.search(where)
    if item:
        kind, index, name = item.group(1), int(item.group(2)), item.group(3)
        rows = (positions or {}).get(kind)
        if rows and index < len(rows):
            index = rows[index]
        label = f"{ROWS[kind]} {index + 1}"
        if name is None and message.startswith("unknown title"):
            name = "titles"
        if name:
            label += f" · {FIELDS.get(name, name.replace('_', ' ').capitalize())}"
        field = f"{kind}-{index}-{name}" if name in FIELDS else None
        return FieldProblem(label, message, field)
    top = _TOP.search(where)
    if top:
        return FieldProblem(FIELDS[top.group(1)], message, top.group(1))
    return FieldProblem("Deal", message, None)


__all__ = ["FieldProblem", "labelled"]
