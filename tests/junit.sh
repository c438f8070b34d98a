#!/bin/sh
# The JUnit report as CI systems read it (issue 10, part 1). Four runs write
# --junit into a folder of their own:
#   suite     the ref suite, every case passing;
#   faults    the suite on build/tcpconform-faults with a seeded fault, so
#             cases fail;
#   skips     two cases made here: one whose failure on ref is recorded as a
#             known deviation (under a cases/ folder, given by absolute
#             path), one that ref skips (outside any cases/ folder).
# (<error> needs a target that breaks; tests/report/test_report.c writes
# one through the sink directly.)
# Each report must validate against tests/report/junit.xsd (xmllint) and
# pass the checks below (junitparser and xml.etree): its counts are the
# console's last line, every test case is one of the console's lines,
# classnames are dotted paths without ".yaml", failure texts hold the
# step's file:line:col, the message and the RFC references (and the pcap
# path when the entry has one), the properties are the case's own, known
# deviations are <skipped type="known-deviation">.
# Then the checks must catch reports broken on purpose: a classname with
# ".yaml", no timestamp, a count one off, a failure without its RFC, a
# known deviation reported as a plain skip.
#   tests/junit.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
faults="$build/tcpconform-faults"
xsd=tests/report/junit.xsd
py=/usr/bin/python3 # Debian's: it has junitparser; a pyenv one first on PATH may not
status=0
n=0

for f in "$prog" "$faults"; do
	[ -x "$f" ] || { echo "junit: $f not built" >&2; exit 2; }
done
command -v xmllint >/dev/null 2>&1 || { echo "junit: xmllint missing (apt-get install libxml2-utils)" >&2; exit 2; }
"$py" -c 'import junitparser, yaml' 2>/dev/null ||
	{ echo "junit: $py lacks junitparser or yaml (apt-get install python3-junitparser python3-yaml)" >&2; exit 2; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/tcpconform-junit.XXXXXX")
trap '[ -n "${JUNIT_KEEP:-}" ] || rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP

fail() { echo "junit: FAIL: $*"; status=1; }
pass() { n=$((n + 1)); echo "junit: ok: $*"; }

# The checks a report must pass, in Python: check.py REPORT CONSOLE T0 T1
cat >"$dir/check.py" <<'EOF'
import re, socket, sys, datetime, os
import xml.etree.ElementTree as ET
import yaml
from junitparser import JUnitXml, Failure, Error, Skipped

report, console, t0, t1 = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
problems = []
def bad(msg):
    problems.append(msg)

lines = open(console, encoding="utf-8").read().splitlines()
m = re.fullmatch(r"(\d+) passed, (\d+) failed, (\d+) skipped", lines[-1] if lines else "")
if not m:
    sys.exit("the console's last line is not the totals: %r" % (lines[-1:],))
passed, failed, skipped = map(int, m.groups())
# "FAIL  cases/x.yaml [v4]  name" -> (verdict, path, family)
console_runs = set()
for l in lines:
    v = re.match(r"(PASS|FAIL|SKIP|ERROR) +(.+?) \[v([46])\]  ", l)
    if v:
        console_runs.add((v.group(1), v.group(2), v.group(3)))

def expected_classname(path):
    parts = path.split("/")
    start = 0
    for i, p in enumerate(parts[:-1]):
        if p == "cases":
            start = i + 1
    parts = [p for p in parts[start:] if p not in ("", ".")]
    parts[-1] = re.sub(r"\.(yaml|yml)$", "", parts[-1])
    return ".".join(parts)

# junitparser: the reader many CI tools use
xml = JUnitXml.fromfile(report)
suites = list(xml)
if len(suites) != 1:
    bad("%d test suites, expected 1" % len(suites))
counted = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
for s in suites:
    for c in s:
        counted["tests"] += 1
        for r in c.result:
            if isinstance(r, Failure):
                counted["failures"] += 1
            elif isinstance(r, Error):
                counted["errors"] += 1
            elif isinstance(r, Skipped):
                counted["skipped"] += 1
    for k in counted:
        if getattr(s, k) != counted[k]:
            bad("testsuite %s=%s but it holds %d" % (k, getattr(s, k), counted[k]))
for k in counted:
    if getattr(xml, k) != counted[k]:
        bad("testsuites %s=%s but it holds %d" % (k, getattr(xml, k), counted[k]))
if counted["tests"] - counted["failures"] - counted["errors"] - counted["skipped"] != passed:
    bad("passed: console %d, report %d" % (passed, counted["tests"] - counted["failures"] - counted["errors"] - counted["skipped"]))
if counted["failures"] + counted["errors"] != failed:
    bad("failed: console %d, report %d failures + %d errors" % (failed, counted["failures"], counted["errors"]))
if counted["skipped"] != skipped:
    bad("skipped: console %d, report %d" % (skipped, counted["skipped"]))

# xml.etree: every attribute and property as written
root = ET.parse(report).getroot()
suite = root.find("testsuite")
ts = suite.get("timestamp") or ""
try:
    when = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    if not t0 - 1 <= when.timestamp() <= t1 + 1:
        bad("timestamp %s is not the run's start (between %d and %d)" % (ts, t0, t1))
except ValueError:
    bad("timestamp %r is not ISO 8601 UTC" % ts)
if suite.get("hostname") != socket.gethostname():
    bad("hostname %r, this host is %r" % (suite.get("hostname"), socket.gethostname()))
for el in [root, suite] + suite.findall("testcase"):
    if not re.fullmatch(r"\d+(\.\d+)?", el.get("time") or ""):
        bad("%s time=%r is not a decimal" % (el.tag, el.get("time")))

verdicts = {"failure": "FAIL", "error": "ERROR", "skipped": "SKIP"}
cases = {}
for tc in suite.findall("testcase"):
    path, cls, name = tc.get("file") or "", tc.get("classname") or "", tc.get("name") or ""
    where = "%s %s" % (path, name)
    if cls.endswith((".yaml", ".yml")) or "/" in cls:
        bad("%s: classname %r is a path" % (where, cls))
    if cls != expected_classname(path):
        bad("%s: classname %r, expected %r" % (where, cls, expected_classname(path)))
    fam = re.search(r" \[v([46])\]$", name)
    props = [(p.get("name"), p.get("value")) for p in tc.findall("properties/property")]
    pv = lambda k: [v for n, v in props if n == k]
    if path not in cases:
        cases[path] = yaml.safe_load(open(path, encoding="utf-8"))
    case = cases[path]
    if not fam or name[:fam.start()] != case["name"]:
        bad("%s: name is not the case's name and [v4]/[v6]" % where)
        continue
    if pv("rfc") != [str(r) for r in case["rfc"]]:
        bad("%s: rfc properties %s, the case says %s" % (where, pv("rfc"), case["rfc"]))
    if pv("tag") != [str(t) for t in case.get("tags", [])]:
        bad("%s: tag properties %s, the case says %s" % (where, pv("tag"), case.get("tags")))
    if pv("requirement") != [str(t) for t in case.get("requirements", [])]:
        bad("%s: requirement properties %s, the case says %s" % (where, pv("requirement"), case.get("requirements")))
    if pv("target") != [suite.get("name").split(".", 1)[-1]]:
        bad("%s: target property %s" % (where, pv("target")))
    if pv("family") != [fam.group(1)]:
        bad("%s: family property %s" % (where, pv("family")))
    outcome = [r for r in tc if r.tag in verdicts]
    verdict = verdicts[outcome[0].tag] if outcome else "PASS"
    if (verdict, path, fam.group(1)) not in console_runs:
        bad("%s: %s, not what the console says" % (where, verdict))
    kd = pv("known_deviation")
    if verdict in ("FAIL", "ERROR"):
        r = outcome[0]
        text, msg = r.text or "", r.get("message") or ""
        if r.get("type") != "tcpconform." + ("fail" if verdict == "FAIL" else "error"):
            bad("%s: <%s type=%r>" % (where, r.tag, r.get("type")))
        if not msg or msg not in text:
            bad("%s: the message %r is not in the failure text" % (where, msg))
        if not re.search(re.escape(path) + r"(:\d+:\d+: step \d+)?: ", text):
            bad("%s: the failure text has no %s:LINE:COL" % (where, path))
        if "RFC: " + ", ".join(pv("rfc")) not in text:
            bad("%s: the failure text lacks its RFC references %s" % (where, pv("rfc")))
        for pcap in pv("pcap"):
            if "pcap: " + pcap not in text:
                bad("%s: the failure text lacks the pcap %s" % (where, pcap))
            if not os.path.isfile(pcap):
                bad("%s: pcap %s does not exist" % (where, pcap))
        if kd != ["false"]:
            bad("%s: a failure with known_deviation %s" % (where, kd))
    elif verdict == "SKIP":
        r = outcome[0]
        is_dev = bool(case.get("deviations"))
        if is_dev:
            if r.get("type") != "known-deviation" or not (r.get("message") or "").startswith("known deviation"):
                bad("%s: a known deviation as <skipped type=%r message=%r>" % (where, r.get("type"), r.get("message")))
            if kd != ["true"]:
                bad("%s: a known deviation with known_deviation %s" % (where, kd))
        else:
            if r.get("type") is not None or kd != ["false"]:
                bad("%s: a plain skip as <skipped type=%r>, known_deviation %s" % (where, r.get("type"), kd))
            if not r.get("message"):
                bad("%s: a skip without its reason" % where)
    elif kd != ["false"]:
        bad("%s: a pass with known_deviation %s" % (where, kd))
if len(suite.findall("testcase")) != len(console_runs):
    bad("%d test cases, the console has %d lines" % (len(suite.findall("testcase")), len(console_runs)))

for p in problems[:20]:
    print("  " + p)
sys.exit(1 if problems else 0)
EOF

# run NAME PROG ARGS...: the console to NAME.out, the report to NAME.xml
run() {
	name=$1
	shift
	t0=$(date +%s)
	"$@" --junit "$dir/$name.xml" >"$dir/$name.out" 2>"$dir/$name.err"
	rc=$?
	t1=$(date +%s)
	echo "$t0 $t1" >"$dir/$name.time"
	return $rc
}

# check NAME WHAT: the report validates and passes check.py
check() {
	if ! xmllint --noout --schema "$xsd" "$dir/$1.xml" >"$dir/$1.xsd.log" 2>&1; then
		fail "$2: not valid against $xsd: $(head -3 "$dir/$1.xsd.log")"
		return
	fi
	read -r t0 t1 <"$dir/$1.time"
	if out=$("$py" "$dir/check.py" "$dir/$1.xml" "$dir/$1.out" "$t0" "$t1" 2>&1); then
		pass "$2: valid against $xsd; counts, classnames, failure texts and properties as the console says"
	else
		fail "$2:
$out"
	fi
}

# --- the suite, every case passing
run suite "$prog" run cases/
rc=$?
[ "$rc" -eq 0 ] || fail "suite: exit $rc: $(tail -3 "$dir/suite.out")"
check suite "ref suite ($(tail -1 "$dir/suite.out"))"

# --- the suite with a seeded fault: cases fail
fault=$("$faults" run --list-faults | head -1)
run faults "$faults" run --ref-fault "$fault" cases/
rc=$?
[ "$rc" -eq 1 ] || fail "faults: exit $rc, expected 1 (cases failing)"
grep -q '<failure ' "$dir/faults.xml" || fail "faults: --ref-fault $fault made no <failure>"
check faults "--ref-fault $fault ($(tail -1 "$dir/faults.out"))"

# --- a known deviation and a plain skip, made here
mkdir -p "$dir/cases/extra" "$dir/other"
cat >"$dir/cases/extra/deviation.yaml" <<'EOF'
name: a known deviation on ref (tests/junit.sh)
rfc: ["9293 3.10.7.2", "9293 3.5"]
requirements: [MUST-1]
tags: [junit-test]
requires: [app]
deviations:
  ref:
    reason: "made up by tests/junit.sh: ref's SYN,ACK window is not the 1234 this case expects"
    step: 3
    fails: "win expected 1234"
steps:
  - app: listen
  - send: {flags: S, seq: 0, win: 65535, options: [mss 1460]}
  - expect: {flags: SA, ack: 1, win: 1234, options: [mss]}
EOF
cat >"$dir/other/not-here.yaml" <<'EOF'
name: a case ref does not run (tests/junit.sh)
rfc: ["9293"]
skip:
  ref: "made up by tests/junit.sh: a plain skip"
steps:
  - wait: 1s
EOF
run skips "$prog" run "$dir/cases" "$dir/other/not-here.yaml"
rc=$?
[ "$rc" -eq 0 ] || fail "skips: exit $rc: $(cat "$dir/skips.err")"
[ "$(grep -c 'type="known-deviation"' "$dir/skips.xml")" -eq 2 ] ||
	fail "skips: expected 2 known deviations: $(grep '<skipped' "$dir/skips.xml")"
check skips "a known deviation and a plain skip ($(tail -1 "$dir/skips.out"))"

# --- the checks catch a broken report: each change must fail one of them
broken() { # WHAT SED-EXPRESSION [SOURCE]
	src=${3:-faults}
	sed "$2" "$dir/$src.xml" >"$dir/broken.xml"
	cp "$dir/$src.out" "$dir/broken.out"
	cp "$dir/$src.time" "$dir/broken.time"
	if cmp -s "$dir/broken.xml" "$dir/$src.xml"; then
		fail "broken report ($1): the change did not apply"
	elif xmllint --noout --schema "$xsd" "$dir/broken.xml" >/dev/null 2>&1 &&
		read -r t0 t1 <"$dir/broken.time" &&
		"$py" "$dir/check.py" "$dir/broken.xml" "$dir/broken.out" "$t0" "$t1" >/dev/null 2>&1; then
		fail "broken report ($1) passed the checks"
	else
		pass "broken report ($1) is caught"
	fi
}
broken "classname with .yaml" 's/classname="\([^"]*\)"/classname="\1.yaml"/'
broken "no timestamp" 's/ timestamp="[^"]*"//'
broken "a wrong failure count" '3s/failures="/failures="1/'
broken "a failure text without its RFC" '0,/      RFC: .*/s//      (no RFC)/'
broken "a known deviation as a plain skip" '0,/ type="known-deviation"/s///' skips
broken "a test case less" '0,/<\/testcase>/{/<testcase /,/<\/testcase>/d}'

echo "junit: $n checks passed"
exit $status
