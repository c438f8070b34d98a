#!/bin/sh
# Every long option any --help of the built programs prints is in the man
# page. The commands are read from the top-level help, so a new command or
# option (of this build or a later one) is checked without editing this.
#   tests/manpage.sh [BUILD_DIR] [MAN_PAGE]
set -u
build=${1:-build}
man=${2:-docs/tcpconform.1}
status=0

fail() { echo "manpage: FAIL: $*"; status=1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/manpage.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

[ -f "$man" ] || { echo "manpage: FAIL: no man page $man"; exit 1; }

# One help text into the collection; it must exit 0 and say something.
collect() {
	out=$("$@" 2>&1)
	rc=$?
	[ "$rc" -eq 0 ] || fail "'$*' exited $rc"
	[ -n "$out" ] || fail "'$*' printed nothing"
	printf '%s\n' "$out" >>"$tmp/help"
	printf '%s\n' "$out"
}

nprog=0
ncmd=0
for prog in "$build/tcpconform" "$build/tcpconform-faults"; do
	[ -x "$prog" ] || continue
	nprog=$((nprog + 1))
	top=$(collect "$prog" --help)
	# The commands: the indented first words of the "commands:" section.
	cmds=$(printf '%s\n' "$top" | sed -n '/^commands:/,/^$/p' | sed -n 's/^  \([a-z][a-z-]*\).*/\1/p')
	case " $(echo $cmds) " in
	*" run "*) ;;
	*) fail "$prog --help lists no run command (commands read: '$cmds')" ;;
	esac
	for c in $cmds; do
		ncmd=$((ncmd + 1))
		a=$(collect "$prog" "$c" --help)
		b=$(collect "$prog" help "$c")
		[ "$a" = "$b" ] || fail "'$prog help $c' is not '$prog $c --help'"
	done
done
[ "$nprog" -gt 0 ] || { echo "manpage: FAIL: no program under $build"; exit 1; }

opts=$(grep -o -- '--[a-z][a-z-]*' "$tmp/help" | sed 's/-*$//' | sort -u)
nopt=$(echo "$opts" | grep -c .)
# A parse that finds next to nothing proves nothing.
[ "$nopt" -ge 10 ] || fail "only $nopt long options found in the help texts: $opts"

# In roff a hyphen may be written \- ; the option must end there (so that
# --list is not found inside --list-faults).
for o in $opts; do
	pat=$(printf '%s' "$o" | sed 's/-/\\\\\\?-/g')
	grep -q -- "$pat\\([^a-z\\\\-]\\|\\\\[^-]\\|\$\\)" "$man" || fail "$o (in a --help) is not in $man"
done

if [ "$status" -eq 0 ]; then
	echo "manpage: $nopt long options of $ncmd command helps ($nprog programs) all in $man"
fi
exit "$status"
