#!/bin/sh
# Selection and repetition for CI (issue 10): --shard K/N splits the suite
# into N disjoint parts whose union is the suite, a case's shard depends on
# its path alone; --tag, --rfc and --requirement take what grep over the
# case files says they should; --repeat 3 on ref runs everything three
# times without a flip; --color always colours, never and NO_COLOR do not;
# bad values exit 2 naming the value and leave nothing behind. Temporary
# cases and files go to a folder of its own.
#   tests/select.sh [BUILD_DIR]
set -u
build=${1:-build}
prog="$build/tcpconform"
status=0
n=0

[ -x "$prog" ] || { echo "select: $prog not built" >&2; exit 2; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/tcpconform-select.XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT
trap 'exit 1' INT TERM HUP

fail() { echo "select: FAIL: $*"; status=1; }
pass() { n=$((n + 1)); echo "select: ok: $*"; }
# the case paths `run --list` prints for the arguments, sorted
list() { "$prog" run --list "$@" | cut -f 1 | sort; }

# --- shards: disjoint, their union the suite, the shard in the header
list cases/ >"$dir/all"
total=$(wc -l <"$dir/all")
[ "$total" -gt 10 ] || fail "the suite lists only $total cases"
: >"$dir/union"
for k in 1 2 3; do
	list --shard "$k/3" cases/ >"$dir/shard$k"
	[ -s "$dir/shard$k" ] || fail "shard $k/3 is empty"
	cat "$dir/shard$k" >>"$dir/union"
done
for pair in "1 2" "1 3" "2 3"; do
	set -- $pair
	common=$(comm -12 "$dir/shard$1" "$dir/shard$2")
	[ -z "$common" ] || fail "shards $1/3 and $2/3 share cases: $common"
done
sort "$dir/union" >"$dir/union.sorted"
if cmp -s "$dir/union.sorted" "$dir/all"; then
	pass "shards 1/3 2/3 3/3: disjoint, union = the $total cases of --list"
else
	fail "the union of the 3 shards is not the suite: $(diff "$dir/all" "$dir/union.sorted" | head -5)"
fi
list --shard 1/1 cases/ | cmp -s - "$dir/all" || fail "--shard 1/1 is not the whole suite"
head=$("$prog" run --shard 2/3 cases/ | head -n 1)
case $head in
"tcpconform: "*" shard 2/3"*) pass "the header names the shard: $head" ;;
*) fail "the header does not name shard 2/3: $head" ;;
esac

# --- a case added moves no other case to another shard (the hash is of
# the path, not of the position in the list)
mkdir -p "$dir/suite"
cp -r cases/close cases/rst "$dir/suite/"
shard_map() { # prints "path k" for every case of $dir/suite in 5 shards
	for k in 1 2 3 4 5; do
		list --shard "$k/5" "$dir/suite" | sed "s|\$| $k|"
	done | sort
}
shard_map >"$dir/map.before"
cp cases/close/finack-in-fin-wait-1.yaml "$dir/suite/close/aaa-first.yaml"
cp cases/close/finack-in-fin-wait-1.yaml "$dir/suite/aaa-new.yaml"
shard_map | grep -v -e '/aaa-first.yaml ' -e '/aaa-new.yaml ' >"$dir/map.after"
if cmp -s "$dir/map.before" "$dir/map.after"; then
	pass "two cases added in front: no other case changed shard"
else
	fail "adding cases moved others: $(diff "$dir/map.before" "$dir/map.after" | head -4)"
fi

# --- --tag: any of the tags given
grep -lE '^tags: \[(.*, )?(close|time-wait)(,|\])' cases/*/*.yaml | sort >"$dir/want.tag"
list --tag close --tag time-wait cases/ >"$dir/got.tag"
if [ -s "$dir/want.tag" ] && cmp -s "$dir/want.tag" "$dir/got.tag"; then
	pass "--tag close --tag time-wait: the $(wc -l <"$dir/got.tag") cases grep finds"
else
	fail "--tag close --tag time-wait: $(diff "$dir/want.tag" "$dir/got.tag" | head -4)"
fi

# --- --rfc: whole components
grep -lE '^rfc: .*"9293 3\.10\.7(\.[0-9.]+)?"' cases/*/*.yaml | sort >"$dir/want.rfc"
list --rfc "9293 3.10.7" cases/ >"$dir/got.rfc"
if [ -s "$dir/want.rfc" ] && cmp -s "$dir/want.rfc" "$dir/got.rfc"; then
	pass "--rfc \"9293 3.10.7\": the $(wc -l <"$dir/got.rfc") cases grep finds"
else
	fail "--rfc \"9293 3.10.7\": $(diff "$dir/want.rfc" "$dir/got.rfc" | head -4)"
fi
grep -lE '^rfc: .*"6298( [0-9.]+)?"' cases/*/*.yaml | sort >"$dir/want.6298"
list --rfc 6298 cases/ >"$dir/got.6298"
if [ -s "$dir/want.6298" ] && cmp -s "$dir/want.6298" "$dir/got.6298"; then
	pass "--rfc 6298: every section of RFC 6298 ($(wc -l <"$dir/got.6298") cases)"
else
	fail "--rfc 6298: $(diff "$dir/want.6298" "$dir/got.6298" | head -4)"
fi

# Temporary cases for what the suite lacks: 3.10.70 next to 3.10.7, and
# `requirements:`. Each is a copy of a passing case with other keys.
mk() { # name rfc-list requirements-list
	mkdir -p "$dir/t"
	sed -e "s|^rfc: .*|rfc: [$2]|" -e "s|^tags: .*|tags: [close]\nrequirements: [$3]|" \
		cases/close/finack-in-fin-wait-1.yaml >"$dir/t/$1.yaml"
}
mk a-3107 '"9293 3.10.7"' 'MUST-13'
mk b-31070 '"9293 3.10.70"' 'MUST-1, SHLD-5'
mk c-7323 '"7323 2.3", "9293 3.6"' 'MUST-13, MUST-2'
mk d-none '"793"' 'MAY-10'
expect_list() { # label, expected names (a-3107 ...), then options
	label=$1 want=$2
	shift 2
	got=$(list "$@" "$dir/t" | sed 's|.*/||; s|\.yaml$||' | tr '\n' ' ' | sed 's/ $//')
	if [ "$got" = "$want" ]; then pass "$label: $want"; else fail "$label: got '$got', want '$want'"; fi
}
expect_list '--rfc "9293 3.10.7" (not 3.10.70)' "a-3107" --rfc "9293 3.10.7"
expect_list '--rfc "9293 3.10.70"' "b-31070" --rfc "9293 3.10.70"
expect_list '--rfc 7323' "c-7323" --rfc 7323
expect_list '--rfc 9293' "a-3107 b-31070 c-7323" --rfc 9293
expect_list '--requirement MUST-13' "a-3107 c-7323" --requirement MUST-13
expect_list '--requirement MUST-1 (not MUST-13)' "b-31070" --requirement MUST-1
expect_list '--requirement MAY-10 --requirement SHLD-5' "b-31070 d-none" --requirement MAY-10 --requirement SHLD-5
expect_list '--requirement MUST-13 --rfc 7323 (AND)' "c-7323" --requirement MUST-13 --rfc 7323
expect_list '--requirement MUST-13 --tag close --filter "*/a-3107.yaml" (AND)' "a-3107" --requirement MUST-13 --tag close --filter "*/a-3107.yaml"
err=$("$prog" run --requirement MUST-99 "$dir/t" 2>&1 >/dev/null)
rc=$?
case "$rc:$err" in
2:*"no case matched the selection"*) pass "--requirement nobody lists: exit 2, no case matched" ;;
*) fail "--requirement MUST-99: exit $rc: $err" ;;
esac

# --- --repeat 3: three times the counts, no flip, the totals last
"$prog" run -q cases/ >"$dir/once"
rc1=$?
"$prog" run --repeat 3 cases/ >"$dir/thrice"
rc3=$?
read p1 _ f1 _ s1 _ <<EOT
$(tail -n 1 "$dir/once")
EOT
last=$(tail -n 1 "$dir/thrice")
want="$((p1 * 3)) passed, $((f1 * 3)) failed, $((s1 * 3)) skipped"
if [ "$rc1" -eq 0 ] && [ "$rc3" -eq 0 ] && [ "$last" = "$want" ] && ! grep -q '^FLIP' "$dir/thrice" &&
	[ "$(grep -c '^tcpconform: repetition [123] of 3$' "$dir/thrice")" -eq 3 ] &&
	[ "$(grep -c '^PASS ' "$dir/thrice")" -eq $((p1 * 3)) ]; then
	pass "--repeat 3: $last, no FLIP, exit 0"
else
	fail "--repeat 3: exit $rc3, last line '$last' (want '$want'), $(grep -c '^FLIP' "$dir/thrice") FLIP lines"
fi
# a case that fails every time fails in every repetition and flips never
sed 's|- expect: {flags: A, seq: 2, ack: 2|- expect: {flags: R, seq: 2, ack: 2|' cases/close/finack-in-fin-wait-1.yaml \
	>"$dir/fails.yaml"
grep -q 'flags: R, seq: 2' "$dir/fails.yaml" || fail "the failing case was not made"
out=$("$prog" run --repeat 3 --family 4 "$dir/fails.yaml")
rc=$?
case "$rc:$(echo "$out" | tail -n 1):$(echo "$out" | grep -c '^FLIP')" in
"1:0 passed, 3 failed, 0 skipped:0") pass "--repeat 3 of a failing case: 3 failed, no flip, exit 1" ;;
*) fail "--repeat 3 of a failing case: exit $rc: $(echo "$out" | tail -n 1)" ;;
esac

# --- colour
esc=$(printf '\033[')
has_esc() { grep -qF "$esc" "$1"; }
"$prog" run --color always -f '*finack*' cases/ >"$dir/c.always"
NO_COLOR=1 "$prog" run --color always -f '*finack*' cases/ >"$dir/c.always-nc"
"$prog" run --color never -f '*finack*' cases/ >"$dir/c.never"
NO_COLOR=1 "$prog" run --color auto -f '*finack*' cases/ >"$dir/c.auto-nc"
"$prog" run -f '*finack*' cases/ >"$dir/c.auto-pipe"
if has_esc "$dir/c.always" && grep -qF "${esc}32mPASS${esc}0m  cases/close/finack" "$dir/c.always" &&
	has_esc "$dir/c.always-nc"; then
	pass "--color always: ESC[32mPASS (NO_COLOR does not override it)"
else
	fail "--color always: no colour codes: $(head -n 2 "$dir/c.always")"
fi
for f in never auto-nc auto-pipe; do
	if has_esc "$dir/c.$f"; then fail "--color $f: colour codes in the output"; else pass "--color $f: no ESC["; fi
done
[ "$(tail -n 1 "$dir/c.always")" = "$(tail -n 1 "$dir/c.never")" ] && tail -n 1 "$dir/c.never" | grep -q " passed, 0 failed, 0 skipped$" || fail "--color always: the totals line changed"
# auto on a terminal: colour, unless NO_COLOR is set to anything
if command -v script >/dev/null 2>&1; then
	script -qec "$prog run -f '*finack*' cases/" "$dir/tty.log" >/dev/null 2>&1
	NO_COLOR=1 script -qec "$prog run -f '*finack*' cases/" "$dir/tty-nc.log" >/dev/null 2>&1
	NO_COLOR= script -qec "$prog run -f '*finack*' cases/" "$dir/tty-empty.log" >/dev/null 2>&1
	if grep -qF "${esc}32mPASS" "$dir/tty.log" && ! grep -qF "${esc}32mPASS" "$dir/tty-nc.log" &&
		grep -qF "${esc}32mPASS" "$dir/tty-empty.log"; then
		pass "auto on a terminal: colour; NO_COLOR=1: none; NO_COLOR empty: colour"
	else
		fail "auto on a terminal: colour $(grep -cF "${esc}32m" "$dir/tty.log"), NO_COLOR=1 $(grep -cF "${esc}32m" "$dir/tty-nc.log"), NO_COLOR= $(grep -cF "${esc}32m" "$dir/tty-empty.log")"
	fi
else
	echo "select: SKIP: no script(1) for a terminal"
fi

# --- bad values: exit 2, the option and the value named, nothing written
bad() { # option value phrase
	err=$("$prog" run --junit "$dir/bad.xml" "$1" "$2" cases/ 2>&1 >"$dir/bad.out")
	rc=$?
	case "$rc:$err" in
	2:*"$1: '$2' $3"*)
		if [ -e "$dir/bad.xml" ] || [ -s "$dir/bad.out" ]; then
			fail "$1 '$2': something was written"
		else
			pass "$1 '$2': exit 2: $err"
		fi
		;;
	*) fail "$1 '$2': exit $rc: $err" ;;
	esac
	rm -f "$dir/bad.xml"
}
for v in 0/3 4/3 1/0 0/0 1/1001 2000/3000 x 3 1/ /3 1/3x "" -1/3 01/3 " 1/3"; do
	bad --shard "$v" "is not K/N with 1 <= K <= N <= 1000"
done
for v in 0 1001 x "" -1 3x; do bad --repeat "$v" "is not a number 1..1000"; done
for v in sometimes "" yes ALWAYS; do bad --color "$v" "is not auto, always or never"; done
for v in RFC9293 "9293 " "9293 3." "" x; do bad --rfc "$v" "is not an RFC number"; done
for v in must-1 MUST-0 MUST "" SHOULD-3; do bad --requirement "$v" "is not MUST-n, SHLD-n or MAY-n"; done
err=$("$prog" run --tag "" cases/ 2>&1 >/dev/null)
case "$?:$err" in
2:*"--tag: the tag is empty"*) pass "--tag '': exit 2: $err" ;;
*) fail "--tag '': $err" ;;
esac

echo "select: $n checks passed"
exit $status
