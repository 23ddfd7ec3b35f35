"""What a seed of a *_calls fuzz target is made of, for the compartments'
fuzz/make_calls_seeds.py.

A seed is a request from the fuzzing caller (fuzz/compartment_calls.c),
made with flatc from JSON; a seed that goes further carries, behind the
magic "SNFZ" and the request's length, a script of answers to the
compartment's own calls, in the order it makes them
(fuzz/call_replies.c).
"""
import json
import os
import struct
import subprocess
import tempfile

SCRIPT_MAGIC = b"SNFZ"
# The most bytes one scripted Received carries.
MAX_SCRIPTED_DATA = 255


def request(schema, export, body_type, body):
    """The request message, as flatc builds it from the schema."""
    msg = {"call_id": 1, "deadline_ns": 0, "call_type": "request",
           "export": export, "body_type": body_type, "body": body}
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(d, "m.json")
        with open(src, "w") as f:
            json.dump(msg, f)
        subprocess.run(["flatc", "-b", "-o", d, schema, src], check=True)
        with open(os.path.join(d, "m.snmsg"), "rb") as f:
            return f.read()


def ok_sent(n):
    """A send answered: n bytes taken."""
    return bytes([0]) + struct.pack("<H", n)


def ok_received(data):
    """Receives answered with data from the script alone (shape 0), as
    many as it takes."""
    out = b""
    for i in range(0, len(data), MAX_SCRIPTED_DATA):
        part = data[i:i + MAX_SCRIPTED_DATA]
        out += bytes([0, 0, len(part)]) + part
    return out


def with_script(msg, script):
    """The request followed by the script of answers."""
    return SCRIPT_MAGIC + struct.pack("<H", len(msg)) + msg + script


def write_seed(directory, name, msg, script=None):
    """The seed file: the request alone, or with its script."""
    with open(os.path.join(directory, name), "wb") as f:
        f.write(msg if script is None else with_script(msg, script))
