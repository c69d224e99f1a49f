#!/usr/bin/env bash
# Seeds the fuzz corpora (fuzz/corpus/TARGET/) from examples/ and the test
# inputs. Run from anywhere; it needs a built `leadroute` (target/debug) for
# the built policies (`leadroute build`), and python3 for the JSON seeds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="$root/fuzz/corpus"
mkdir -p "$corpus"/{parse_check,fmt,lead_json,policy_load,lsp_messages}
leadroute="${LEADROUTE:-$root/target/debug/leadroute}"

# .route texts: every example and test policy, for parsing, checking and formatting.
mapfile -t routes < <(cd "$root" && find examples tests compiler -name '*.route' -not -path '*/target/*' | sort)
for f in "${routes[@]}"; do
  name="$(echo "$f" | tr '/' '_')"
  cp "$root/$f" "$corpus/parse_check/$name"
  cp "$root/$f" "$corpus/fmt/$name"
done

# Leads: the first 200 example leads, one file each, plus the test state file as a non-lead.
head -n 200 "$root/examples/leads.ndjson" | split -l 1 -d -a 3 - "$corpus/lead_json/lead_"
cp "$root/examples/state.json" "$corpus/lead_json/state.json"

# Built policies: each example that builds (a policy with errors builds nothing).
for f in examples/inbound.route examples/overlap.route examples/rota.route tests/service/policy.route tests/service/business_policy.route tests/service/ops_policy.route; do
  name="$(echo "$f" | tr '/' '_' | sed 's/\.route$/.json/')"
  (cd "$root" && "$leadroute" build "$f" -o "$corpus/policy_load/$name" >/dev/null 2>&1) || echo "seed.sh: $f does not build, skipped" >&2
done
(cd "$root" && "$leadroute" build examples/gaps -o "$corpus/policy_load/examples_gaps.json" >/dev/null 2>&1) || true

# Language server sessions: open each example, then ask for what an editor asks.
python3 - "$root" "$corpus/lsp_messages" "${routes[@]}" <<'PY'
import json, sys, pathlib
root, out, files = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3:]
for n, f in enumerate(files):
    text = (root / f).read_text()
    uri = "file:///fuzz/" + pathlib.Path(f).name
    doc = {"textDocument": {"uri": uri}}
    lines = text.split("\n")
    msgs = [{"jsonrpc": "2.0", "method": "textDocument/didOpen",
             "params": {"textDocument": {"uri": uri, "languageId": "route", "version": 1, "text": text}}}]
    i = 1
    for line_no in range(0, len(lines), max(1, len(lines) // 6)):
        pos = {"line": line_no, "character": min(4, len(lines[line_no]))}
        for method in ["textDocument/hover", "textDocument/completion", "textDocument/definition",
                       "textDocument/references", "textDocument/prepareRename"]:
            params = dict(doc, position=pos)
            if method == "textDocument/references":
                params["context"] = {"includeDeclaration": True}
            msgs.append({"jsonrpc": "2.0", "id": i, "method": method, "params": params}); i += 1
    for method in ["textDocument/documentSymbol", "textDocument/formatting", "textDocument/foldingRange",
                   "textDocument/semanticTokens/full"]:
        params = dict(doc)
        if method == "textDocument/formatting":
            params["options"] = {"tabSize": 4, "insertSpaces": True}
        msgs.append({"jsonrpc": "2.0", "id": i, "method": method, "params": params}); i += 1
    msgs.append({"jsonrpc": "2.0", "method": "textDocument/didChange",
                 "params": {"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": text[: len(text) // 2]}]}})
    msgs.append({"jsonrpc": "2.0", "id": i, "method": "textDocument/codeAction",
                 "params": dict(doc, range={"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}},
                                context={"diagnostics": []})})
    msgs.append({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": doc})
    (out / f"session_{n:02}.jsonl").write_text("\n".join(json.dumps(m) for m in msgs) + "\n")
PY
for t in parse_check fmt lead_json policy_load lsp_messages; do
  echo "$t: $(ls "$corpus/$t" | wc -l) seeds"
done
