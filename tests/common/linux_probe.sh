# Sourced by the linux shell tests: skipped, saying why, when what the
# linux target needs cannot be had. Tried, not guessed from the uid: root
# without CAP_SYS_ADMIN (a CI container) cannot make namespaces. The tracefs
# probe leaves no mount (a private mount namespace when tracefs must be
# mounted first) and no instance; it names its instance as the target does,
# so the target's stale sweep would remove one left by a probe killed
# halfway. Needs $probe_name (the test's name, for the SKIP line).
skip() { echo "$probe_name: SKIP: $*"; exit 0; }
why=$(unshare -n true 2>&1) || skip "cannot create a network namespace: ${why##*: }"
probe_inst=/sys/kernel/tracing/instances/tcpconform-$$-0
if [ "$(stat -f -c %t /sys/kernel/tracing 2>/dev/null)" = 74726163 ]; then
	why=$( (mkdir "$probe_inst" && rmdir "$probe_inst") 2>&1) ||
		skip "cannot make a tracefs instance in /sys/kernel/tracing/instances: ${why##*: }"
else
	why=$(unshare -m sh -c "mount -t tracefs tcpconform /sys/kernel/tracing && mkdir $probe_inst && rmdir $probe_inst" 2>&1) ||
		skip "tracefs is not mounted on /sys/kernel/tracing and cannot be, or takes no instance: ${why##*: }"
fi
