"""Hostile inputs and what they cost: peak memory and time of each, through the product.

    python -m benchmarks.bombs [--only NAME[,NAME]] [--cap-gib 4] [--json]

Writes each hostile input below into a temporary folder and hands it to the product's real
entry point (``Service.load_texts`` for deal sheets, ``Service.import_feeds`` for Avails
feeds, into a fresh SQLite book), each in a process of its own, which reports its peak
resident memory (``VmHWM``), its wall time and what the product answered. The child's
address space is capped (``--cap-gib``, default 4 GiB) and its time limited (``--timeout``,
default 300 s), so a build without the limits fails the run with ``MemoryError`` or a
timeout instead of taking the machine with it.

The inputs (the tests in tests/security build the same ones from the functions here):

- ``alias-bomb``: a 354-byte YAML deal sheet whose nine nested aliases stand for 9^9
  values (the "billion laughs" of YAML);
- ``json-nesting``: a JSON deal sheet nested 100,000 levels deep;
- ``far-row``: a workbook of a few KB whose only data row is number 20,000,000;
- ``huge-cell``: a workbook of about 1 MB whose one cell holds 1 GiB of text;
- ``xxe``: an Avails XML feed whose ALID is an external entity naming a local file;
- ``entity-bomb``: an Avails XML feed whose ALID is a billion-laughs chain of entities.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

AVAILS_NS = "http://www.movielabs.com/schema/avails/v2.7/avails"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER_GROUPS = ["Avail", "Avail", "AvailTrans", "AvailTrans", "AvailAsset"]
HEADER_NAMES = ["DisplayName", "ALID", "LicenseType", "Territory", "WorkType"]


def alias_bomb() -> str:
    """A YAML deal sheet of nine nested aliases of nine: 9^9 (387 million) parties."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    lines.append(f"parties: *{previous}")
    return "\n".join(lines) + "\n"


def nested_json(levels: int = 100_000) -> str:
    """A JSON deal sheet whose ``parties`` list is nested ``levels`` deep."""
    return '{"parties": ' + "[" * levels + "]" * levels + "}"


def _cell(value: str) -> str:
    return f'<c t="inlineStr"><is><t>{value}</t></is></c>'


def _header_rows() -> str:
    rows = []
    for number, values in ((1, HEADER_GROUPS), (2, HEADER_NAMES)):
        cells = "".join(_cell(v) for v in values)
        rows.append(f'<row r="{number}">{cells}</row>')
    return "".join(rows)


def workbook(sheet_xml: Callable[[Any], None] | str) -> bytes:
    """A minimal .xlsx holding one worksheet ``Movies``. ``sheet_xml`` is the worksheet's
    XML, or a function writing it to a binary stream (for parts too big to hold)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats'
            '.org/package/2006/content-types"><Default Extension="rels" ContentType="'
            'application/vnd.openxmlformats-package.relationships+xml"/><Default Extension='
            '"xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.'
            'main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="'
            'application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>",
        )
        book.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        book.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{SHEET_NS}" xmlns:r="'
            f'{REL_NS}"><sheets><sheet name="Movies" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>",
        )
        book.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        if isinstance(sheet_xml, str):
            book.writestr("xl/worksheets/sheet1.xml", sheet_xml)
        else:
            with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
                sheet_xml(part)
    return buffer.getvalue()


def feed_sheet(rows: dict[int, list[str]]) -> str:
    """The XML of an EMA worksheet: the two header rows (Avail DisplayName and ALID,
    AvailTrans LicenseType and Territory, AvailAsset WorkType), then ``rows`` by number."""
    data = "".join(
        f'<row r="{number}">' + "".join(_cell(v) for v in values) + "</row>"
        for number, values in rows.items()
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{SHEET_NS}">'
        f"<sheetData>{_header_rows()}{data}</sheetData></worksheet>"
    )


ROW = ["Studio", "md:alid:x", "EST", "US", "Movie"]


def far_row_workbook(row: int = 20_000_000) -> bytes:
    """A workbook whose header is followed by one data row numbered ``row`` (no stored
    dimension, as many tools write it)."""
    return workbook(feed_sheet({row: ROW}))


def huge_cell_workbook(size: int = 1024**3) -> bytes:
    """A workbook of about a thousandth of ``size`` whose one data cell holds ``size``
    characters."""

    def write(part: Any) -> None:
        start, end = feed_sheet({}).split("</sheetData>")
        part.write((start + '<row r="3"><c t="inlineStr"><is><t>').encode())
        chunk = b"A" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            part.write(chunk)
        part.write(b"A" * (size % len(chunk)))
        part.write(("</t></is></c></row></sheetData>" + end).encode())

    return workbook(write)


def malformed_workbook() -> bytes:
    """A workbook whose worksheet XML breaks off in the middle of a row."""
    return workbook(feed_sheet({}).replace("</sheetData>", '<row r="3"><c t="inlineStr">'))


def xxe_feed(secret: Path) -> bytes:
    """An Avails 2.7 feed whose ALID is an external entity reading ``secret``."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<!DOCTYPE AvailList [<!ENTITY secret SYSTEM "{secret.resolve().as_uri()}">]>\n'
        f'<AvailList xmlns="{AVAILS_NS}"><Avail><ALID>&secret;</ALID></Avail></AvailList>\n'
    ).encode()


def entity_bomb_feed(levels: int = 9) -> bytes:
    """An Avails 2.7 feed whose ALID is ``levels`` nested entities of ten: 3 x 10^levels
    characters once expanded (10^9: the "billion laughs")."""
    entities = ['<!ENTITY lol0 "lol">']
    for level in range(1, levels + 1):
        entities.append(f'<!ENTITY lol{level} "' + f"&lol{level - 1};" * 10 + '">')
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<!DOCTYPE AvailList [{''.join(entities)}]>\n"
        f'<AvailList xmlns="{AVAILS_NS}"><Avail><ALID>&lol{levels};</ALID></Avail></AvailList>\n'
    ).encode()


# -- measuring -------------------------------------------------------------------------------

BOMBS = ("alias-bomb", "json-nesting", "far-row", "huge-cell", "xxe", "entity-bomb")


def write_bomb(name: str, folder: Path) -> Path:
    """Write one hostile input into ``folder``; the path carries the kind as its suffix."""
    if name == "alias-bomb":
        path = folder / "bomb.yaml"
        path.write_text(alias_bomb())
    elif name == "json-nesting":
        path = folder / "nested.json"
        path.write_text(nested_json())
    elif name == "far-row":
        path = folder / "far-row.xlsx"
        path.write_bytes(far_row_workbook())
    elif name == "huge-cell":
        path = folder / "huge-cell.xlsx"
        path.write_bytes(huge_cell_workbook())
    elif name == "xxe":
        secret = folder / "secret.txt"
        secret.write_text("BOMBS-SECRET-TEXT")
        path = folder / "xxe.xml"
        path.write_bytes(xxe_feed(secret))
    elif name == "entity-bomb":
        path = folder / "entity-bomb.xml"
        path.write_bytes(entity_bomb_feed())
    else:
        raise SystemExit(f"unknown bomb {name!r} (one of {', '.join(BOMBS)})")
    return path


def _peak_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(path: str, db: str) -> None:
    """Hand one input to the product (in a process of its own) and report."""
    from reelrights.domain.problems import InvalidInput
    from reelrights.service import Service

    service = Service(db, actor="bombs")
    started = time.perf_counter()
    try:
        if path.endswith((".yaml", ".json")):
            service.load_texts([(path, Path(path).read_text())])
        else:
            service.import_feeds([path])
        answer = "accepted"
    except InvalidInput as error:
        answer = "refused: " + str(error.problems[0]).replace(str(Path(path).parent), "")[:160]
    except BaseException as error:  # what the product let escape is the finding
        answer = f"crashed: {type(error).__name__}: {str(error)[:120]}"
    seconds = time.perf_counter() - started
    stored = b"".join(p.read_bytes() for p in Path(db).parent.glob(Path(db).name + "*"))
    secret = b"BOMBS-SECRET-TEXT" in stored
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_bytes": _peak_bytes(),
                "answer": answer,
                "secret_stored": secret,
            }
        )
    )


def measure(name: str, cap_gib: float, timeout: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = write_bomb(name, Path(folder))
        cap = int(cap_gib * 1024**3)

        def limit() -> None:
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

        started = time.perf_counter()
        try:
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.bombs",
                    "--child",
                    str(path),
                    str(Path(folder) / "book.db"),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
                preexec_fn=limit,
            )
        except subprocess.TimeoutExpired:
            return {
                "bomb": name,
                "input_bytes": path.stat().st_size,
                "answer": f"still running after {timeout:.0f} s (killed)",
            }
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            return {
                "bomb": name,
                "input_bytes": path.stat().st_size,
                "seconds": round(time.perf_counter() - started, 1),
                "answer": f"process died ({done.returncode}): {tail[:120]}",
            }
        report = json.loads(lines[-1])
        return {
            "bomb": name,
            "input_bytes": path.stat().st_size,
            "seconds": round(report["seconds"], 2),
            "peak_mb": round(report["peak_bytes"] / 1e6),
            "answer": report["answer"],
            "secret_stored": report["secret_stored"],
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", help="bombs to run, comma separated: " + ", ".join(BOMBS))
    parser.add_argument("--cap-gib", type=float, default=4.0, help="address-space cap (GiB)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per bomb")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    names = args.only.split(",") if args.only else list(BOMBS)
    rows = [measure(name, args.cap_gib, args.timeout) for name in names]
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print("| bomb | input | time | peak memory | secret stored | answer |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for row in rows:
        peak = f"{row['peak_mb']} MB" if "peak_mb" in row else "-"
        took = f"{row['seconds']} s" if "seconds" in row else "-"
        secret = {True: "yes", False: "no"}.get(row.get("secret_stored"), "-")
        print(
            f"| {row['bomb']} | {row['input_bytes']:,} B | {took} | {peak} | {secret} "
            f"| {row['answer']} |"
        )


if __name__ == "__main__":
    main()
