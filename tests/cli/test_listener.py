"""The socket uvicorn binds for ``reelrights serve --workers N`` says IPPROTO_TCP, so
asyncio turns Nagle's algorithm off on every connection (cli/listener.py)."""

from __future__ import annotations

import asyncio
import socket

from uvicorn.config import Config

from reelrights.cli.listener import tcp_listener, tcp_listeners


def test_uvicorns_worker_socket_says_tcp_inside_and_is_left_alone_outside() -> None:
    original = Config.bind_socket
    with tcp_listeners():
        sock = Config("x:app", host="127.0.0.1", port=0).bind_socket()
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.get_inheritable()  # the workers receive it
        assert sock.getsockname()[0] == "127.0.0.1"
    finally:
        sock.close()
    assert Config.bind_socket is original


def test_a_connection_accepted_on_it_has_nodelay() -> None:
    """What the workers do with the socket: asyncio serves on it; the accepted connection
    must have TCP_NODELAY (on the socket as uvicorn binds it, of protocol 0, it did not)."""

    async def nodelay(listener: socket.socket) -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        class Report(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                accepted = transport.get_extra_info("socket")
                seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await asyncio.get_running_loop().create_server(Report, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            return await asyncio.wait_for(seen, 10)
        finally:
            writer.close()
            server.close()

    fixed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # as uvicorn binds it
    fixed.bind(("127.0.0.1", 0))
    assert asyncio.run(nodelay(tcp_listener(fixed))) != 0


def test_other_sockets_are_returned_as_they_are() -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix:
        assert tcp_listener(unix) is unix
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        assert tcp_listener(udp) is udp
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as tcp:
        assert tcp_listener(tcp) is tcp
