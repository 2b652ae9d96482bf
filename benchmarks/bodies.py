"""Large request bodies against a real server: what the server reads and how much memory
it takes before it answers.

    python -m benchmarks.bodies [--mib 200] [--src PATH] [--json]

Starts ``reelrights serve`` (uvicorn) on a free loopback port over a fresh SQLite book, in
a process of its own (``--src`` runs another checkout's ``src`` folder instead of the
installed package, to compare with an older version), then sends ``POST /contracts`` a
JSON body of ``--mib`` MiB in 1 MiB pieces over a raw socket, three ways:

- ``no-key``: no Authorization header, an honest Content-Length;
- ``key-chunked``: a valid admin key, no Content-Length (chunked transfer encoding);
- ``key-length``: a valid admin key, an honest Content-Length.

For each it reports the status, how many bytes the client got to send before the server
answered or closed, and the server's peak resident memory (``VmHWM``) after the request;
the server is restarted between cases so each peak is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PIECE = b'{"id": "x", "licensee": "' + b"x" * (1024 * 1024 - 27) + b'", '


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_server(folder: Path, src: str | None) -> tuple[subprocess.Popen[bytes], int, str]:
    """A server on a fresh book, and an admin key for it."""
    db = folder / f"book-{time.monotonic_ns()}.db"
    env = {**os.environ, "REELRIGHTS_DB": str(db), "REELRIGHTS_LOG": "WARNING"}
    if src:
        env["PYTHONPATH"] = src
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "reelrights.cli.main",
            *("keys", "create", "--role", "admin", "--json"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = json.loads(made.stdout)["key"]
    port = free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "uvicorn", "--factory"),
            "reelrights.web.app:site_from_environment",
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        env=env,
    )
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    return server, port, key


def send(port: int, mib: int, key: str | None, chunked: bool) -> tuple[int | None, int]:
    """(status, bytes sent before the server answered or closed)."""
    head = [
        "POST /contracts HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Content-Type: application/json",
        "Connection: close",
    ]
    if key:
        head.append(f"Authorization: Bearer {key}")
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {mib * len(PIECE)}")
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as conn:
        conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        conn.settimeout(0.0)
        answer = b""
        try:
            for _ in range(mib):
                piece = (b"%x\r\n" % len(PIECE) + PIECE + b"\r\n") if chunked else PIECE
                conn.settimeout(60)
                conn.sendall(piece)
                sent += len(PIECE)
                conn.settimeout(0.0)
                try:
                    answer += conn.recv(65536)
                except BlockingIOError:
                    continue
                if answer:
                    break
            if chunked and not answer:
                conn.settimeout(60)
                conn.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        conn.settimeout(120)
        try:
            while b"\r\n" not in answer:
                more = conn.recv(65536)
                if not more:
                    break
                answer += more
        except (TimeoutError, ConnectionResetError):
            pass
    status = int(answer.split()[1]) if answer.startswith(b"HTTP/") else None
    return status, sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=200)
    parser.add_argument("--src", default=None, help="run this checkout's src folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="reelrights-bodies-") as folder:
        for case, with_key, chunked in (
            ("no-key", False, False),
            ("key-chunked", True, True),
            ("key-length", True, False),
        ):
            server, port, key = start_server(Path(folder), args.src)
            try:
                before = peak_rss_mib(server.pid)
                started = time.perf_counter()
                status, sent = send(port, args.mib, key if with_key else None, chunked)
                seconds = time.perf_counter() - started
                time.sleep(0.5)
                rows.append(
                    {
                        "case": case,
                        "status": status,
                        "sent_mib": round(sent / 2**20, 1),
                        "server_peak_mib_before": round(before, 1),
                        "server_peak_mib_after": round(peak_rss_mib(server.pid), 1),
                        "seconds": round(seconds, 2),
                    }
                )
            finally:
                server.terminate()
                server.wait(30)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'case':<12} {'status':>6} {'sent MiB':>9} {'peak MiB':>9} {'seconds':>8}")
    for row in rows:
        print(
            f"{row['case']:<12} {row['status']!s:>6} {row['sent_mib']:>9} "
            f"{row['server_peak_mib_after']:>9} {row['seconds']:>8}"
        )


if __name__ == "__main__":
    main()
