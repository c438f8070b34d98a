#!/bin/sh
# docs/case.schema.json against the loader it describes (issue 10, part 8):
#   - it is a valid draft-07 schema, and its target names are exactly
#     `tcpconform list-targets`;
#   - every case under cases/ (and tests/linux-cases/) validates, and every
#     one under cases/ names its `profile:`;
#   - every file in tests/bad-cases/ fails it at the node the loader's
#     message points at, unless the table below says why the schema cannot
#     see that one (and every file there is in the table);
#   - cases made up here: each bad one fails the schema at its node AND is
#     refused by the loader (tcpconform run --list, exit 2); each good one
#     (spellings at the edge of what the loader takes) passes both.
# YAML is read the way lib/casefile reads it: a YAML 1.1 reader (PyYAML's
# safe_load) would turn the key `on` into true and 010 into 8, so the
# loader here is SafeLoader with only the scalars the C loader knows
# resolved: null (~, null, empty), true/false, decimal and 0x integers;
# everything else stays text (as in YAML 1.2, which editors use).
#   tests/case-schema.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
py=/usr/bin/python3 # Debian's: it has yaml and jsonschema; a pyenv one first on PATH may not

[ -x "$prog" ] || { echo "case-schema: $prog not built" >&2; exit 2; }
"$py" -c 'import jsonschema, yaml' 2>/dev/null ||
	{ echo "case-schema: $py lacks jsonschema or yaml (apt-get install python3-jsonschema python3-yaml)" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/tcpconform-case-schema.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP
mkdir "$dir/bad" "$dir/good"

# tests/bad-cases/: the node the schema must fail at ("" is the root), or
# "-" and why it cannot see the problem.
cat >"$dir/bad-cases.table" <<'EOF'
bad-address-kind.yaml steps/0/send/dst
bad-app.yaml          steps/0/app
bad-cc.yaml           config/cc
bad-accept-source-route.yaml config/accept_source_route
bad-expect-src.yaml   steps/0/expect/src
bad-duration.yaml     steps/0/wait
bad-flags.yaml        steps/0/send/flags
bad-ip-options.yaml   steps/0/send/ip_options
bad-setsockopt-bytes.yaml   steps/0/app
bad-expect-ip-options.yaml steps/0/expect/ip_options
bad-option.yaml       steps/0/send/options/0
bad-opt-bytes.yaml    steps/0/expect/opt_bytes
connect-invalid-unlisted.yaml  -  a requirement the app step needs but the requires list lacks: a schema checks nodes one by one
binary-garbage.yaml   -  not YAML at all (control bytes, not UTF-8): no document for a schema to see
deep-nesting.yaml     name
empty.yaml            ""
iss-word.yaml         config/iss
icmp-with-tcp-fields.yaml steps/0/send
ip-level-not-required.yaml -  the loader ties a send's dst to requires: ip-level across the document; the schema checks each node alone
missing-name.yaml     ""
multihomed-not-required.yaml -  the loader ties connect from second to requires: multihomed across the document; the schema checks each node alone
missing-rfc.yaml      ""
seq-from-bad-rate.yaml -  a rate's LOW above its HIGH: a schema cannot compare two items
seq-from-unsaved.yaml -  a name no earlier step saved: a schema cannot look at other steps
seq-range.yaml        steps/0/send/seq
unknown-key.yaml      steps/0
unknown-state.yaml    steps/0/state
unknown-target.yaml   steps/0/on
wrong-type.yaml       steps
yaml-syntax.yaml      -  a YAML syntax error: no document for a schema to see
EOF

# Made-up cases: a first line "# bad: NODE" or "# good".
mk() { cat >"$dir/$1"; }
head='name: x
rfc: ["9293 3.5"]'
mk bad/unknown-top-key.yaml <<EOF
# bad: ""
$head
nmae: typo
steps: [{wait: 1s}]
EOF
mk bad/flag-twice.yaml <<EOF
# bad: steps/0/send/flags
$head
steps: [{send: {flags: SAS}}]
EOF
mk bad/flag-letter.yaml <<EOF
# bad: steps/0/expect/flags
$head
steps: [{expect: {flags: SY}}]
EOF
mk bad/flags-any-none.yaml <<EOF
# bad: steps/0/expect/flags_any
$head
steps: [{expect: {flags: A, flags_any: .}}]
EOF
mk bad/duration-no-unit.yaml <<EOF
# bad: steps/0/wait
$head
steps: [{wait: 5}]
EOF
mk bad/duration-unit.yaml <<EOF
# bad: steps/0/expect/within
$head
steps: [{expect: {within: 5 ms}}]
EOF
mk bad/duration-decimals.yaml <<EOF
# bad: steps/0/expect_none
$head
steps: [{expect_none: 0.1234567891s}]
EOF
mk bad/config-relative.yaml <<EOF
# bad: config/msl
$head
config: {msl: 2rto}
steps: [{wait: 1s}]
EOF
mk bad/config-nagle.yaml <<EOF
# bad: config/nagle
$head
config: {nagle: true}
steps: [{wait: 1s}]
EOF
mk bad/config-keepalive-zero.yaml <<EOF
# bad: config/keepalive
$head
config: {keepalive: 0.0s}
steps: [{wait: 1s}]
EOF
mk bad/config-delayed-ack.yaml <<EOF
# bad: config/delayed_ack
$head
config: {delayed_ack: 200ms}
steps: [{wait: 1s}]
EOF
mk good/flow-config.yaml <<EOF
# good
$head
config: {nagle: off, delayed_ack: on, keepalive: 7200.5s}
steps: [{wait: 1s}]
EOF
mk good/keepalive-on.yaml <<EOF
# good
$head
config: {keepalive: on, nagle: on, delayed_ack: off}
steps: [{wait: 1s}]
EOF
mk bad/config-key.yaml <<EOF
# bad: config
$head
config: {rtt: 1s}
steps: [{wait: 1s}]
EOF
mk bad/bare-option-in-send.yaml <<EOF
# bad: steps/0/send/options/0
$head
steps: [{send: {flags: S, options: [mss]}}]
EOF
mk bad/raw-option-one-byte.yaml <<EOF
# bad: steps/0/send/options/0
$head
steps: [{send: {flags: S, options: [raw 1e]}}]
EOF
mk bad/profile-unknown.yaml <<EOF
# bad: profile
$head
profile: modern
steps: [{wait: 1s}]
EOF
mk bad/ts-peer-in-send.yaml <<EOF
# bad: steps/0/send/options/0
$head
steps: [{send: {flags: A, options: [ts val peer ecr 0]}}]
EOF
mk bad/ts-target-in-expect.yaml <<EOF
# bad: steps/0/expect/options/0
$head
steps: [{expect: {options: [ts val 1 ecr target]}}]
EOF
mk bad/seq-and-seq-abs.yaml <<EOF
# bad: steps/0/send
$head
steps: [{send: {flags: S, seq: 0, seq_abs: 5}}]
EOF
mk bad/win-and-win-rel.yaml <<EOF
# bad: steps/0/expect
$head
steps: [{expect: {win: 5, win_rel: 0}}]
EOF
mk bad/bad-csum-in-expect.yaml <<EOF
# bad: steps/0/expect
$head
steps: [{expect: {bad_csum: true}}]
EOF
mk bad/two-kinds.yaml <<EOF
# bad: steps/0
$head
steps: [{wait: 1s, state: CLOSED}]
EOF
mk bad/override-without-value.yaml <<EOF
# bad: steps/0/on/linux
$head
steps:
  - wait: 1s
    on: {linux: {reason: "says nothing"}}
EOF
mk bad/override-without-reason.yaml <<EOF
# bad: steps/0/on/linux
$head
steps:
  - state: CLOSED
    on: {linux: {state: LISTEN}}
EOF
mk bad/app-override-value.yaml <<EOF
# bad: steps/0/on/linux
$head
steps:
  - app: close
    on: {linux: {reason: "r"}}
EOF
mk bad/deviation-bare-reason.yaml <<EOF
# bad: deviations/linux
$head
deviations: {linux: "a reason but no step"}
steps: [{wait: 1s}]
EOF
mk bad/skip-unknown-target.yaml <<EOF
# bad: skip
$head
skip: {bsd: "no such target"}
steps: [{wait: 1s}]
EOF
mk bad/requirement-zero.yaml <<EOF
# bad: requirements/0
$head
requirements: [MUST-0]
steps: [{wait: 1s}]
EOF
mk bad/requirement-twice.yaml <<EOF
# bad: requirements
$head
requirements: [MUST-1, MUST-1]
steps: [{wait: 1s}]
EOF
mk bad/rfc-word.yaml <<EOF
# bad: rfc/0
name: x
rfc: ["RFC 9293"]
steps: [{wait: 1s}]
EOF
mk bad/requires-unknown.yaml <<EOF
# bad: requires/0
$head
requires: [sockets]
steps: [{wait: 1s}]
EOF
mk bad/app-empty-text.yaml <<EOF
# bad: steps/0/app
$head
steps: [{app: 'send ""'}]
EOF
mk bad/app-arg.yaml <<EOF
# bad: steps/0/app
$head
steps: [{app: close now}]
EOF
mk bad/app-error-unknown.yaml <<EOF
# bad: steps/0/error
$head
steps: [{app: recv 1, error: EOOPS}]
EOF
mk bad/app-returns-and-error.yaml <<EOF
# bad: steps/0
$head
steps: [{app: recv 1, returns: 0, error: EPIPE}]
EOF
mk bad/app-setsockopt-unknown.yaml <<EOF
# bad: steps/0/app
$head
steps: [{app: setsockopt SO_FOO 1}]
EOF
mk bad/app-setsockopt-bytes-unquoted.yaml <<EOF
# bad: steps/0/app
$head
steps: [{app: setsockopt IP_OPTIONS 83}]
EOF
mk bad/app-setsockopt-bytes-not-hex.yaml <<EOF
# bad: steps/0/app
$head
steps: [{app: 'setsockopt IP_OPTIONS "83 0z"'}]
EOF
mk bad/app-getsockopt-bytes.yaml <<EOF
# bad: steps/0/app
$head
steps: [{app: getsockopt IP_OPTIONS}]
EOF
mk bad/app-override-returns-and-error.yaml <<EOF
# bad: steps/0/on/linux
$head
steps:
  - app: send 1
    on: {linux: {reason: r, returns: 1, error: EPIPE}}
EOF
mk good/app-results.yaml <<EOF
$head
requires: [app, urgent, TCP_NODELAY]
steps:
  - app: connect-result
    error: ECONNREFUSED
  - app: recv 3
    data: abc
  - app: recv 10
    returns: 0
  - app: recv_atleast 5
  - app: send_urgent 1048576
  - app: shutdown rdwr
  - app: setsockopt TCP_NODELAY 0
  - app: setsockopt SO_LINGER -1
  - app: 'setsockopt IP_OPTIONS "83 07 04 c0 00 02 02"'
  - app: 'setsockopt IPV6_RTHDR ""'
  - app: getsockopt TCP_NODELAY
    returns: 1
  - app: poll readable none within 1.5rto
  - app: send 1
    error: EPIPE
    on: {linux: {reason: r, error: ECONNRESET}, lwip: {reason: s, returns: 1}}
EOF
mk bad/port-zero.yaml <<EOF
# bad: port
$head
port: 0
steps: [{wait: 1s}]
EOF
mk bad/tag-too-long.yaml <<EOF
# bad: tags/0
$head
tags: [abcdefghijklmnopqrstuvwxyz0123456]
steps: [{wait: 1s}]
EOF
mk bad/bool-word.yaml <<EOF
# bad: steps/0/send/bad_csum
$head
steps: [{send: {flags: S, bad_csum: yes}}]
EOF
mk bad/no-steps.yaml <<EOF
# bad: steps
$head
steps: []
EOF
mk good/edges.yaml <<'EOF'
# good
name: 42
rfc: [793, "9293 3.10.7.4", "5961 3.2"]
tags: [edge, "7"]
requirements: [MUST-1, SHLD-22, MAY-3]
requires: [app, state, app]
port: "0x1F90"
peer_port: 40001
peer_isn: 0xFFFFFFFF
profile: default
description: 3
config: {msl: 1.5s, rto: 200ms, rto_min: 200000us, rto_max: 60s, delack: 40ms, window: 1073725440,
         mss: 536, iss: 0, syn_retries: 0, retries: 100}
deviations:
  linux: {reason: "made up", step: 3, fails: "arrived"}
skip:
  ref: "made up"
steps:
  - app: '  listen 8081 '
  - send: {flags: S, seq: -1, ack: 0x10, win: "65535", urp: 0, options: [mss 1460, "wscale  14", sackOK, nop, eol, "sack 1:2 3:4", raw 1e 4 01 ff], bad_csum: True}
  - send: {flags: A, options: [ts 1 0, "sack 0x0:0xffffffff"], bad_csum: false}
  - send: {flags: A, options: [ts val 0x10 ecr target, "sack 1-2  0x3-4"]}
  - expect: {options: [ts val +1000~0x10 ecr peer, ts val any ecr +0, sack 1-2]}
  - expect: {flags: ., flags_any: PA, seq_abs: 0, ack_abs: 4294967295, win_rel: -65535, options: [mss, wscale, sack, ts], data: "", len: 0, within: delack, after: 0.5rto, tolerance: 3tolerance}
    on:
      linux: {flags: "", win: 1, reason: "made up", skip: false}
  - expect: {}
  - send: {flags: FSRPAUECN, data: "abc", len: 3}
    on:
      linux: {skip: true, reason: "made up"}
  - state: time_wait
    on:
      linux: {state: Syn-Received, reason: "made up"}
  - app: 'send "a\x00b\"c\\"'
    on:
      linux: {skip: TRUE, reason: "made up"}
  - app: recv 0
  - app: close-listener
  - wait: msl
    on:
      linux: {duration: 86400s, reason: "made up"}
  - expect_none: 1000msl
  - wait: 0.000001s
    on:
      linux: {skip: true, reason: "made up"}
EOF
mk good/minimal.yaml <<'EOF'
# good
name: "minimal: one step"
rfc: ["9293"]
steps:
  - wait: 1s
EOF

cat >"$dir/check.py" <<'EOF'
import json, os, re, subprocess, sys
import jsonschema, yaml

prog, tmp = sys.argv[1], sys.argv[2]
problems, oks = [], []

class CaseLoader(yaml.SafeLoader):
    """The scalars lib/casefile knows, and nothing else resolved."""
CaseLoader.yaml_implicit_resolvers = {}
CaseLoader.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
CaseLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
CaseLoader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^-?(?:0[xX][0-9a-fA-F]+|[0-9]+)$"), list("-0123456789"))
def construct_int(loader, node):  # decimal even with a leading 0, as cf_parse_int reads it
    v = loader.construct_scalar(node)
    digits = v.lstrip("-")
    x = int(digits[2:], 16) if digits[:2] in ("0x", "0X") else int(digits, 10)
    return -x if v.startswith("-") else x
CaseLoader.add_constructor("tag:yaml.org,2002:int", construct_int)

schema = json.load(open("docs/case.schema.json", encoding="utf-8"))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
oks.append("docs/case.schema.json is a valid draft-07 schema")

targets = subprocess.run([prog, "list-targets"], capture_output=True, text=True, check=True).stdout.splitlines()
targets = [line.split()[0] for line in targets if line.strip()]
enum = schema["definitions"]["targetName"]["allOf"][1]["enum"]
if sorted(enum) != sorted(targets):
    problems.append("the schema's targets %s are not `tcpconform list-targets` %s" % (enum, targets))
else:
    oks.append("the schema's target names are `tcpconform list-targets`: %s" % ", ".join(targets))

def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=CaseLoader)

def leaves(errors):
    """The innermost errors: under oneOf/anyOf, the alternatives' own."""
    for e in errors:
        if e.context:
            yield from leaves(e.context)
        yield e

def fails_at(doc, node):
    """None when the schema fails doc with an error at node; else why not."""
    errs = list(validator.iter_errors(doc))
    if not errs:
        return "the schema accepts it"
    paths = {"/".join(map(str, e.absolute_path)) for e in leaves(errs)}
    if node not in paths:
        return "no error at %r; errors at %s" % (node, sorted(paths))
    return None

def loader_rc(path):
    return subprocess.run([prog, "run", "--list", path], capture_output=True, text=True).returncode

# every case of the suite
suite = sorted(os.path.join(d, f) for top in ("cases", "tests/linux-cases") for d, _, fs in os.walk(top)
               for f in fs if f.endswith((".yaml", ".yml")))
bad_suite = []
for path in suite:
    errs = list(validator.iter_errors(load(path)))
    if errs:
        e = jsonschema.exceptions.best_match(errs)
        bad_suite.append("%s: %s: %s" % (path, "/".join(map(str, e.absolute_path)), e.message[:200]))
if bad_suite or not suite:
    problems += bad_suite or ["no cases found"]
else:
    oks.append("all %d cases under cases/ and tests/linux-cases/ validate" % len(suite))

# every case under cases/ names its profile: left out, each target runs it at
# its own default (linux: the kernel's options on the SYN), which a case
# written for one profile fails on the other (docs/case-format.md, `profile`)
no_profile = [path for path in suite if path.startswith("cases" + os.sep)
              and not (isinstance(load(path), dict) and "profile" in load(path))]
if no_profile:
    problems += ["%s: names no profile: (minimal or default)" % path for path in no_profile]
else:
    oks.append("every case under cases/ names its profile")

# tests/bad-cases/, by the table
table = {}
for line in open(os.path.join(tmp, "bad-cases.table"), encoding="utf-8"):
    name, rest = line.split(None, 1)
    table[name] = rest.strip()
files = sorted(os.listdir("tests/bad-cases"))
for name in sorted(set(files) - set(table)):
    problems.append("tests/bad-cases/%s is not in this script's table: say where the schema fails it, or why it cannot" % name)
for name in sorted(set(table) - set(files)):
    problems.append("the table names tests/bad-cases/%s, which does not exist" % name)
for name in files:
    if name not in table:
        continue
    path = "tests/bad-cases/" + name
    if table[name].startswith("-"):
        print("case-schema: skip: %s: %s" % (path, table[name][1:].strip()))
        continue
    node = json.loads(table[name]) if table[name].startswith('"') else table[name]
    try:
        why = fails_at(load(path), node)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        why = "does not load: %s" % str(e).splitlines()[0]
    if why:
        problems.append("%s: %s" % (path, why))
    else:
        oks.append("%s fails the schema at %s" % (path, node or "the root"))

# made-up cases: the schema and the loader agree
for kind in ("bad", "good"):
    for name in sorted(os.listdir(os.path.join(tmp, kind))):
        path = os.path.join(tmp, kind, name)
        first = open(path, encoding="utf-8").readline()
        rc = loader_rc(path)
        doc = load(path)
        if kind == "bad":
            node = json.loads(first.split(":", 1)[1].strip()) if '"' in first else first.split(":", 1)[1].strip()
            why = fails_at(doc, node)
            if rc != 2:
                problems.append("%s/%s: the loader takes it (exit %d): not a bad case" % (kind, name, rc))
            elif why:
                problems.append("%s/%s: %s" % (kind, name, why))
            else:
                oks.append("%s/%s: refused by the loader and failed by the schema at %s" % (kind, name, node or "the root"))
        else:
            errs = list(validator.iter_errors(doc))
            if rc != 0:
                problems.append("%s/%s: the loader refuses it (exit %d)" % (kind, name, rc))
            elif errs:
                e = jsonschema.exceptions.best_match(errs)
                problems.append("%s/%s: the loader takes it, the schema fails it: %s: %s" %
                                (kind, name, "/".join(map(str, e.absolute_path)), e.message[:200]))
            else:
                oks.append("%s/%s: taken by the loader and the schema" % (kind, name))

for o in oks:
    print("case-schema: ok: " + o)
for p in problems:
    print("case-schema: FAIL: " + p)
print("case-schema: %d checks passed, %d failed" % (len(oks), len(problems)))
sys.exit(1 if problems else 0)
EOF

"$py" "$dir/check.py" "$prog" "$dir"
