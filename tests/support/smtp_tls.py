"""A real SMTP relay with TLS and AUTH for tests/dispatch_smtp_tls.rs, built on aiosmtpd.

Two ports on 127.0.0.1, both requiring AUTH (PLAIN or LOGIN) with the given user and password:
  starttls: plain connect; STARTTLS is required before anything else, AUTH only after it;
  smtps:    TLS from the first byte (implicit TLS).

Everything it sees is printed on stdout, one JSON object a line, flushed at once:
  {"ready": true, "starttls": PORT, "smtps": PORT}       once, when both ports listen
  {"event": "connect", "conn": N, "port": "starttls"}     a new SMTP session (N counts from 1)
  {"event": "starttls", "conn": N, "tls": "TLSv1.3"}      the STARTTLS handshake completed
  {"event": "auth", "conn": N, "mechanism": "PLAIN", "user": "...", "ok": true, "tls": "TLSv1.3"}
  {"event": "message", "conn": N, "port": ..., "tls": ..., "user": ..., "from": ..., "to": [...],
   "data": "..."}                                          printed before the 250 is sent
It exits when its standard input closes (the test process ended), or on SIGTERM/SIGKILL.

usage: smtp_tls.py CERT_PEM KEY_PEM USER PASSWORD
"""

import asyncio
import itertools
import json
import logging
import os
import ssl
import sys
import threading
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

_ids = itertools.count(1)


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def tls_version(server):
    transport = server.transport
    ssl_object = transport.get_extra_info("ssl_object") if transport else None
    return ssl_object.version() if ssl_object else None


class Session(SMTP):
    """One SMTP session, numbered, on a named port."""

    def __init__(self, port_name, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.port_name = port_name
        self.conn = next(_ids)
        emit({"event": "connect", "conn": self.conn, "port": port_name})


class Handler:
    def handle_STARTTLS(self, server, session, envelope):
        emit({"event": "starttls", "conn": server.conn, "tls": tls_version(server)})
        return True

    async def handle_DATA(self, server, session, envelope):
        user = None
        if session.authenticated and isinstance(session.auth_data, LoginPassword):
            user = session.auth_data.login.decode("utf-8", "replace")
        emit(
            {
                "event": "message",
                "conn": server.conn,
                "port": server.port_name,
                "tls": tls_version(server),
                "user": user,
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "data": envelope.content.decode("utf-8", "replace"),
            }
        )
        return "250 2.0.0 OK"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user
            and auth_data.password == password
        )
        login = getattr(auth_data, "login", b"").decode("utf-8", "replace")
        emit(
            {
                "event": "auth",
                "conn": server.conn,
                "mechanism": mechanism,
                "user": login,
                "ok": ok,
                "tls": tls_version(server),
            }
        )
        # handled=False: aiosmtpd answers 535 5.7.8 itself.
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    return check


async def main(cert, key, user, password):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Handler()
    check = authenticator(user.encode(), password.encode())
    common = dict(hostname="relay.test", auth_required=True, authenticator=check)

    def starttls():
        return Session(
            "starttls",
            handler,
            tls_context=context,
            require_starttls=True,
            auth_require_tls=True,
            **common,
        )

    def smtps():
        # The whole connection is TLS; aiosmtpd only knows about STARTTLS, so its "AUTH needs TLS"
        # rule is switched off here, where it would refuse AUTH on an encrypted connection.
        return Session("smtps", handler, auth_require_tls=False, **common)

    loop = asyncio.get_running_loop()
    plain_server = await loop.create_server(starttls, "127.0.0.1", 0)
    tls_server = await loop.create_server(smtps, "127.0.0.1", 0, ssl=context)
    emit(
        {
            "ready": True,
            "starttls": plain_server.sockets[0].getsockname()[1],
            "smtps": tls_server.sockets[0].getsockname()[1],
        }
    )
    await asyncio.Event().wait()


def exit_when_stdin_closes():
    sys.stdin.read()
    os._exit(0)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    warnings.simplefilter("ignore")
    logging.basicConfig(level=logging.ERROR)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    asyncio.run(main(*sys.argv[1:]))
