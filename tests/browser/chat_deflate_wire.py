#!/usr/bin/env python3
"""The chat built with `deflate-compress`, checked on the wire (scripts/chat-browser runs it
when CHAT_FEATURES has deflate-compress).

Two raw WebSocket clients (stdlib only) offer permessage-deflate, join and one says a
message. Checks: the 101 answers with server_no_context_takeover; the room's broadcast
reaches both members as a text frame with RSV1 set whose payload is byte-for-byte the same
for both (compressed once for the room), and which inflates on its own (a fresh raw
inflater plus the RFC 7692 tail) to the expected JSON; the direct reply (welcome) may be
either form, and every frame decodes.

usage: chat_deflate_wire.py PORT
"""
import base64
import json
import os
import socket
import struct
import sys
import zlib

TAIL = b"\x00\x00\xff\xff"


def fail(msg):
    print("chat_deflate_wire: FAIL:", msg)
    sys.exit(1)


class Client:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                "Sec-WebSocket-Version: 13\r\n"
                "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n"
                % key
            ).encode()
        )
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.head = head.decode("latin-1")
        if not self.head.startswith("HTTP/1.1 101"):
            fail("no 101: %r" % self.head)

    def fill(self):
        data = self.sock.recv(65536)
        if not data:
            fail("connection closed early")
        self.buf += data

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def frame(self):
        """One frame: (fin, rsv1, opcode, payload). Server frames are unmasked."""
        b0, b1 = self.take(2)
        if b1 & 0x80:
            fail("a masked server frame")
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack(">H", self.take(2))
        elif n == 127:
            (n,) = struct.unpack(">Q", self.take(8))
        return bool(b0 & 0x80), bool(b0 & 0x40), b0 & 0x0F, self.take(n)

    def text(self):
        """The next text message: (compressed?, raw payload, decoded object)."""
        fin, rsv1, opcode, payload = self.frame()
        if opcode != 1 or not fin:
            fail("expected one whole text frame, got opcode %d fin %s" % (opcode, fin))
        data = payload
        if rsv1:
            # server_no_context_takeover: each message inflates on its own.
            data = zlib.decompressobj(-15).decompress(payload + TAIL)
        return rsv1, payload, json.loads(data.decode("utf-8"))

    def send_text(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        header = bytes([0x81])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        else:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(header + mask + masked)

    def until(self, kind):
        while True:
            rsv1, payload, obj = self.text()
            if obj.get("type") == kind:
                return rsv1, payload, obj


def main():
    port = int(sys.argv[1])
    a, b = Client(port), Client(port)
    for c in (a, b):
        ext = [l for l in c.head.split("\r\n") if l.lower().startswith("sec-websocket-extensions:")]
        if not ext or "permessage-deflate" not in ext[0] or "server_no_context_takeover" not in ext[0]:
            fail("extension answer: %r" % ext)
    a.send_text({"type": "join", "nick": "zip-a"})
    a.until("welcome")
    b.send_text({"type": "join", "nick": "zip-b"})
    b.until("welcome")
    text = "compress me once, send me to everyone " * 20
    a.send_text({"type": "say", "text": text})
    got = [c.until("message") for c in (a, b)]
    for rsv1, payload, obj in got:
        if not rsv1:
            fail("the broadcast arrived uncompressed")
        if obj.get("text") != text or obj["from"]["nick"] != "zip-a":
            fail("wrong broadcast: %r" % obj)
        if len(payload) * 3 > len(text):
            fail("compressed to %d bytes of %d" % (len(payload), len(text)))
    if got[0][1] != got[1][1]:
        fail("the two members got different compressed bytes (compressed twice?)")
    print(
        "chat_deflate_wire: ok (broadcast of %d B text sent as %d B, the same bytes to both members)"
        % (len(text), len(got[0][1]))
    )


main()
