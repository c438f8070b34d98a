#!/bin/sh
# `tcpconform coverage`: the requirement matrix counts what the cases claim,
# exactly. The expected figures are computed here from the case files with
# grep, independently of the program; a bad requirement is refused with
# file:line:col and exit 2. Files go only to a folder of its own.
#   tests/coverage.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
status=0
n=0

[ -x "$prog" ] || { echo "coverage: $prog not built" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/tcpconform-coverage.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP

fail() { echo "coverage: FAIL: $*"; status=1; }
pass() { n=$((n + 1)); echo "coverage: ok: $*"; }

# The MUST IDs the suite's cases claim, from the files themselves.
claimed=$(grep -h '^requirements:' $(find cases -name '*.yaml') | tr -d '[],' | tr ' ' '\n' |
	grep '^MUST-' | sort -u | wc -l)
"$prog" coverage cases >"$dir/out" 2>"$dir/err"
rc=$?
last=$(tail -n 1 "$dir/out")
want="coverage: $claimed of 69 MUST requirements covered, 1 not observable on the wire"
[ $rc -eq 0 ] || fail "exit status $rc: $(cat "$dir/err")"
if [ "$last" = "$want" ]; then pass "$want"; else fail "last line '$last', want '$want'"; fi

# Every MUST and SHLD row is listed, MAY rows only with --all.
rows=$(grep -c '^MUST-\|^SHLD-' "$dir/out")
[ "$rows" -eq 100 ] && pass "69 MUST and 31 SHLD rows" || fail "$rows MUST/SHLD rows, want 100"
grep -q '^MAY-' "$dir/out" && fail "MAY rows without --all"
"$prog" coverage --all cases | grep -c '^MAY-' | grep -qx 18 && pass "--all adds the 18 MAY rows" ||
	fail "--all does not list 18 MAY rows"

# A case claiming a requirement is listed under it, and only there.
mkdir -p "$dir/one"
cat >"$dir/one/probe.yaml" <<'YAML'
name: probe
rfc: ["9293 3.8.6.1"]
requirements: [MUST-36, SHLD-29]
steps: [{wait: 1ms}]
YAML
"$prog" coverage "$dir/one" >"$dir/one.out" 2>&1
awk '/^MUST-36 /{getline; print; exit}' "$dir/one.out" | grep -q "$dir/one/probe.yaml" &&
	pass "a case is listed under the MUST it claims" || fail "probe.yaml not under MUST-36"
awk '/^SHLD-29 /{getline; print; exit}' "$dir/one.out" | grep -q "probe.yaml" &&
	pass "and under the SHLD it claims" || fail "probe.yaml not under SHLD-29"
[ "$(grep -c 'probe.yaml' "$dir/one.out")" -eq 2 ] && pass "and nowhere else" ||
	fail "probe.yaml listed $(grep -c 'probe.yaml' "$dir/one.out") times"
tail -n 1 "$dir/one.out" | grep -qx 'coverage: 1 of 69 MUST requirements covered, 1 not observable on the wire' &&
	pass "one claim counts one" || fail "one claim: $(tail -n 1 "$dir/one.out")"
awk '/^MUST-9 /{getline; print; exit}' "$dir/one.out" | grep -q 'not observable on the wire: ' &&
	pass "an unobservable MUST says why" || fail "MUST-9 has no reason"

# A requirement outside Appendix B: the file, line and column, exit 2.
mkdir -p "$dir/bad"
cat >"$dir/bad/bad.yaml" <<'YAML'
name: bad
rfc: ["9293"]
requirements: [MUST-3, MUST-70]
steps: [{wait: 1ms}]
YAML
"$prog" coverage "$dir/bad" >"$dir/bad.out" 2>"$dir/bad.err"
rc=$?
if [ $rc -eq 2 ] && grep -q "bad.yaml:3:24: requirements: MUST-70 is not in RFC 9293 Appendix B" "$dir/bad.err"; then
	pass "MUST-70 refused with file:line:col, exit 2"
else
	fail "MUST-70: exit $rc, $(cat "$dir/bad.err")"
fi
[ -s "$dir/bad.out" ] && fail "a refused run printed a matrix"
"$prog" coverage "$dir/missing" >/dev/null 2>&1
[ $? -eq 2 ] && pass "a missing path: exit 2" || fail "a missing path did not exit 2"

echo "coverage: $n checks passed"
exit $status
