#!/usr/bin/python3
"""A TLS server for the network tests, serving many connections at once
(openssl s_server serves one at a time), in the server namespace:

    tls_server.py CERT KEY PORT sink     read until the end, never write
    tls_server.py CERT KEY PORT echo     write back what was read
    tls_server.py CERT KEY PORT connack  an MQTT 5.0 broker that accepts
                                         the CONNECT, then answers nothing
"""
import socket
import ssl
import sys
import threading


# CONNACK, MQTT 5.0: no session present, success, no properties.
CONNACK = b"\x20\x03\x00\x00\x00"


def serve(context, conn, mode):
    try:
        with context.wrap_socket(conn, server_side=True) as tls:
            first = True
            while True:
                data = tls.recv(65536)
                if not data:
                    return
                if mode == "echo":
                    tls.sendall(data)
                elif mode == "connack" and first:
                    tls.sendall(CONNACK)
                first = False
    except (OSError, ssl.SSLError):
        return


def main():
    cert, key, port, mode = sys.argv[1:5]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("0.0.0.0", int(port)), backlog=128)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(context, conn, mode),
                         daemon=True).start()


if __name__ == "__main__":
    main()
