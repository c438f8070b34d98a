#!/bin/sh
# Proves the engine's tests can fail: every patch in tests/engine-mutants/
# changes one thing in the engine's verdict logic, and the engine's unit
# tests (tests/engine/test_engine) must fail with each one applied.
#   tests/engine-mutants.sh BUILD_DIR
# BUILD_DIR must hold a build of the engine test (make BUILD=BUILD_DIR
# BUILD_DIR/tests/engine/test_engine). The tree is copied to a temporary
# folder with BUILD_DIR's objects, timestamps kept, so each mutant
# recompiles only the file it patches. CFLAGS and LDFLAGS reach the rebuilds
# as for any make (the environment, or MAKEFLAGS under make asan), so an
# instrumented BUILD_DIR is rebuilt instrumented.
# ENGINE_MUTANTS_JOBS: mutants tried at once (default: the CPUs, at most 4).
set -u
me=engine-mutants
engine_files="lib/engine/engine.c lib/engine/engine_match.c lib/engine/engine_app.c"

# Rebuilds the engine test in tree $1 (BUILD=$rel), output to $2.
rebuild() {
	(cd "$1" && make -s BUILD="$rel" "$rel/tests/engine/test_engine") >"$2" 2>&1
}

# Runs the engine test in tree $1, output to $2; prints the number of
# failing tests, or "crashed (exit N)" when it ended without cmocka's
# summary. --foreground keeps the test in the worker's process group.
run_tests() {
	out=$(cd "$1" && timeout --foreground 120 "./$rel/tests/engine/test_engine" 2>&1)
	rc=$?
	echo "$out" >"$2"
	if [ "$rc" -eq 0 ]; then
		echo 0
		return
	fi
	n=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s).*/\1/p' | tail -n 1)
	if [ -n "$n" ]; then echo "$n"; else echo "crashed (exit $rc)"; fi
}

# Internal: worker W of the main script, in a session of its own. It takes
# every jobs-th patch and leaves one result line per patch in res.K.
if [ "${1:-}" = --worker ]; then
	w=$2 tmp=$EM_TMP rel=$EM_REL jobs=$EM_JOBS
	t=$tmp/tree$w
	k=0
	for p in $(cat "$tmp/patches"); do
		k=$((k + 1))
		[ $((k % jobs)) -eq "$w" ] || continue
		name=$(basename "$p" .patch)
		res=$tmp/res.$k
		if ! patch -d "$t" -p1 --fuzz=0 --forward --no-backup-if-mismatch -r - -s <"$p" >"$tmp/patch.$k" 2>&1; then
			echo "ERROR $name: the patch no longer applies to the engine: $(tr '\n' ' ' <"$tmp/patch.$k")" >"$res"
		elif ! rebuild "$t" "$tmp/build.$k"; then
			echo "ERROR $name: the patched tree does not build: $(grep -m 1 'error' "$tmp/build.$k")" >"$res"
		else
			n=$(run_tests "$t" "$tmp/out.$k")
			if [ "$n" = 0 ]; then
				echo "SURVIVED $name" >"$res"
			else
				echo "CAUGHT $name $n" >"$res"
			fi
		fi
		# back to the unpatched files, newer than the mutant's objects
		for f in $engine_files; do
			cmp -s "$tmp/orig/$f" "$t/$f" || { cp "$tmp/orig/$f" "$t/$f" && touch "$t/$f"; }
		done
	done
	exit 0
fi

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: tests/engine-mutants.sh BUILD_DIR" >&2
	exit 2
fi
build=$1
root=$(cd "$(dirname "$0")/.." && pwd) || exit 2
self=$root/tests/engine-mutants.sh
cd "$root" || exit 2

die() {
	echo "$me: ERROR: $*"
	exit 1
}

case $build in
/*) abs=$build ;;
*) abs=$root/$build ;;
esac
abs=$(cd "$abs" 2>/dev/null && pwd) || die "no build folder $build: run make BUILD=$build $build/tests/engine/test_engine first"
# The same relative name inside the copy keeps the dependency files valid.
case $abs in
"$root"/*) rel=${abs#"$root"/} ;;
*) rel=build-mutants ;;
esac
for f in libtc.a obj/lib/engine/engine.o obj/lib/engine/engine_match.o tests/engine/test_engine; do
	[ -e "$abs/$f" ] || die "$build/$f is missing: run make BUILD=$build $build/tests/engine/test_engine first"
done

patches=$(ls tests/engine-mutants/*.patch 2>/dev/null)
[ -n "$patches" ] || die "no patches in tests/engine-mutants/"
total=$(echo "$patches" | wc -l)

jobs=${ENGINE_MUTANTS_JOBS:-$(nproc 2>/dev/null || echo 1)}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
[ "$jobs" -le 4 ] || jobs=4
[ "$jobs" -le "$total" ] || jobs=$total

# Every way out stops the workers (their whole sessions) and then removes
# the folder, so nothing writes into it once it is gone.
tmp=
pids=
cleanup() {
	trap - EXIT HUP INT TERM
	for pid in $pids; do /bin/kill -TERM -- "-$pid" 2>/dev/null; done
	wait
	for pid in $pids; do
		n=0
		while /bin/kill -0 -- "-$pid" 2>/dev/null && [ "$n" -lt 100 ]; do
			sleep 0.05
			n=$((n + 1))
		done
	done
	[ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
tmp=$(mktemp -d "${TMPDIR:-/tmp}/engine-mutants.XXXXXX") || die "cannot make a temporary folder"
echo "$patches" >"$tmp/patches"

# tree N: a copy of what the build needs, with the build's objects
make_tree() {
	t=$tmp/tree$1
	mkdir -p "$t/$rel/tests" || return 1
	cp -a Makefile ci lib harness tests cases "$t/" || return 1
	cp -a "$abs/obj" "$abs/libtc.a" "$t/$rel/" || return 1
	cp -a "$abs/tests/engine" "$t/$rel/tests/" || return 1
}

# The unpatched tree must build and pass, or no mutant proves anything.
make_tree 0 || die "cannot copy the tree to $tmp"
mkdir -p "$tmp/orig/lib/engine"
for f in $engine_files; do cp -p "$f" "$tmp/orig/$f" || die "cannot copy $f"; done
rebuild "$tmp/tree0" "$tmp/base.log" || {
	cat "$tmp/base.log"
	die "the unpatched tree does not build"
}
base=$(run_tests "$tmp/tree0" "$tmp/base.out")
if [ "$base" != 0 ]; then
	cat "$tmp/base.out"
	die "the engine tests fail on the unpatched tree ($base): fix that first"
fi
i=1
while [ "$i" -lt "$jobs" ]; do
	make_tree "$i" || die "cannot copy the tree to $tmp"
	i=$((i + 1))
done

w=0
while [ "$w" -lt "$jobs" ]; do
	EM_TMP=$tmp EM_REL=$rel EM_JOBS=$jobs setsid "$self" --worker "$w" &
	pids="$pids $!"
	w=$((w + 1))
done
for pid in $pids; do wait "$pid"; done
pids=

set -f
caught=0
status=0
k=0
for p in $patches; do
	k=$((k + 1))
	name=$(basename "$p" .patch)
	line=$(cat "$tmp/res.$k" 2>/dev/null) || line="ERROR $name: no result (the worker died)"
	set -- $line
	case $1 in
	CAUGHT)
		shift 2
		caught=$((caught + 1))
		case $1 in
		crashed) echo "$me: $name: caught: the test $*" ;;
		*) echo "$me: $name: caught by $1 failing tests" ;;
		esac
		;;
	SURVIVED)
		echo "$me: $name: NOT caught"
		status=1
		;;
	*)
		echo "$me: ${line#ERROR }"
		status=1
		;;
	esac
done
echo "$me: $caught of $total mutants caught"
exit "$status"
