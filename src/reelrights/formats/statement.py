"""A royalty statement as CSV (every line, then the totals) or PDF (for a licensor's
accountant: totals first, then every line that led to them).

Both render :meth:`Statement.to_json`, so the figures are the same strings as the JSON;
the PDF carries no creation date, so the same statement gives the same bytes.
"""

from __future__ import annotations

import io
from typing import Any

from reelrights.engine.royalties import Statement
from reelrights.formats.table import render_csv as render_table_csv

LINE_COLUMNS = (
    "title",
    "medium",
    "territory",
    "period_start",
    "period_end",
    "gross",
    "currency",
    "fx_rate",
    "fx_date",
    "fx_inverse",
    "gross_converted",
    "share_entry",
    "tier",
    "piece",
    "rate",
    "royalty",
    "source",
)
TOTALS = (
    "gross_converted",
    "royalties",
    "minimum_guarantee",
    "earned_to_date",
    "recouped_to_date",
    "unrecouped",
    "overage_to_date",
    "previously_due",
    "due",
)


def render_csv(statement: Statement) -> str:
    """Every line (one row per piece), then one row per total; every cell through the one
    formula-safe CSV writer."""
    data = statement.to_json()
    rows: list[list[Any]] = [list(LINE_COLUMNS)]
    rows += [
        ["" if line.get(c) is None else str(line.get(c)) for c in LINE_COLUMNS]
        for line in data["lines"]
    ]
    rows += [[], ["contract", data["contract"]], ["period", data["period"]]]
    rows += [["currency", data["currency"]]] + [[key, data[key]] for key in TOTALS]
    return render_table_csv(rows)


def render_pdf(statement: Statement) -> bytes:
    """The statement on A4 pages: parties, period and totals first, then every line."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    data = statement.to_json()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=f"Royalty statement {data['contract']} {data['period']}",
        author="reelrights",
        invariant=1,
    )
    styles = getSampleStyleSheet()
    story: list[Any] = [
        Paragraph(
            f"Royalty statement: {_esc(data['contract'])}, {data['period']}", styles["Title"]
        ),
        Paragraph(
            f"Licensor {_esc(data['licensor'] or '-')} · licensee {_esc(data['licensee'])} · "
            f"period {data['period_start']} to {data['period_end']} · amounts in "
            f"{data['currency']} · payable on {data['payable_on']}",
            styles["Normal"],
        ),
        Spacer(1, 4 * mm),
    ]
    totals = [["", data["currency"]]] + [[key.replace("_", " "), data[key]] for key in TOTALS]
    table = Table(totals, hAlign="LEFT", colWidths=[60 * mm, 40 * mm])
    table.setStyle(
        TableStyle(
            [
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.black),
            ]
        )
    )
    story += [table, Spacer(1, 6 * mm)]
    story.append(Paragraph(f"Lines ({len(data['lines'])})", styles["Heading2"]))
    columns = (
        "title",
        "medium",
        "territory",
        "period_end",
        "gross",
        "currency",
        "fx_rate",
        "gross_converted",
        "tier",
        "rate",
        "royalty",
        "source",
    )
    rows = [list(columns)] + [[_cell(line.get(c)) for c in columns] for line in data["lines"]]
    if len(rows) == 1:
        rows.append(["no sales lines in this period"] + [""] * (len(columns) - 1))
    lines = Table(rows, repeatRows=1, hAlign="LEFT")
    lines.setStyle(
        TableStyle(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 7),
                ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                ("ALIGN", (4, 1), (-2, -1), "RIGHT"),
            ]
        )
    )
    story.append(lines)
    document.build(story)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
