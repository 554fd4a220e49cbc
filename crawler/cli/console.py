"""``serve`` (the operator's console, ``crawler.console``) and ``alarms`` (the console's alarms,
for cron and monitoring: exit status 1 while any is open). Both only read."""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import socket
import sys

from crawler.cli.common import UsageError, project_settings
from crawler.cli.options import Commands, db_option, whole_number
from crawler.storage import make_reader, make_sessionmaker, resolve_url
from crawler.storage.health import open_alarms

TOKEN_VARIABLE = "NEWSCRAWL_CONSOLE_TOKEN"


def add_parsers(commands: Commands) -> None:
    serve = commands.add_parser("serve", help="the operator's console: a read-only web page over the database")
    db_option(serve)
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; any other needs a token)")
    serve.add_argument("--port", type=whole_number(0), default=8080, help="port to listen on (default 8080; 0: any free one)")
    serve.add_argument("--token", help=f"a secret every request must carry (default: ${TOKEN_VARIABLE})")
    serve.set_defaults(func=cmd_serve)

    alarms = commands.add_parser("alarms", help="print the sites in alarm; exit status 1 while any is")
    db_option(alarms)
    alarms.set_defaults(func=cmd_alarms)


def loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _listening(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        listener = socket.socket(family, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(2048)  # connections wait in the backlog until the server takes them
    except OSError as exc:
        raise UsageError(f"serve: cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    return listener


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from crawler.console.app import make_app

    if args.port > 65535:
        raise UsageError(f"serve: --port must be at most 65535, not {args.port}")
    token = args.token or os.environ.get(TOKEN_VARIABLE) or None
    if not loopback(args.host) and token is None:
        raise UsageError(f"serve: --host {args.host} is reachable from other machines: give --token TOKEN "
                         f"(or set {TOKEN_VARIABLE}) so that only those who have it can read the database")
    db_url = resolve_url(project_settings(), args.db)
    engine = make_reader(db_url)
    listener = _listening(args.host, args.port)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"newscrawl console on http://{shown}:{listener.getsockname()[1]}/ over {engine.url.render_as_string()}"
          + (" (token required)" if token else "") + "; Ctrl-C stops it", file=sys.stderr, flush=True)
    try:
        uvicorn.Server(uvicorn.Config(make_app(engine, token), log_level="warning")).run(sockets=[listener])
    finally:
        engine.dispose()
    return 0


def cmd_alarms(args: argparse.Namespace) -> int:
    engine = make_reader(resolve_url(project_settings(), args.db))
    try:
        with make_sessionmaker(engine)() as session:
            found = open_alarms(session, dt.datetime.now(dt.UTC))
    finally:
        engine.dispose()
    for alarm in found:
        print(f"{alarm.kind:8}  {alarm.site}  {alarm.message}")
    if not found:
        print("no open alarm")
    return 1 if found else 0
