"""The ``reelrights`` command line (Typer + Rich), a thin layer over the service."""
