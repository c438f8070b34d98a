#!/bin/sh
# The JSON and TAP reports (docs/reports.md) checked by readers that are
# not ours: every JSON line against docs/report.schema.json (Debian's
# python3-jsonschema), the TAP through perl's prove and TAP::Parser and
# its YAML blocks through python3-yaml; both against the console of the
# same run. A run with a seeded fault shows failures with their step,
# location, message and exchange; case text with controls, '#' and '\'
# comes out escaped in both. Files only in a folder of its own.
#   tests/reports.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
faulty="$build/tcpconform-faults"
py=/usr/bin/python3 # Debian's: the one with jsonschema and yaml
status=0
n=0

for need in "$prog" "$faulty"; do
	[ -x "$need" ] || { echo "reports: $need not built" >&2; exit 2; }
done
for need in prove perl "$py"; do
	command -v "$need" >/dev/null 2>&1 || { echo "reports: $need missing" >&2; exit 2; }
done
"$py" -c 'import jsonschema, yaml' 2>/dev/null || { echo "reports: $py lacks jsonschema or yaml" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/tcpconform-reports.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP

fail() { printf 'reports: FAIL: %s\n' "$*"; status=1; }
pass() { n=$((n + 1)); printf 'reports: ok: %s\n' "$*"; }

# Debian's TAP::Parser (3.44) reads TAP up to version 13 and refuses a
# "TAP version 14" line; TAP 14 is written so that a version 13 reader
# takes the rest. prove reads the stream with only that line rewritten;
# check.py holds the first line to be exactly "TAP version 14".
tap13() { echo "sed 1s/14\$/13/"; }
prove_tap() { # $1 TAP file; prove's exit status
	prove -e "$(tap13)" "$1" >"$1.prove" 2>&1
}
# TAP::Parser's view of each test point, as JSON lines for check.py
parse_tap() { # $1 TAP file -> $1.parsed
	perl -MTAP::Parser -MJSON::PP -e '
		my $p = TAP::Parser->new({exec => ["sed", "1s/14\$/13/", $ARGV[0]]});
		my ($last, @out);
		while (my $r = $p->next) {
			if ($r->is_test) {
				$last = {n => $r->number + 0, ok => $r->is_ok ? 1 : 0, actual_ok => $r->is_actual_ok ? 1 : 0,
					 skip => $r->has_skip ? 1 : 0, desc => $r->description};
				push @out, $last;
			} elsif ($r->is_yaml && $last) {
				$last->{yaml} = $r->data;
			}
		}
		my $js = JSON::PP->new->canonical;
		print $js->encode({summary => 1, passed => scalar($p->passed), failed => scalar($p->failed),
				   skipped => scalar($p->skipped), planned => $p->tests_planned // -1,
				   parse_errors => [$p->parse_errors]}), "\n";
		print $js->encode($_), "\n" for @out;
	' "$1" >"$1.parsed"
}

# check.py JSON CONSOLE TAP MODE: every check the two reports share.
# MODE pass: every case passed; fail: some failed, each with its step,
# location, message and exchange; any: no verdict assumed.
cat >"$dir/check.py" <<'EOF'
import json, re, sys
import jsonschema, yaml

jpath, cpath, tpath, mode = sys.argv[1:5]
schema = json.load(open(sys.argv[5]))
jsonschema.Draft202012Validator.check_schema(schema)
val = jsonschema.Draft202012Validator(schema)
errors = []
def bad(msg):
    errors.append(msg)

# --- JSON: every line valid, kinds in order, no field the schema does not name
raw = open(jpath, 'rb').read()
text = raw.decode('utf-8')  # a UnicodeDecodeError fails the test
lines = [l for l in text.split('\n') if l.startswith('{')]
objs = []
for i, l in enumerate(lines, 1):
    o = json.loads(l)
    for e in val.iter_errors(o):
        bad('line %d: %s at %s' % (i, e.message, list(e.path)))
    props = set(schema['$defs'][o.get('kind', '?')]['properties']) | {'kind', 'schema_version'}
    if set(o) != props:
        bad('line %d (%s): fields %s not as the schema names them' % (i, o.get('kind'), sorted(set(o) ^ props)))
    objs.append(o)
if not objs or objs[0]['kind'] != 'run' or objs[-1]['kind'] != 'totals':
    bad('first line is not "run" or last is not "totals"')
cases = [o for o in objs if o['kind'] == 'case']
if len(cases) != len(objs) - 2:
    bad('a run or totals line in the middle')
tot = objs[-1]
count = {v: sum(1 for c in cases if c['verdict'] == v) for v in ('PASS', 'FAIL', 'SKIP', 'ERROR')}
if (tot['passed'], tot['failed'], tot['skipped'], tot['errored'], tot['cases']) != \
   (count['PASS'], count['FAIL'], count['SKIP'], count['ERROR'], len(cases)):
    bad('totals %s do not count the case lines %s' % (tot, count))

# --- the console of the same run: its verdict lines and its last line
console = open(cpath, encoding='utf-8', errors='replace').read().split('\n')
runs = [m.groups() for m in (re.match(r'^(PASS|FAIL|SKIP|ERROR) +(.*) \[v([46])\]', l) for l in console) if m]
mine = [(c['verdict'], c['path'], str(c['family'])) for c in cases]
if runs != mine:
    bad('case lines differ from the console: %s vs %s' % (mine[:3], runs[:3]))
last = [l for l in console if re.match(r'^\d+ passed, \d+ failed, \d+ skipped$', l)]
want = '%d passed, %d failed, %d skipped' % (tot['passed'], tot['failed'] + tot['errored'], tot['skipped'])
if last != [want]:
    bad('console says %s, the JSON totals %s' % (last, want))

# --- what each verdict carries
for c in cases:
    where = '%s [v%d]' % (c['path'], c['family'])
    segs, marks = c['exchange']['segments'], c['exchange']['marks']
    if c['verdict'] == 'FAIL':
        s = c['failed_step']
        if not isinstance(s, int) or not 1 <= s <= c['steps']:
            bad('%s: failed_step %r' % (where, s))
        loc = c['location']
        if not loc or loc['file'] != c['path'] or loc['line'] < 1 or loc['col'] < 1:
            bad('%s: location %r' % (where, loc))
        if not c['message'] or c['first_line'] != c['message'].split('\n')[0]:
            bad('%s: message %r, first_line %r' % (where, c['message'][:80], c['first_line']))
    elif c['verdict'] == 'ERROR' and not c['message']:
        bad('%s: an error without its reason' % where)
    elif c['verdict'] == 'PASS':
        if c['failed_step'] is not None or c['location'] is not None or c['message'] != '':
            bad('%s: a pass with a failure: %r' % (where, c['failed_step']))
    if c['verdict'] in ('PASS', 'FAIL') or c['known_deviation']:
        # every case that ran exchanged segments, each named by its step
        if not segs or not any(g['step'] for g in segs):
            bad('%s: no segment with a step' % where)
    if any(g['step'] is not None and g['step'] > c['steps'] for g in segs + marks):
        bad('%s: a step number beyond the case' % where)
    if [g['at_ms'] for g in segs] != sorted(g['at_ms'] for g in segs):
        bad('%s: segments not oldest first' % where)
    if c['known_deviation'] and c['verdict'] != 'SKIP':
        bad('%s: known deviation on a %s' % (where, c['verdict']))
    for g in segs:
        if 'A' not in g['flags'] and g['ack'] is not None:
            bad('%s: relative ack without the ACK flag' % where)
failed = [c for c in cases if c['verdict'] in ('FAIL', 'ERROR')]
# the console's "      PATH:LINE:COL: step N: summary" of each failure
said = [m.groups() for m in (re.match(r'^      (.*):(\d+):(\d+): step (\d+): ', l) for l in console) if m]
mine = [(c['path'], str(c['location']['line']), str(c['location']['col']), str(c['failed_step']))
        for c in failed if c['location']]
if said != mine:
    bad('failed steps and locations differ from the console: %s vs %s' % (mine[:2], said[:2]))
# the ref suite passes; a skip is allowed only for a capability the case
# declares and ref lacks ("target ref lacks ...", the engine's words)
undeclared = [c for c in cases if c['verdict'] == 'SKIP' and ' lacks ' not in c['message']]
if mode == 'pass' and (failed or undeclared):
    bad('%d cases did not pass' % (len(failed) + len(undeclared)))
if mode == 'fail':
    if not failed:
        bad('no case failed')
    if not all(c['exchange']['marks'] for c in failed):
        bad('a failed case without marks (its app and state steps)')

# --- TAP: version first, plan last, one test point per JSON case line
tap = open(tpath, 'rb').read().decode('utf-8').split('\n')
if tap[0] != 'TAP version 14':
    bad('TAP first line %r' % tap[0])
if tap[-1] != '' or tap[-2] != '1..%d' % len(cases):
    bad('TAP plan %r, want 1..%d at the end' % (tap[-2], len(cases)))
points = [l for l in tap if re.match(r'^(not )?ok ', l)]
if len(points) != len(cases):
    bad('%d test points, %d case lines' % (len(points), len(cases)))
for i, (l, c) in enumerate(zip(points, cases), 1):
    okay = c['verdict'] in ('PASS', 'SKIP')
    if not l.startswith('%s %d - ' % ('ok' if okay else 'not ok', i)):
        bad('test point %d %r for a %s' % (i, l[:60], c['verdict']))
    skip = re.search(r'(?<!\\) # SKIP (.*)$', l)
    if bool(skip) != (c['verdict'] == 'SKIP'):
        bad('test point %d: SKIP directive %r on a %s' % (i, l[-60:], c['verdict']))
    if skip and c['known_deviation'] != skip.group(1).startswith('known deviation: '):
        bad('test point %d: known deviation not said: %r' % (i, skip.group(1)))
    if '\x1b' in l or '\x07' in l or '\x9b' in l:
        bad('test point %d: a raw control character' % i)

# the YAML blocks, read by a strict YAML parser: they say what the JSON says
blocks, cur = [], None
for l in tap:
    if l == '  ---':
        cur = []
    elif l == '  ...' and cur is not None:
        blocks.append(yaml.safe_load('\n'.join(x[2:] for x in cur)))
        cur = None
    elif cur is not None:
        cur.append(l)
if len(blocks) != len(failed):
    bad('%d YAML blocks for %d failures' % (len(blocks), len(failed)))
for b, c in zip(blocks, failed):
    if b['message'] != c['message'] or b['verdict'] != c['verdict'] or b['rfc'] != c['rfc'] or \
       b['pcap'] != c['pcap'] or b['location']['line'] != c['location']['line'] or \
       b['location']['step'] != c['failed_step']:
        bad('YAML block of %s differs from its JSON line' % c['path'])

# TAP::Parser's reading (what prove counts) agrees
parsed = [json.loads(l) for l in open(tpath + '.parsed')]
summ, tests = parsed[0], parsed[1:]
if summ['parse_errors']:
    bad('TAP::Parser: %s' % summ['parse_errors'])
if int(summ['planned']) != len(cases) or summ['failed'] != len(failed) or summ['skipped'] != count['SKIP']:
    bad('TAP::Parser counts %s' % summ)
for t, c in zip(tests, cases):
    if bool(t['ok']) != (c['verdict'] in ('PASS', 'SKIP')) or bool(t['skip']) != (c['verdict'] == 'SKIP'):
        bad('TAP::Parser test %d %s for a %s' % (t['n'], t, c['verdict']))
    if 'yaml' in t and t['yaml'].get('message') != c['message']:
        bad('TAP::Parser reads test %d message as %r' % (t['n'], t['yaml'].get('message', '')[:80]))
if sum(1 for t in tests if 'yaml' in t) != len(failed):
    bad('TAP::Parser saw %d YAML blocks' % sum(1 for t in tests if 'yaml' in t))

for e in errors[:20]:
    print('  ' + e)
print('%d case lines: %d passed, %d failed, %d skipped, %d errored' %
      (len(cases), count['PASS'], count['FAIL'], count['SKIP'], count['ERROR']))
sys.exit(1 if errors else 0)
EOF
check() { # $1 name (files $dir/$1.json .out .tap), $2 mode
	parse_tap "$dir/$1.tap" && "$py" "$dir/check.py" "$dir/$1.json" "$dir/$1.out" "$dir/$1.tap" "$2" \
		docs/report.schema.json 2>&1
}

# --- the ref suite: everything passes, both reports agree with the console
"$prog" run --json "$dir/suite.json" --tap "$dir/suite.tap" cases/ >"$dir/suite.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && res=$(check suite pass); then
	pass "ref suite, --json and --tap: schema-valid, counts as the console's last line ($(echo "$res" | tail -1))"
else
	fail "ref suite: exit $rc; $res"
fi
if prove_tap "$dir/suite.tap" && grep -qx 'Result: PASS' "$dir/suite.tap.prove"; then
	pass "prove reads the suite's TAP: Result: PASS, exit 0"
else
	fail "prove on the suite's TAP: $(tail -5 "$dir/suite.tap.prove")"
fi

# --- --json - : the lines go to standard output amid the console, as the run goes
"$prog" run --json - --tap "$dir/stdout.tap" cases/handshake >"$dir/stdout.out" 2>&1
rc=$?
grep '^{' "$dir/stdout.out" >"$dir/stdout.json"
first_json=$(grep -n '^{' "$dir/stdout.out" | head -1 | cut -d: -f1)
first_case=$(grep -n '^PASS' "$dir/stdout.out" | head -1 | cut -d: -f1)
last_case=$(grep -n '^PASS' "$dir/stdout.out" | tail -1 | cut -d: -f1)
case_lines=$(sed -n "${first_case:-1},${last_case:-1}p" "$dir/stdout.out" | grep -c '^{"kind":"case"')
if [ "$rc" -eq 0 ] && res=$(check stdout pass) && [ "${first_json:-99}" -lt "${first_case:-0}" ] &&
	[ "$case_lines" -gt 0 ]; then
	pass "--json -: valid lines on standard output, streamed between the console's lines"
else
	fail "--json -: exit $rc, first JSON line $first_json, first PASS $first_case, $case_lines case lines amid; $res"
fi

# --- seeded faults: failures carry their step, location, message and exchange
for fault in no-time-wait synack-ack-off-by-one; do
	"$faulty" run --ref-fault "$fault" --json "$dir/$fault.json" --tap "$dir/$fault.tap" cases/ \
		>"$dir/$fault.out" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && res=$(check "$fault" fail); then
		pass "--ref-fault $fault: exit 1, failures with step, location, message, exchange ($(echo "$res" | tail -1))"
	else
		fail "--ref-fault $fault: exit $rc; $res"
	fi
	prove_tap "$dir/$fault.tap"
	rc=$?
	want=$(grep -c '^not ok ' "$dir/$fault.tap")
	if [ "$rc" -ne 0 ] && grep -qx 'Result: FAIL' "$dir/$fault.tap.prove" &&
		grep -q "Tests: [0-9]* Failed: $want)" "$dir/$fault.tap.prove" &&
		! grep -q 'Parse errors' "$dir/$fault.tap.prove"; then
		pass "prove on --ref-fault $fault: exit $rc, Result: FAIL, $want failed, no parse error"
	else
		fail "prove on --ref-fault $fault: exit $rc; $(tail -8 "$dir/$fault.tap.prove")"
	fi
done

# --- case text: controls, '#', '\' and a C1 control in the name, '#' in the
# path; a known deviation and a skip with '#' in their reasons
mkdir "$dir/cases"
evil="$dir/cases/ev#il.yaml"
sed 's/^name: .*/name: "evil \\e[2J\\a # SKIP forged \\\\ back \\x9b end"/' cases/handshake/passive-open.yaml >"$evil"
sed -e 's/^name: .*/name: deviates/' -e 's/expect: {flags: SA,/expect: {flags: A,/' \
	-e 's/^steps:/deviations: {ref: {reason: "ref # deviates", step: 5}}\nsteps:/' \
	cases/handshake/passive-open.yaml >"$dir/cases/deviates.yaml"
sed -e 's/^name: .*/name: skipped/' -e 's/^steps:/skip: {ref: "not # here"}\nsteps:/' \
	cases/handshake/passive-open.yaml >"$dir/cases/skipped.yaml"
"$prog" run --json "$dir/evil.json" --tap "$dir/evil.tap" "$dir/cases" >"$dir/evil.out" 2>&1
rc=$?
desc='ev\#il.yaml [v4] evil \\x1b[2J\\x07 \# SKIP forged \\ back \\u009b end'
if [ "$rc" -eq 0 ] && res=$(check evil any) && grep -qF "$desc" "$dir/evil.tap" &&
	grep -qF '# SKIP known deviation: ref \# deviates (it failed as recorded: step 5' "$dir/evil.tap" &&
	grep -qF ' # SKIP not for ref: not \# here' "$dir/evil.tap" &&
	"$py" - "$dir/evil.json" <<'EOF'
import json, sys
raw = open(sys.argv[1], 'rb').read()
assert b'\x1b' not in raw and b'\x07' not in raw and b'\xc2\x9b' not in raw, 'a raw control in the JSON'
assert b'\\u001b[2J\\u0007 # SKIP forged \\\\ back \\u009b end' in raw, 'the name is not escaped as documented'
cases = [json.loads(l) for l in raw.decode().split('\n') if l.startswith('{"kind":"case"')]
evil = [c for c in cases if c['path'].endswith('ev#il.yaml')]
assert [c['name'] for c in evil] == ['evil \x1b[2J\x07 # SKIP forged \\ back \x9b end'] * 2, evil
assert [c['verdict'] for c in evil] == ['PASS'] * 2
dev = [c for c in cases if c['name'] == 'deviates']
assert [(c['verdict'], c['known_deviation']) for c in dev] == [('SKIP', True)] * 2, dev
skip = [c for c in cases if c['name'] == 'skipped']
assert [(c['verdict'], c['known_deviation']) for c in skip] == [('SKIP', False)] * 2, skip
EOF
then
	pass "controls, '#' and '\\' in case text: escaped in TAP (no forged SKIP) and JSON, decoded back exactly"
else
	fail "case text escaping: exit $rc; $res; $(grep '^ok' "$dir/evil.tap" | cat -v | head -3)"
fi
if prove_tap "$dir/evil.tap" && grep -qx 'Result: PASS' "$dir/evil.tap.prove"; then
	pass "prove on the escaped names: PASS"
else
	fail "prove on the escaped names: $(tail -5 "$dir/evil.tap.prove")"
fi

# --- bad paths: exit 2 naming the option and the path, before any case, nothing left
for opt in json tap; do
	out=$("$prog" run "--$opt" "$dir/missing/r.$opt" cases/handshake 2>&1)
	rc=$?
	case "$out" in
	*PASS*) fail "--$opt into a missing folder: cases ran" ;;
	*"--$opt"*"$dir/missing/r.$opt"*)
		[ "$rc" -eq 2 ] && [ ! -e "$dir/missing" ] && pass "--$opt into a missing folder: exit 2, named, no case ran" ||
			fail "--$opt into a missing folder: exit $rc" ;;
	*) fail "--$opt into a missing folder: message does not name option and path: $out" ;;
	esac
done
out=$("$prog" run --json "$dir/a.json" --json "$dir/b.json" cases/handshake 2>&1)
rc=$?
if [ "$rc" -eq 2 ] && [ ! -e "$dir/a.json" ] && [ ! -e "$dir/b.json" ]; then
	pass "--json given twice: exit 2, no file made"
else
	fail "--json given twice: exit $rc: $out"
fi
[ -z "$(ls -A "$dir" | grep '^\.')" ] || fail "a temporary file was left: $(ls -A "$dir")"

echo "reports: $n passed$([ "$status" -ne 0 ] && echo ', FAILURES above')"
exit $status
