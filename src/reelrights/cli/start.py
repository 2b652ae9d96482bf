"""The ``reelrights`` program's entry point: the command line, imported with the garbage
collector paused.

Importing the CLI creates some hundred thousand objects (SQLAlchemy, numpy, Typer, the
engine's tables), none of them garbage, and the collector would walk them again and again
while they are made: about a tenth of a fresh process's start-up before its first answer.
It is paused for the imports only; the command itself (a server among them) runs with it
as usual.
"""

from __future__ import annotations

import gc


def main() -> None:
    """Import the command line with the collector paused, then run it."""
    paused = gc.isenabled()
    gc.disable()
    try:
        from reelrights.cli.main import main as run
    finally:
        if paused:
            gc.enable()
    run()
