#!/usr/bin/python3
"""jq.py EXPRESSION: JSON on stdin as `j`, and a `pf(address)` helper; exit 0 when the Python
expression is true, else print it and the JSON, exit 1. For the VM scenarios' checks."""
import json
import sys

j = json.load(sys.stdin)


def pf(address):
    return next(p for p in j["pfs"] if p["address"] == address)


try:
    ok = eval(sys.argv[1])
except Exception as e:          # a missing key is a failed check, said plainly
    ok, why = False, repr(e)
else:
    why = "false"
if not ok:
    print(f"not true ({why}): {sys.argv[1]}")
    print(json.dumps(j, indent=1)[:3000])
    sys.exit(1)
