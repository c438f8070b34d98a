#!/bin/sh
# The HTML report (--html DIR, issue 10): the ref suite and a run with a
# seeded fault each write DIR/index.html; /usr/bin/python3's html.parser
# checks that the page is well formed (every element closed in order),
# holds one section per case run with the verdict the console printed and
# the id its path and family give, that each failing run's ladder marks
# the failing step in red and no passing run's does, that the state
# diagram draws every arrow of RFC 9293 figure 5 (and the RST/abort ones)
# judged as the run went, and that nothing is loaded from the network.
# Case text with markup in it comes out as text. Bad folders are refused
# with exit 2 before any case runs, leaving nothing behind. Then headless
# Chromium renders the page: its DOM holds the sections and the diagram
# (and the filters, shown by the script), and a screenshot is not blank;
# without a Chromium that can run here, that part says SKIP and why.
# Everything goes to a folder of its own.
#   tests/html.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
faults="$build/tcpconform-faults"
py=/usr/bin/python3
status=0
n=0

[ -x "$prog" ] && [ -x "$faults" ] || { echo "html: $prog or $faults not built" >&2; exit 2; }
[ -x "$py" ] || { echo "html: $py missing (Debian's python3)" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/tcpconform-html.XXXXXX")
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP

fail() { echo "html: FAIL: $*"; status=1; }
pass() { n=$((n + 1)); echo "html: ok: $*"; }

cat >"$dir/check.py" <<'EOF'
"""Checks one index.html against the console output of its run.
usage: check.py PAGE CONSOLE_OUTPUT EXPECTED_RUNS MODE
MODE: ok (no run failed) or fault (some did; FIN-WAIT-2 -> TIME-WAIT failed)."""
import re
import sys
from html.parser import HTMLParser

page, console, expected_runs, mode = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
VOID = {"meta", "input", "br", "hr", "img", "link", "circle", "line", "polyline", "path", "rect"}
RED = "#c62828"
ARROWS = [
    ("CLOSED", "LISTEN"), ("LISTEN", "SYN-RECEIVED"), ("LISTEN", "SYN-SENT"), ("CLOSED", "SYN-SENT"),
    ("SYN-SENT", "SYN-RECEIVED"), ("SYN-SENT", "ESTABLISHED"), ("SYN-RECEIVED", "ESTABLISHED"),
    ("SYN-RECEIVED", "FIN-WAIT-1"), ("SYN-RECEIVED", "LISTEN"), ("ESTABLISHED", "FIN-WAIT-1"),
    ("ESTABLISHED", "CLOSE-WAIT"), ("FIN-WAIT-1", "FIN-WAIT-2"), ("FIN-WAIT-1", "CLOSING"),
    ("FIN-WAIT-1", "TIME-WAIT"), ("FIN-WAIT-2", "TIME-WAIT"), ("CLOSING", "TIME-WAIT"),
    ("CLOSE-WAIT", "LAST-ACK"), ("LAST-ACK", "CLOSED"), ("TIME-WAIT", "CLOSED"),
    # CLOSE in LISTEN and SYN-SENT, and the RST/abort arrows
    ("LISTEN", "CLOSED"), ("SYN-SENT", "CLOSED"), ("SYN-RECEIVED", "CLOSED"), ("ESTABLISHED", "CLOSED"),
    ("FIN-WAIT-1", "CLOSED"), ("FIN-WAIT-2", "CLOSED"), ("CLOSE-WAIT", "CLOSED"), ("CLOSING", "CLOSED"),
]
errors = []


def case_id(path, family):
    out = "case-"
    for b in path.encode():
        c = chr(b)
        if c.isascii() and (c.isalnum() or c == "-"):
            out += c
        elif c == "/":
            out += "."
        else:
            out += "_%02x" % b
    return out + "-v%s" % family


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, attrs, case section it is in)
        self.cases = {}  # id -> {"verdict", "failed": [attrs], "summary": text}
        self.case = None
        self.arrows = {}  # (from, to) -> class
        self.in_fsm = False
        self.scripts = 0
        self.text = []
        self.note_depth = None  # inside a ladder's failure note

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k in ("src", "href", "xlink:href", "action", "poster", "data", "srcset"):
            v = a.get(k)
            if v is not None and (re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", v) or v.startswith("//")):
                errors.append("%s=%r on <%s> points off the page" % (k, v, tag))
        if tag in ("link", "img", "iframe", "object", "embed", "image", "use") and tag != "use":
            errors.append("<%s> loads something" % tag)
        if tag == "script":
            self.scripts += 1
        cls = (a.get("class") or "").split()
        if tag == "details" and "case" in cls:
            if self.case is not None:
                errors.append("case section inside another")
            cid = a.get("id", "")
            if cid in self.cases:
                errors.append("duplicate section id " + cid)
            self.case = cid
            self.cases[cid] = {"verdict": a.get("data-verdict"), "failed": [], "ladder": False, "name": "", "note": ""}
        if self.case is not None and tag == "svg" and "ladder" in cls:
            self.cases[self.case]["ladder"] = True
        if self.case is not None and "failed-step" in cls:
            self.cases[self.case]["failed"].append(a)
        if self.case is not None and "failure-note" in cls:
            self.note_depth = len(self.stack)
        if tag == "svg" and "fsm" in cls:
            self.in_fsm = True
        if self.in_fsm and tag == "g" and "arrow" in cls:
            self.arrows[(a.get("data-from"), a.get("data-to"))] = cls
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            errors.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
            return
        self.stack.pop()
        if self.note_depth is not None and len(self.stack) <= self.note_depth:
            self.note_depth = None
        if tag == "details" and self.case is not None and "details" not in self.stack:
            self.case = None
        if tag == "svg":
            self.in_fsm = False

    def handle_data(self, data):
        self.text.append(data)
        if self.case is not None and self.note_depth is not None:
            self.cases[self.case]["note"] += data
        if self.case is not None and self.stack and self.stack[-1] == "summary":
            self.cases[self.case]["name"] += data


raw = open(page, encoding="utf-8").read()
p = Page()
p.feed(raw)
p.close()
if p.stack:
    errors.append("left open: %s" % p.stack)
if re.search(r"https?://", raw):
    errors.append("an http:// or https:// URL is in the page")
if re.search(r"url\((?!#)", raw) or "@import" in raw:
    errors.append("CSS loads something")
if p.scripts != 1:
    errors.append("%d <script> elements (case text must not make one)" % p.scripts)

# the console: "FAIL  path [v4]  name" then "      path:L:C: step N: ..."
verdicts, steps, summaries, last = {}, {}, {}, None
for line in open(console, encoding="utf-8", errors="replace"):
    m = re.match(r"^(PASS|FAIL|SKIP|ERROR)\s+(\S+) \[v([46])\]", line)
    if m:
        last = case_id(m.group(2), m.group(3))
        verdicts[last] = m.group(1)
        continue
    m = re.match(r"^\s+\S+:\d+:\d+: step (\d+): (.*)", line)
    if m and last and last not in steps:
        steps[last] = m.group(1)
        summaries[last] = m.group(2)
if len(p.cases) != expected_runs:
    errors.append("%d case sections, the run had %d" % (len(p.cases), expected_runs))
if verdicts and set(verdicts) != set(p.cases):
    errors.append("section ids differ from path+family: %s" % sorted(set(verdicts) ^ set(p.cases))[:4])
nfailed = 0
for cid, c in p.cases.items():
    want = verdicts.get(cid)
    if want and c["verdict"] != want:
        errors.append("%s: section says %s, the console %s" % (cid, c["verdict"], want))
    if c["verdict"] in ("FAIL", "ERROR"):
        nfailed += 1
        red = [a for a in c["failed"] if RED in (a.get("stroke"), a.get("fill"))]
        if not c["ladder"] or not red:
            errors.append("%s failed but its ladder marks no step in red" % cid)
        elif cid in steps:
            # the step's own arrow or mark is red, not only a note: a
            # dashed stand-in is drawn only when nothing arrived
            own = [a for a in red if a.get("data-step") == steps[cid] and
                   ({"seg", "mark"} & set(a.get("class", "").split()) or
                    "nothing arrived" in summaries[cid])]
            if not own:
                errors.append("%s failed at step %s, the ladder marks %s" % (cid, steps[cid],
                              sorted({(a.get("class"), a.get("data-step")) for a in red})))
            if summaries[cid][:60] not in c["note"]:
                errors.append("%s: the failure note lacks %r" % (cid, summaries[cid][:60]))
    elif c["failed"]:
        errors.append("%s is %s yet its ladder marks a failed step" % (cid, c["verdict"]))
missing = [a for a in ARROWS if a not in p.arrows]
if missing:
    errors.append("the state diagram lacks %s" % missing)
if mode == "ok":
    if nfailed:
        errors.append("%d failed sections in a passing run" % nfailed)
    if [a for a, cls in p.arrows.items() if "failed" in cls]:
        errors.append("an arrow is red in a passing run")
    if "passed" not in p.arrows.get(("CLOSED", "LISTEN"), []):
        errors.append("CLOSED -> LISTEN is not green after the suite")
    if "unexercised" not in p.arrows.get(("LISTEN", "SYN-SENT"), []):
        errors.append("LISTEN -> SYN-SENT (no case sends from LISTEN) is not grey")
else:
    if not nfailed:
        errors.append("no failed section in a run with a seeded fault")
    if "failed" not in p.arrows.get(("FIN-WAIT-2", "TIME-WAIT"), []):
        errors.append("FIN-WAIT-2 -> TIME-WAIT is not red under no-time-wait")
    if "passed" not in p.arrows.get(("SYN-SENT", "ESTABLISHED"), []):
        errors.append("SYN-SENT -> ESTABLISHED is not green under no-time-wait")
for e in errors[:20]:
    print("  " + e)
print("%d sections, %d failed, %d arrows" % (len(p.cases), nfailed, len(p.arrows)))
sys.exit(1 if errors else 0)
EOF

# is not blank: a PNG of many colours, much of it not white; the top 1000
# rows (the summary and the first failing run's ladder) say enough, and
# decoding 3000 rows in Python takes long on a busy machine
cat >"$dir/png.py" <<'EOF'
import struct
import sys
import zlib

data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat = 8, b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    elif kind == b"IDAT":
        idat += body
    pos += 12 + n
assert depth == 8 and ctype in (2, 6), "unexpected PNG format %d/%d" % (depth, ctype)
bpp = 3 if ctype == 2 else 4
raw, stride = zlib.decompress(idat), w * bpp
prev, colours, inked = bytearray(stride), set(), 0
full, h = h, min(h, 1000)
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1:
            line[i] = (line[i] + a) & 255
        elif f == 2:
            line[i] = (line[i] + b) & 255
        elif f == 3:
            line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    for x in range(0, stride, bpp * 4):  # every fourth pixel is plenty
        px = bytes(line[x:x + 3])
        colours.add(px)
        inked += px != b"\xff\xff\xff"
    prev = line
share = inked / (h * w / 4)
print("%dx%d, top %d rows: %d colours, %.1f %% not white" % (w, full, h, len(colours), 100 * share))
sys.exit(0 if len(colours) > 32 and share > 0.02 else 1)
EOF

runs() { # the case runs of a run over PATH: cases times 2 families
	echo $(($("$prog" run --list "$@" | wc -l) * 2))
}

# --- the ref suite: everything passes, the page says so
"$prog" run --html "$dir/ok" cases/ >"$dir/ok.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ "$(ls -A "$dir/ok")" = index.html ]; then
	pass "--html on the ref suite: exit 0, the folder holds only index.html"
else
	fail "--html on the ref suite: exit $rc, folder: $(ls -A "$dir/ok" 2>&1 | tr '\n' ' ')"
fi
if out=$("$py" "$dir/check.py" "$dir/ok/index.html" "$dir/ok.out" "$(runs cases/)" ok); then
	pass "ref suite page: $out"
else
	fail "ref suite page: $out"
fi

# --- a seeded fault: failing runs, their ladders and the red arrow
"$faults" run --ref-fault no-time-wait --html "$dir/bad" cases/ >"$dir/bad.out" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "--ref-fault no-time-wait: exit $rc, not 1"
if out=$("$py" "$dir/check.py" "$dir/bad/index.html" "$dir/bad.out" "$(runs cases/)" fault); then
	pass "no-time-wait page: $out"
else
	fail "no-time-wait page: $out"
fi

# --- case text with markup in it stays text
mkdir "$dir/evil"
sed 's/^name: .*/name: "<script>alert(1)<\/script> \& \\"q\\" '"'"'a'"'"' \\u001b[2J"/' \
	cases/handshake/listen-close.yaml >"$dir/evil/x<y>.yaml"
"$prog" run --html "$dir/evil-rep" "$dir/evil" >"$dir/evil.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && out=$("$py" "$dir/check.py" "$dir/evil-rep/index.html" "$dir/evil.out" 2 ok) &&
	grep -q '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39; \\x1b\[2J' \
		"$dir/evil-rep/index.html"; then
	pass "a case named <script>...: escaped, one <script> in the page ($out)"
else
	fail "a case named <script>...: exit $rc; $out"
fi

# --- bad folders: exit 2 before any case, nothing left behind
out=$("$prog" run --html "$dir/no-such/rep" cases/ 2>&1)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q "parent folder $dir/no-such does not exist" &&
	! echo "$out" | grep -q PASS && [ ! -e "$dir/no-such" ]; then
	pass "--html with a missing parent: exit 2, names $dir/no-such"
else
	fail "--html with a missing parent: exit $rc: $out"
fi
echo keep >"$dir/afile"
out=$("$prog" run --html "$dir/afile" cases/ 2>&1)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q "afile: exists and is not a folder" &&
	[ "$(cat "$dir/afile")" = keep ]; then
	pass "--html on a regular file: exit 2, the file untouched"
else
	fail "--html on a regular file: exit $rc: $out"
fi
out=$("$prog" run --html - cases/ 2>&1)
rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "is a folder" && pass "--html -: exit 2" || fail "--html -: exit $rc: $out"
out=$("$prog" run --html "$dir/made" "$dir/no-such-cases" 2>&1)
rc=$?
if [ $rc -eq 2 ] && [ ! -e "$dir/made" ]; then
	pass "a run refused after the folder was made: exit 2, the folder removed again"
else
	fail "a run refused after --html made its folder: exit $rc, $(ls -A "$dir/made" 2>&1): $out"
fi

# --- Chromium renders it
chrome=$(command -v chromium || command -v chromium-browser || true)
chrome_run() { # chrome_run ARGS... URL
	set -- --headless --disable-gpu --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync --host-resolver-rules="MAP * ~NOTFOUND" \
		--user-data-dir="$dir/chrome" "$@"
	[ "$(id -u)" -eq 0 ] && set -- --no-sandbox "$@"
	timeout 90 "$chrome" "$@" 2>"$dir/chrome.err"
}
if [ -z "$chrome" ]; then
	echo "html: SKIP Chromium rendering: no chromium (Debian package chromium)"
else
	echo '<!DOCTYPE html><p id="probe">probe</p>' >"$dir/probe.html"
	if ! chrome_run --dump-dom "file://$dir/probe.html" | grep -q 'id="probe"'; then
		echo "html: SKIP Chromium rendering: chromium cannot run here: $(tail -n 2 "$dir/chrome.err" | tr '\n' ' ')"
	else
		chrome_run --dump-dom "file://$dir/bad/index.html" >"$dir/dom.html"
		sections=$(grep -o '<details class="case ' "$dir/dom.html" | wc -l)
		if [ "$sections" -eq "$(runs cases/)" ] && grep -q '<svg class="fsm"' "$dir/dom.html" &&
			grep -q '<svg class="ladder"' "$dir/dom.html" && grep -q '<form id="filters">' "$dir/dom.html"; then
			pass "Chromium's DOM: $sections case sections, ladders, the state diagram, the filters shown"
		else
			fail "Chromium's DOM: $sections case sections; fsm/ladder/filters: $(grep -c 'class="fsm"\|class="ladder"\|<form id="filters">' "$dir/dom.html")"
		fi
		chrome_run --screenshot="$dir/shot.png" --window-size=1200,3000 "file://$dir/bad/index.html" >/dev/null
		if [ -s "$dir/shot.png" ] && out=$("$py" "$dir/png.py" "$dir/shot.png"); then
			pass "Chromium's screenshot is not blank: $out"
		else
			fail "Chromium's screenshot: ${out:-none written}"
		fi
	fi
fi

echo "html: $n passed, status $status"
exit $status
