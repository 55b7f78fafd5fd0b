#!/usr/bin/env python3
"""A tiny SMTP server for the reply-mail tests (aiosmtpd, Debian python3-aiosmtpd).

Usage: smtp_sink.py DIR PORT
Listens on 127.0.0.1:PORT and writes every mail it accepts into DIR as mail-N.eml: a first line
"X-Envelope-To: <recipients>" and then the message exactly as received. A file appears whole
(written under another name, then renamed). Prints "ready" once it listens; runs until killed.
"""
import itertools
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.numbers = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.numbers)
        temp = os.path.join(self.directory, ".mail-%d.tmp" % n)
        content = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        with open(temp, "wb") as f:
            f.write(b"X-Envelope-To: " + ",".join(envelope.rcpt_tos).encode() + b"\r\n" + content)
        os.rename(temp, os.path.join(self.directory, "mail-%d.eml" % n))
        return "250 OK"


def main():
    directory, port = sys.argv[1], int(sys.argv[2])
    controller = Controller(Sink(directory), hostname="127.0.0.1", port=port)
    controller.start()
    print("ready", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    main()
