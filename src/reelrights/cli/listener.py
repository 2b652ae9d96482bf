"""The listening socket of ``reelrights serve --workers N``: one that keeps Nagle's
algorithm off on every connection.

With more than one worker, uvicorn binds the listening socket itself
(``Config.bind_socket``) and hands it to the worker processes. It makes that socket with
its protocol number left at 0; accepted connections inherit it, and asyncio turns on
``TCP_NODELAY`` only on a connection whose socket says ``IPPROTO_TCP``. So every
keep-alive request after a connection's first waited for the client's delayed
acknowledgement, about 40 ms on Linux, before the second half of its answer was sent:
``/health`` took 48 ms with two workers against 1 ms with one, and ``POST /avails`` at
10,000 licenses fell from 177 to 19 requests a second on one connection (uvicorn 0.54;
the single-worker path is not affected, asyncio binds that socket itself).

:func:`tcp_listeners` makes uvicorn's bound socket say ``IPPROTO_TCP`` (the same file
descriptor, re-wrapped), which the worker processes receive as it is. Once uvicorn does
this itself, it changes nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

INTERNET = (socket.AF_INET, socket.AF_INET6)


def tcp_listener(sock: socket.socket) -> socket.socket:
    """``sock``, saying ``IPPROTO_TCP`` if it is an internet stream socket that does not
    (the same descriptor; inheritable as before). Any other socket is returned as it is."""
    if sock.family not in INTERNET or sock.type != socket.SOCK_STREAM:
        return sock
    if sock.proto == socket.IPPROTO_TCP:
        return sock
    inheritable = sock.get_inheritable()
    tcp = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, sock.detach())
    tcp.set_inheritable(inheritable)
    return tcp


@contextmanager
def tcp_listeners() -> Iterator[None]:
    """While inside: every socket uvicorn binds for its workers says ``IPPROTO_TCP``."""
    from uvicorn.config import Config

    bind: Callable[[Config], socket.socket] = Config.bind_socket

    def bind_socket(config: Config) -> socket.socket:
        return tcp_listener(bind(config))

    patched: Any = bind_socket
    setattr(Config, "bind_socket", patched)  # noqa: B010 (mypy: no assigning to a method)
    try:
        yield
    finally:
        setattr(Config, "bind_socket", bind)  # noqa: B010
