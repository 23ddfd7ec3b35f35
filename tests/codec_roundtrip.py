"""Reads a message with the Python code flatc generates from the schema and
checks every value against the JSON that `sealnet msg verify` printed for
the same bytes.

usage: /usr/bin/python3 codec_roundtrip.py GENERATED_PYTHON_DIR MSG JSON
"""
import importlib
import json
import pkgutil
import sys

sys.path.insert(0, sys.argv[1])
PACKAGE = "sealnet.msg"
pkg = importlib.import_module(PACKAGE)
modules = {m.name: importlib.import_module(PACKAGE + "." + m.name)
           for m in pkgutil.iter_modules(pkg.__path__)}


def enum_classes():
    for name, mod in modules.items():
        cls = getattr(mod, name, None)
        if cls is not None and not hasattr(cls, "Init"):
            yield cls


ENUMS = list(enum_classes())


def camel(name):
    # flatc's Python names: call_id -> CallId, from -> From_
    out = "".join(p[:1].upper() + p[1:] for p in name.split("_"))
    return out + "_" if out in ("From",) else out


def fail(path, why):
    print("FAIL python %s: %s" % (path, why))
    sys.exit(1)


def check(obj, expected, path, json_parent=None):
    for key, want in expected.items():
        here = path + "." + key
        method = getattr(obj, camel(key), None)
        if method is None:
            fail(here, "no accessor %s" % camel(key))
        union_type = expected.get(key + "_type")
        if isinstance(want, dict) and union_type is not None:
            table = method()
            cls = getattr(modules[union_type], union_type)
            sub = cls()
            sub.Init(table.Bytes, table.Pos)
            check(sub, want, here)
        elif isinstance(want, dict):
            check(method(), want, here)
        elif isinstance(want, list):
            got_len = getattr(obj, camel(key) + "Length")()
            if got_len != len(want):
                fail(here, "length %d, expected %d" % (got_len, len(want)))
            for i, item in enumerate(want):
                if isinstance(item, dict):
                    check(method(i), item, "%s[%d]" % (here, i))
                elif method(i) != item:
                    fail("%s[%d]" % (here, i), "%r != %r" % (method(i), item))
        elif isinstance(want, bool) or isinstance(want, int):
            if method() != want:
                fail(here, "%r != %r" % (method(), want))
        elif isinstance(want, str):
            got = method()
            if isinstance(got, bytes):
                if got.decode() != want:
                    fail(here, "%r != %r" % (got, want))
            elif not any(getattr(e, want, None) == got for e in ENUMS):
                fail(here, "enum value %r is not %s" % (got, want))
        else:
            fail(here, "unexpected JSON value %r" % (want,))


with open(sys.argv[2], "rb") as f:
    buf = bytearray(f.read())
with open(sys.argv[3]) as f:
    expected = json.load(f)
message = modules["Message"].Message.GetRootAs(buf, 0)
check(message, expected, "Message")
print("PASS python reads back %s" % sys.argv[2])
