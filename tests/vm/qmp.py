#!/usr/bin/python3
"""qmp.py SOCKET COMMAND [JSON-ARGUMENTS]: one command on QEMU's QMP socket; prints the answer."""
import json
import socket
import sys


def main():
    path, command = sys.argv[1], sys.argv[2]
    arguments = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    f = s.makefile("rw")
    json.loads(f.readline())                      # the greeting
    for request in ({"execute": "qmp_capabilities"}, {"execute": command, "arguments": arguments}):
        f.write(json.dumps(request) + "\n")
        f.flush()
        while True:                               # events may come before the answer
            answer = json.loads(f.readline())
            if "return" in answer or "error" in answer:
                break
        if "error" in answer:
            print(json.dumps(answer["error"]))
            sys.exit(1)
    print(json.dumps(answer["return"]))


main()
