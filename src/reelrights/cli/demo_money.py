"""The money part of ``reelrights demo``: exchange rates, Youku's sales report for the
Paramount package (in CNY, ILLUSTRATIVE figures), and one statement on screen.

Youku reports in CNY; the contract is in USD with an MG of 500,000 and a share of 30% up
to 1,000,000 of converted gross, 40% above. In 2015-Q4 Interstellar's line crosses the
tier and is cut in two; the MG is recouped and the overage becomes due.
"""

from __future__ import annotations

from rich.console import Console

from reelrights.cli.money import print_statement
from reelrights.service import Service

DEMO_RATES = """date,from,to,rate
2015-07-01,USD,CNY,6.2
2015-10-01,USD,CNY,6.4
"""

DEMO_SALES = """licensee,title,medium,territory,period_start,period_end,units,gross,currency
youku,interstellar,SVOD,CN,2015-07-01,2015-09-30,120000,2500000,CNY
youku,world-war-z,SVOD,CN,2015-07-01,2015-09-30,61000,1200000,CNY
youku,interstellar,SVOD,CN,2015-10-01,2015-12-31,150000,3000000,CNY
youku,transformers-4,SVOD,CN,2015-10-01,2015-12-31,210000,4000000,CNY
youku,interstellar,SVOD,HK,2015-10-01,2015-12-31,900,50000,CNY
"""

CONTRACT, PERIOD = "youku-paramount-svod", "2015-Q4"


def show_money(service: Service, out: Console, command: str) -> None:
    """Import the demo's rates and sales report, then print one statement."""
    service.import_rates([("demo-rates.csv", DEMO_RATES.encode())])
    result = service.import_sales([("youku-2015.csv", DEMO_SALES.encode())])
    out.print(
        "[bold cyan]$[/bold cyan] Youku's 2015 sales report (illustrative figures, in CNY): "
        f"{result.matched} lines matched, {result.unmatched_count} unmatched"
    )
    for line in result.unmatched:
        out.print(
            f"  line {line['line']}: {line['reason']} ({line['title']} in {line['territory']})"
        )
    print_statement(service.statement(CONTRACT, PERIOD).to_json())
    out.print(
        f"  the same as a PDF: {command} statement --contract {CONTRACT} --period {PERIOD} "
        "--pdf statement.pdf\n"
        f"  what is owed and paid: {command} payments list --party youku --today 2016-03-01\n",
        soft_wrap=True,
    )
