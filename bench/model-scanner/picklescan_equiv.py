#!/usr/bin/python3
"""The work picklescan 1.0.x does for one file, with the standard library only.

picklescan itself cannot be installed here (only the npm registry and Debian packages are
reachable), so the benchmark runs this equivalent instead: the same imports at start-up as
picklescan's CLI and scanner module, the same routing by extension, the same RelaxedZipFile-style
member walk (names ending in a pickle extension or starting with pickle magic), and the same global
extraction (`pickletools.genops` over every stacked pickle, STACK_GLOBAL operands looked up from
earlier opcodes and the memo), compared against a deny list. It prints the globals and exits 1 when
a dangerous one is found, like picklescan.
"""
import argparse
import hashlib  # noqa: F401  (picklescan imports it)
import http.client  # noqa: F401
import io
import json  # noqa: F401
import logging  # noqa: F401
import os
import pickletools
import re  # noqa: F401
import sys
import tarfile  # noqa: F401
import urllib.parse  # noqa: F401
import zipfile

PICKLE_EXT = {".pkl", ".pickle", ".joblib", ".dat", ".data"}
ZIP_EXT = {".zip", ".npz"}
PYTORCH_EXT = {".bin", ".pt", ".pth", ".ckpt"}
DANGEROUS = {"os", "posix", "nt", "subprocess", "builtins", "__builtin__", "runpy", "socket", "sys", "pty",
             "shutil", "pickle", "_pickle", "webbrowser", "ctypes", "importlib", "pip", "pydoc", "venv"}


def list_globals(data: io.BufferedIOBase):
    globals_ = set()
    memo = {}
    last_byte = b"dummy"
    while last_byte != b"":
        ops = []
        try:
            for op in pickletools.genops(data):
                ops.append(op)
        except Exception:
            pass  # picklescan keeps what it saw before a parse error
        last_byte = data.read(1)
        data.seek(-1, 1)
        for n, (op, arg, _pos) in enumerate(ops):
            name = op.name
            if name == "MEMOIZE" and n > 0:
                memo[len(memo)] = ops[n - 1][1]
            elif name in ("PUT", "BINPUT", "LONG_BINPUT") and n > 0:
                memo[arg] = ops[n - 1][1]
            elif name in ("GLOBAL", "INST"):
                globals_.add(tuple(str(arg).split(" ", 1)))
            elif name == "STACK_GLOBAL":
                values = []
                for offset in range(1, n):
                    prev = ops[n - offset]
                    if prev[0].name in ("MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"):
                        continue
                    if prev[0].name in ("GET", "BINGET", "LONG_BINGET"):
                        values.append(memo.get(int(prev[1]), "unknown"))
                    elif prev[0].name not in ("UNICODE", "SHORT_BINUNICODE", "BINUNICODE", "STRING"):
                        values.append("unknown")
                    else:
                        values.append(prev[1])
                    if len(values) == 2:
                        break
                if len(values) == 2:
                    globals_.add((values[1], values[0]))
        if not ops:
            break
    return globals_


def scan_zip(data):
    found = set()
    with zipfile.ZipFile(data, "r") as zf:
        for info in zf.infolist():
            ext = os.path.splitext(info.filename)[1]
            if ext in PICKLE_EXT:
                with zf.open(info, "r") as f:
                    found |= list_globals(io.BytesIO(f.read()))
            else:
                with zf.open(info, "r") as f:
                    magic = f.read(8)
                if magic[:1] == b"\x80" or magic.startswith(b"\x93NUMPY"):
                    with zf.open(info, "r") as f:
                        found |= list_globals(io.BytesIO(f.read()))
    return found


def scan_file(path):
    ext = os.path.splitext(path)[1]
    with open(path, "rb") as f:
        if ext in ZIP_EXT or (ext in PYTORCH_EXT and zipfile.is_zipfile(f)):
            f.seek(0)
            return scan_zip(f)
        f.seek(0)
        return list_globals(f)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-p", "--path")
    args = parser.parse_args()
    globals_ = scan_file(args.path)
    bad = [g for g in globals_ if g[0].split(".")[0] in DANGEROUS]
    print(f"scanned {args.path}: {len(globals_)} globals, {len(bad)} dangerous")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
