"""`python -m sim app [--port N] [--host H]`: the interactive app (sim/app.py) in the browser.

It starts Solara's server on the app module, as ``solara run sim.app`` does, in place of this
process, and prints the address to open.
Needs the `viz` extra: ``pip install "kz-escalation-sim[viz]"``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import socket
import sys
from collections.abc import Sequence

PROG = "python -m sim app"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=8765, help="port to serve on (default 8765)")
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    return p


def address_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port (no such address on this machine, a port in
    use), or None. Bound the way the server binds (SO_REUSEADDR), then released at once."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        return f"--host = {host!r} is not allowed: not a name or address ({error})"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            return (
                f"cannot serve on {host}:{port}: {error.strerror or error}; choose another "
                "--port, or a --host of this machine"
            )
    return None


def main(argv: Sequence[str]) -> int:
    """Serve the app until interrupted; exit code 2 when the viz extra is missing."""
    args = parser().parse_args(list(argv))
    if importlib.util.find_spec("solara") is None:
        print(
            f"{PROG}: error: the app needs the viz extra: "
            'pip install "kz-escalation-sim[viz]" (or make test, which installs it)',
            file=sys.stderr,
        )
        return 2
    if not 0 < args.port < 65536:
        print(
            f"{PROG}: error: --port = {args.port} is not allowed: expected 1-65535", file=sys.stderr
        )
        return 2
    problem = address_problem(args.host, args.port)
    if problem:  # the server would exit with its own code 3 (review 2, D12): say why, exit 2
        print(f"{PROG}: error: {problem}", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "solara", "run", "sim.app"]
    command += ["--host", args.host, "--port", str(args.port), "--production", "--no-open"]
    print(f"serving the app on http://{args.host}:{args.port} (Ctrl-C stops it)", flush=True)
    os.execv(sys.executable, command)  # the server takes this process's place (and its id)
    return 0  # not reached
