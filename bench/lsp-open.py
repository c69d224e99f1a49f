#!/usr/bin/env python3
"""Opens one .route file in `leadroute lsp` the way an editor does
(initialize, didOpen) and waits for its diagnostics, then asks for the
document symbols and semantic tokens and shuts the server down.

    bench/lsp-open.py LEADROUTE_BINARY FILE.route [METHOD... | none]

The methods asked after the diagnostics default to documentSymbol and
semanticTokens/full; `none` asks nothing. `typeN` (e.g. `type3`) types N
blank lines at the top of the file, one change at a time as a range (as an
editor with incremental sync sends it), each waiting for its diagnostics:
every declaration moves each time, which is what an edit costs a huge file.

Prints how many diagnostics were published, the seconds each step took,
and the server process's own CPU time and peak RSS (the client's JSON
parsing is not in them).
Used by bench/analysis-scale.sh (docs/performance.md, "Checking many
territories").
"""
import json
import pathlib
import resource
import subprocess
import sys
import time


def send(proc, msg):
    body = json.dumps(msg).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()


def receive(proc):
    length = 0
    while True:
        line = proc.stdout.readline()
        if not line:
            raise SystemExit("the server closed its output")
        line = line.strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(proc.stdout.read(length))


def until(proc, pred):
    while True:
        msg = receive(proc)
        if pred(msg):
            return msg


def main():
    binary, path = sys.argv[1], pathlib.Path(sys.argv[2]).resolve()
    text = path.read_text()
    uri = path.as_uri()
    proc = subprocess.Popen([binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    t0 = time.time()
    send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": path.parent.as_uri(), "capabilities": {}}})
    until(proc, lambda m: m.get("id") == 1)
    send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    send(proc, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "route", "version": 1, "text": text}}})
    diags = until(proc, lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri)
    t1 = time.time()
    asks = sys.argv[3:] or ["textDocument/documentSymbol", "textDocument/semanticTokens/full"]
    version = 1
    for n, method in enumerate(a for a in asks if a != "none"):
        if method.startswith("type"):
            for _ in range(int(method[4:])):
                version += 1
                at = {"line": 0, "character": 0}
                change = {"range": {"start": at, "end": at}, "text": "\n"}
                send(proc, {"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}})
                until(proc, lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"].get("version") == version)
            continue
        send(proc, {"jsonrpc": "2.0", "id": 10 + n, "method": method, "params": {"textDocument": {"uri": uri}}})
        until(proc, lambda m: m.get("id") == 10 + n)
    t2 = time.time()
    send(proc, {"jsonrpc": "2.0", "id": 4, "method": "shutdown"})
    until(proc, lambda m: m.get("id") == 4)
    send(proc, {"jsonrpc": "2.0", "method": "exit"})
    proc.wait(timeout=30)
    server = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"{len(diags['params']['diagnostics'])} diagnostics after {t1 - t0:.2f} s; then {' '.join(asks)} {t2 - t1:.2f} s (wall); "
        f"server: {server.ru_utime + server.ru_stime:.2f} s CPU, max RSS {server.ru_maxrss // 1024} MB"
    )


main()
