#!/bin/sh
# make install / make uninstall, the installed program finding its suite,
# the package check's goals, and the CI example files.
#   tests/install.sh [BUILD_DIR]     (from the source tree's root)
# The installs are built in a folder of their own (the main build is not
# touched): once with DEPS=no and PREFIX=$tmp/p, then again with
# DESTDIR=$tmp/d PREFIX=/usr/local, which must rebuild the compiled-in
# cases folder.
set -u
build=${1:-build}
repo=$(pwd)
status=0
n=0

fail() { echo "install: FAIL: $*"; status=1; }
ok() { n=$((n + 1)); }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/install-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

# The sub-makes get only the variables given here: not the calling make's
# flags (-n, a jobserver) or command-line variables.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DEPS -u WERROR make -C "$repo" --no-print-directory "$@"; }

# Fake apt-get and dpkg-query that record being called; dpkg-query says
# every package is installed, so a check that runs passes.
fake=$tmp/fake
calls=$tmp/calls
mkdir -p "$fake"
cat >"$fake/apt-get" <<EOF
#!/bin/sh
echo "apt-get \$*" >>"$calls"
exit 1
EOF
# dpkg-query: every package installed but those in $FAKE_MISSING.
cat >"$fake/dpkg-query" <<EOF
#!/bin/sh
echo "dpkg-query \$*" >>"$calls"
for p in \${FAKE_MISSING:-}; do [ "\$p" = "\$3" ] && exit 1; done
printf 'install ok installed'
EOF
# install-deps.sh as root sets a debconf answer first: not on this machine.
cat >"$fake/debconf-set-selections" <<EOF
#!/bin/sh
cat >/dev/null
EOF
chmod +x "$fake/apt-get" "$fake/dpkg-query" "$fake/debconf-set-selections"
FAKE_PATH="$fake:$PATH"

# The suite's own count, from the main build.
want=$("$build/tcpconform" run "$repo/cases" | tail -n 1)
case "$want" in
*" passed, 0 failed, "*" skipped") ;;
*) echo "install: FAIL: the repo suite does not pass: '$want'"; exit 1 ;;
esac

# 1. Goals that build nothing, and dry runs, run no package check.
for goal in "-n clean" "-n" "-n install" "-n uninstall" "clean" "uninstall" "help" "-n check"; do
	: >"$calls"
	# shellcheck disable=SC2086 # the goal is words
	out=$(PATH=$FAKE_PATH mk DEPS=yes BUILD="$tmp/nobuild" DESTDIR="$tmp/none" $goal 2>&1)
	rc=$?
	ok
	[ "$rc" -eq 0 ] || fail "make $goal: exit $rc: $out"
	case "$out" in
	*apt-get* | *install-deps*) fail "make $goal: the output names the package check: $out" ;;
	esac
	[ -s "$calls" ] && fail "make $goal called: $(cat "$calls")"
done
[ -e "$tmp/nobuild" ] && fail "a dry run or clean made $tmp/nobuild"
[ -e "$tmp/none" ] && fail "make uninstall or -n made $tmp/none"

# 2. DEPS=no (from the environment): a real build and install, no
# package check.
: >"$calls"
out=$(PATH=$FAKE_PATH env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL DEPS=no \
	make -C "$repo" --no-print-directory -j2 BUILD="$tmp/build" PREFIX="$tmp/p" install 2>&1)
rc=$?
ok
[ "$rc" -eq 0 ] || fail "DEPS=no make install PREFIX=$tmp/p: exit $rc: $(echo "$out" | tail -n 5)"
[ -s "$calls" ] && fail "DEPS=no make install called: $(cat "$calls")"

# 3. A building goal checks the build group only (it builds without
# tshark and cmocka); a test goal both, and asks for what is missing.
: >"$calls"
out=$(FAKE_MISSING="tshark libcmocka-dev" PATH=$FAKE_PATH mk -j2 DEPS=yes BUILD="$tmp/build" DESTDIR="$tmp/d" PREFIX=/usr/local install 2>&1)
rc=$?
ok
[ "$rc" -eq 0 ] || fail "make install DESTDIR=$tmp/d: exit $rc: $(echo "$out" | tail -n 5)"
grep -q 'dpkg-query.* libpcap-dev$' "$calls" || fail "make install did not check libpcap-dev: $(cat "$calls")"
grep -q 'tshark\|libcmocka-dev' "$calls" && fail "make install checked test packages: $(grep 'tshark\|cmocka' "$calls")"
: >"$calls"
PATH=$FAKE_PATH mk DEPS=yes BUILD="$tmp/build" suite >/dev/null 2>&1 || fail "make suite BUILD=$tmp/build failed"
ok
grep -q 'dpkg-query.* tshark$' "$calls" && grep -q 'dpkg-query.* libcmocka-dev$' "$calls" &&
	grep -q 'dpkg-query.* libpcap-dev$' "$calls" || fail "make suite did not check both groups: $(cat "$calls")"
grep -q apt-get "$calls" && fail "apt-get was called although every package was there"
: >"$calls"
out=$(FAKE_MISSING=tshark PATH=$FAKE_PATH mk DEPS=yes BUILD="$tmp/build" suite 2>&1)
rc=$?
ok
[ "$rc" -ne 0 ] || fail "make suite ran without tshark"
if [ "$(id -u)" -eq 0 ]; then
	grep -q '^apt-get install .*tshark' "$calls" || fail "make suite as root did not install tshark: $(cat "$calls")"
else
	case "$out" in *"apt-get install -y tshark"*) ;; *) fail "make suite did not say how to install tshark: $out" ;; esac
fi
case "$out" in *"missing packages (all)"*) ;; *) fail "make suite did not stop on the missing package: $out" ;; esac
mk -n DEPS=no BUILD="$tmp/w" all | grep -q cmocka && fail "make all builds something with cmocka"

# 4. What was installed.
for p in "$tmp/d/usr/local" "$tmp/p"; do
	ok
	[ -x "$p/bin/tcpconform" ] || fail "$p/bin/tcpconform missing"
	[ -e "$p/bin/tcpconform-faults" ] && fail "$p/bin/tcpconform-faults installed (a test tool)"
	[ -f "$p/share/man/man1/tcpconform.1" ] || fail "$p/share/man/man1/tcpconform.1 missing"
	[ -f "$p/share/doc/tcpconform/README.md" ] || fail "$p/share/doc/tcpconform/README.md missing"
	[ -f "$p/share/doc/tcpconform/case-format.md" ] || fail "$p/share/doc/tcpconform/case-format.md missing"
	src=$(cd "$repo/cases" && find . -type f | sort)
	got=$(cd "$p/share/tcpconform/cases" 2>/dev/null && find . -type f | sort)
	[ "$src" = "$got" ] || fail "$p/share/tcpconform/cases differs from cases/"
done

# 5. The installed programs find the installed suite, from another folder.
away=$tmp/elsewhere
mkdir -p "$away"
dcases=$tmp/d/usr/local/share/tcpconform/cases
last() { tail -n 1; }
got=$(cd "$away" && "$tmp/d/usr/local/bin/tcpconform" run --cases-dir "$dcases" | last)
ok
[ "$got" = "$want" ] || fail "run --cases-dir $dcases: '$got', want '$want'"
got=$(cd "$away" && TCPCONFORM_CASES=$dcases "$tmp/d/usr/local/bin/tcpconform" run | last)
ok
[ "$got" = "$want" ] || fail "TCPCONFORM_CASES=$dcases run: '$got', want '$want'"
out=$(cd "$away" && "$tmp/p/bin/tcpconform" run)
ok
[ "$(echo "$out" | last)" = "$want" ] || fail "$tmp/p/bin/tcpconform run (no PATH): '$(echo "$out" | last)', want '$want'"
echo "$out" | grep -q "^PASS  $tmp/p/share/tcpconform/cases/" || fail "the PREFIX install did not run $tmp/p/share/tcpconform/cases: $(echo "$out" | head -n 3)"
# --cases-dir comes before $TCPCONFORM_CASES.
got=$(cd "$away" && TCPCONFORM_CASES=/nonexistent "$tmp/p/bin/tcpconform" run --cases-dir "$dcases" | last)
ok
[ "$got" = "$want" ] || fail "--cases-dir did not win over TCPCONFORM_CASES: '$got'"
# ./cases comes before the compiled-in folder (a source tree).
mkdir -p "$away/cases"
cp "$repo/cases/close/finack-in-fin-wait-1.yaml" "$away/cases/"
got=$(cd "$away" && "$tmp/p/bin/tcpconform" run | last)
ok
[ "$got" = "2 passed, 0 failed, 0 skipped" ] || fail "./cases was not run before the compiled-in folder: '$got'"
rm -rf "$away/cases"
# Each build has its own PREFIX compiled in (the DESTDIR one was rebuilt
# after the PREFIX=$tmp/p one); run --help names it.
ok
"$tmp/d/usr/local/bin/tcpconform" run --help | grep -q "/usr/local/share/tcpconform/cases\.\$" ||
	fail "the DESTDIR build does not look in /usr/local/share/tcpconform/cases: $("$tmp/d/usr/local/bin/tcpconform" run --help | grep share)"
"$tmp/p/bin/tcpconform" run --help | grep -q "$tmp/p/share/tcpconform/cases\.\$" ||
	fail "the PREFIX build does not look in $tmp/p/share/tcpconform/cases"
# A folder named by the option or the variable must exist.
err=$(cd "$away" && "$tmp/d/usr/local/bin/tcpconform" run --cases-dir "$away/none" 2>&1 >/dev/null)
rc=$?
ok
[ "$rc" -eq 2 ] || fail "run --cases-dir (missing): exit $rc, want 2"
case "$err" in
*"--cases-dir $away/none: No such file or directory"*) ;;
*) fail "run --cases-dir (missing): '$err'" ;;
esac
err=$(cd "$away" && TCPCONFORM_CASES=$away/none "$tmp/d/usr/local/bin/tcpconform" run 2>&1 >/dev/null)
rc=$?
ok
[ "$rc" -eq 2 ] && case "$err" in *"TCPCONFORM_CASES=$away/none: No such file"*) true ;; *) false ;; esac ||
	fail "TCPCONFORM_CASES (missing): exit $rc: '$err'"
cp "$tmp/p/bin/tcpconform" "$tmp/p-tcpconform"

# 6. make uninstall removes exactly what install put there.
echo "# not ours" >"$dcases/close/local-case.yaml"
: >"$calls"
out=$(PATH=$FAKE_PATH mk DEPS=yes BUILD="$tmp/build" DESTDIR="$tmp/d" PREFIX=/usr/local uninstall 2>&1)
rc=$?
ok
[ "$rc" -eq 0 ] || fail "make uninstall DESTDIR=$tmp/d: $out"
left=$(cd "$tmp/d" && find . -type f)
[ "$left" = "./usr/local/share/tcpconform/cases/close/local-case.yaml" ] ||
	fail "uninstall DESTDIR=$tmp/d left or removed the wrong files: '$left'"
echo "$out" | grep -q "cases/close holds other files: left" || fail "uninstall did not say what it left: $out"
out=$(PATH=$FAKE_PATH mk DEPS=yes BUILD="$tmp/build" PREFIX="$tmp/p" uninstall 2>&1) || fail "make uninstall PREFIX=$tmp/p: $out"
ok
left=$(find "$tmp/p" -type f)
[ -z "$left" ] || fail "uninstall PREFIX=$tmp/p left: $left"
[ -e "$tmp/p/share/tcpconform" ] && fail "uninstall left $tmp/p/share/tcpconform"
[ -e "$tmp/p/share/doc/tcpconform" ] && fail "uninstall left $tmp/p/share/doc/tcpconform"
[ -s "$calls" ] && fail "make uninstall called: $(cat "$calls")"
# With the suite gone, the program says where it looked.
err=$(cd "$away" && "$tmp/p-tcpconform" run 2>&1 >/dev/null)
rc=$?
ok
[ "$rc" -eq 2 ] || fail "run with no suite installed: exit $rc, want 2"
case "$err" in
*"looked for ./cases and $tmp/p/share/tcpconform/cases"*) ;;
*) fail "run with no suite installed: '$err'" ;;
esac

# 7. WERROR=0 drops -Werror, and only it.
ok
mk -n DEPS=no BUILD="$tmp/w" "$tmp/w/obj/harness/main.o" | grep -q -- '-Wall -Wextra -Werror' ||
	fail "the default build lacks -Werror"
mk -n DEPS=no WERROR=0 BUILD="$tmp/w" "$tmp/w/obj/harness/main.o" | grep -q -- '-Wall -Wextra .*-Werror' &&
	fail "WERROR=0 kept -Werror"

# 8. Without dpkg the check looks for what the packages provide.
nodpkg=$tmp/nodpkg
mkdir -p "$nodpkg"
for c in sh grep id cc gcc make libnet-config; do
	p=$(command -v "$c") && ln -s "$p" "$nodpkg/$c"
done
cat >"$nodpkg/pkg-config" <<EOF
#!/bin/sh
[ "\${NO_PC:-}" = "\$2" ] && exit 1
exec $(command -v pkg-config) "\$@"
EOF
chmod +x "$nodpkg/pkg-config"
# libnet-config is a script: it needs a few commands of its own
for c in cat echo sed; do p=$(command -v "$c") && ln -sf "$p" "$nodpkg/$c"; done
out=$(PATH=$nodpkg sh "$repo/ci/install-deps.sh" --check build 2>&1)
rc=$?
ok
[ "$rc" -eq 0 ] || fail "install-deps.sh --check build without dpkg: $out"
out=$(NO_PC=libpcap PATH=$nodpkg sh "$repo/ci/install-deps.sh" --check build 2>&1)
rc=$?
ok
[ "$rc" -eq 1 ] || fail "install-deps.sh --check build without dpkg or libpcap: exit $rc"
case "$out" in
*"libpcap-dev (pc:libpcap)"*) ;;
*) fail "install-deps.sh without dpkg did not name libpcap-dev: '$out'" ;;
esac
case "$out" in *libmnl*) fail "install-deps.sh named a package that is there: '$out'" ;; esac
out=$(PATH=$nodpkg sh "$repo/ci/install-deps.sh" --check nonsense 2>&1)
rc=$?
ok
[ "$rc" -eq 2 ] || fail "install-deps.sh nonsense: not refused: $out"

# 9. The CI example files parse, and have the jobs they promise.
ok
/usr/bin/python3 - "$repo/ci/github-actions.yml" "$repo/ci/gitlab-ci.yml" <<'EOF' || fail "the CI example files"
import sys, yaml
gh = yaml.safe_load(open(sys.argv[1]))
gl = yaml.safe_load(open(sys.argv[2]))
text = open(sys.argv[1]).read() + open(sys.argv[2]).read()
assert isinstance(gh.get("jobs"), dict) and len(gh["jobs"]) >= 2, "github: two jobs (ref, linux)"
steps = [s for j in gh["jobs"].values() for s in j["steps"]]
assert any(str(s.get("uses", "")).startswith("actions/upload-artifact") for s in steps), "github: upload-artifact"
assert any(j.get("artifacts", {}).get("reports", {}).get("junit") for j in gl.values() if isinstance(j, dict)), "gitlab: reports: junit"
for word in ("--junit", "--html", "--target linux"):
    assert word in text, word
EOF

if [ "$status" -eq 0 ]; then
	echo "install: $n checks passed (install, uninstall, finding the suite, package-check goals, CI files)"
fi
exit "$status"
