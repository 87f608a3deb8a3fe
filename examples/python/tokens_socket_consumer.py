#!/usr/bin/env python3
"""Follow the tokens daemon's Unix socket and print each new token's expiry (never the token).

Standard library only (Python 3.8+). The protocol is documented in packages/client/README.md
("The Unix socket protocol"): one JSON object per line each way; authenticate first, then
subscribe; the daemon sends the current token of every subscribed account ("source":
"snapshot") and then every new one as it is minted, stamped with its publish time ("at", epoch
ms): each pushed line shows the latency from the daemon's publish to this process.

    TOKENS_API_TOKEN=... python3 tokens_socket_consumer.py --socket /run/tokens/tokens.sock \
        --account kite-main

With --invalidate it does what a bot does after the broker answered 401/403: sends the rejected
token in an "invalidate" request (here: the daemon's current token, for the demonstration) and
prints the version of the fresh token the daemon answers with. See replace_rejected_token().

Exit codes: 0 after --count tokens (or a replaced token), 1 when the daemon could not replace the
token (--invalidate), 2 for a wrong API token, an unknown account or bad arguments, 130 on Ctrl+C.
Anything else (daemon restarting, socket missing) is retried with backoff, forever.
"""

import argparse
import datetime
import json
import os
import random
import socket
import sys
import time

MAX_LINE = 4 * 1024 * 1024


class Refused(Exception):
    """An answer with "ok": false."""

    def __init__(self, code, message):
        Exception.__init__(self, "%s: %s" % (code, message))
        self.code = code


# Errors that reconnecting does not fix (UNKNOWN_ACCOUNT: on subscribe, nothing was subscribed).
FATAL = ("UNAUTHORIZED", "UNKNOWN_ACCOUNT")


class Lines:
    """Reads newline-delimited JSON objects from a socket."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the daemon closed the connection")
            self.buf += chunk
            if len(self.buf) > MAX_LINE and b"\n" not in self.buf:
                raise ConnectionError("over-long line from the daemon")
        line, self.buf = self.buf.split(b"\n", 1)
        line = line.strip()
        if not line:
            return self.read()
        msg = json.loads(line.decode("utf-8"))
        if not isinstance(msg, dict):
            raise ConnectionError("a line that is not a JSON object")
        return msg


def send(sock, msg):
    sock.sendall((json.dumps(msg) + "\n").encode("utf-8"))


def answer(lines, want_id, on_event):
    """Reads until the answer with id `want_id`; events that arrive first go to on_event."""
    while True:
        msg = lines.read()
        if "event" in msg:
            on_event(msg)
            continue
        if msg.get("id") != want_id:
            continue
        if msg.get("ok") is True:
            return msg
        error = msg.get("error") or {}
        raise Refused(error.get("code"), error.get("message"))


def connect(path, api_token, timeout):
    """A connected, authenticated socket and its line reader."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(path)
        lines = Lines(sock)
        send(sock, {"id": "auth", "op": "auth", "token": api_token})
        answer(lines, "auth", lambda m: None)
        return sock, lines
    except BaseException:
        sock.close()
        raise


def replace_rejected_token(path, api_token, account, rejected, timeout=45.0):
    """After a 401/403: the daemon marks `rejected` bad, refreshes, and answers with the fresh token.

    Returns the answer (account, version, access_token, expires_at, ...); raises Refused with the
    daemon's code (LOGIN_REQUIRED, REFRESH_BACKOFF, ...) when it could not. A long-running
    consumer sends the same request on its subscribed connection instead, and applies the answer
    like a token event (by version).
    """
    sock, lines = connect(path, api_token, timeout)
    try:
        send(sock, {"id": "inv", "op": "invalidate", "account": account, "access_token": rejected})
        return answer(lines, "inv", lambda m: None)
    finally:
        sock.close()


def follow(path, api_token, accounts, on_token, timeout, on_connected):
    """One connection: auth, subscribe, then hand every token event to on_token until it breaks."""
    sock, lines = connect(path, api_token, timeout)
    try:
        send(sock, {"id": "sub", "op": "subscribe", "accounts": accounts or "*"})

        def on_event(msg):
            if msg.get("event") == "token":
                on_token(msg)

        answer(lines, "sub", on_event)
        on_connected()
        last_ping = time.monotonic()
        while True:
            # No event for a while: ask for a pong so a dead daemon is noticed.
            try:
                on_event(lines.read())
            except socket.timeout:
                if time.monotonic() - last_ping > timeout * 2:
                    raise ConnectionError("the daemon stopped answering")
                send(sock, {"id": "ping", "op": "ping"})
                last_ping = time.monotonic()
    finally:
        sock.close()


def expiry(expires_at):
    """'2026-01-06T00:30:00+00:00 (in 71999s)' for Unix seconds."""
    when = datetime.datetime.fromtimestamp(expires_at, tz=datetime.timezone.utc)
    return "%s (in %ds)" % (when.isoformat(), int(expires_at - time.time()))


def invalidate_current(path, api_token, account):
    """--invalidate: reads the current token and has the daemon replace it, as after a 401."""
    try:
        sock, lines = connect(path, api_token, 45.0)
        try:
            send(sock, {"id": "get", "op": "get", "account": account})
            current = answer(lines, "get", lambda m: None)
        finally:
            sock.close()
        fresh = replace_rejected_token(path, api_token, account, current["access_token"])
    except Refused as e:
        print("the daemon could not replace the token: %s" % e, file=sys.stderr)
        return 2 if e.code in FATAL else 1
    except (OSError, ConnectionError, ValueError) as e:
        print("the daemon is unreachable (%s)" % e, file=sys.stderr)
        return 1
    print("%s version %s rejected; version %s expires %s" % (account, current["version"], fresh["version"], expiry(fresh["expires_at"])), flush=True)
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--socket", default=os.environ.get("TOKENS_SOCKET", "./tokens.sock"))
    parser.add_argument("--account", action="append", default=[], help="repeat for several; default: all")
    parser.add_argument("--token-file", help="file holding the API token (default: $TOKENS_API_TOKEN)")
    parser.add_argument("--count", type=int, default=0, help="exit after this many tokens (0: never)")
    parser.add_argument("--timeout", type=float, default=15.0, help="seconds without data before a ping")
    parser.add_argument("--invalidate", action="store_true", help="replace the current token of --account (as after a 401) and exit")
    args = parser.parse_args()

    if args.token_file:
        with open(args.token_file, encoding="utf-8") as f:
            api_token = f.read().strip()
    else:
        api_token = os.environ.get("TOKENS_API_TOKEN", "")
    if not api_token:
        print("set TOKENS_API_TOKEN or pass --token-file", file=sys.stderr)
        return 2
    if args.invalidate:
        if len(args.account) != 1:
            print("--invalidate needs exactly one --account", file=sys.stderr)
            return 2
        return invalidate_current(args.socket, api_token, args.account[0])

    seen = {}  # account -> newest version printed
    printed = [0]

    class Done(Exception):
        pass

    def on_token(msg):
        account, version = msg.get("account"), msg.get("version", 0)
        if seen.get(account, -1) >= version:
            return  # the snapshot after a reconnect repeats what we have
        seen[account] = version
        # Use msg["access_token"] here: hand it to your broker SDK. Never print or log it.
        # Pushes carry "at", the daemon's publish time (epoch ms); snapshots do not.
        latency = " latency=%.1fms" % (time.time() * 1000 - msg["at"]) if isinstance(msg.get("at"), (int, float)) else ""
        print(
            "%s version %s expires %s source=%s%s"
            % (account, version, expiry(msg["expires_at"]), msg.get("source", "?"), latency),
            flush=True,
        )
        printed[0] += 1
        if args.count and printed[0] >= args.count:
            raise Done()

    delay = [0.25]

    def on_connected():
        delay[0] = 0.25

    while True:
        try:
            follow(args.socket, api_token, args.account, on_token, args.timeout, on_connected)
        except Done:
            return 0
        except Refused as e:
            if e.code in FATAL:
                what = "the API token" if e.code == "UNAUTHORIZED" else "the subscription"
                print("the daemon refused %s: %s" % (what, e), file=sys.stderr)
                return 2
            problem = e
        except (OSError, ConnectionError, ValueError) as e:
            problem = e
        print("disconnected (%s); retrying in %.1fs" % (problem, delay[0]), file=sys.stderr, flush=True)
        time.sleep(delay[0] * (0.5 + random.random() / 2))
        delay[0] = min(delay[0] * 2, 10.0)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
