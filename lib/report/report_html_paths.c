/* RFC 9293 figure 5 as data, and the arrows of it a case run went along.
 * A case says where the connection is only through its `state:` checks,
 * so the path is rebuilt from the marks the engine leaves (step order):
 * the connection starts CLOSED (every case starts from a fresh target),
 * `app listen` and `app connect` from CLOSED put it in LISTEN and
 * SYN-SENT (RFC 9293 3.10.1: the OPEN call's own transition), and each
 * state check that names another state than the last one known means the
 * connection went from that one to this one. */
#include <string.h>

#include "report_html.h"

const struct html_arrow html_arrows[] = {
	{TC_CLOSED, TC_LISTEN, "passive OPEN", HTML_ARROW_FIGURE},
	{TC_LISTEN, TC_CLOSED, "CLOSE", HTML_ARROW_FIGURE},
	{TC_CLOSED, TC_SYN_SENT, "active OPEN / snd SYN", HTML_ARROW_FIGURE},
	{TC_LISTEN, TC_SYN_RECEIVED, "rcv SYN / snd SYN,ACK", HTML_ARROW_FIGURE},
	{TC_LISTEN, TC_SYN_SENT, "SEND / snd SYN", HTML_ARROW_FIGURE},
	{TC_SYN_SENT, TC_CLOSED, "CLOSE, rcv RST", HTML_ARROW_FIGURE},
	{TC_SYN_SENT, TC_SYN_RECEIVED, "rcv SYN / snd SYN,ACK", HTML_ARROW_FIGURE},
	{TC_SYN_SENT, TC_ESTABLISHED, "rcv SYN,ACK / snd ACK", HTML_ARROW_FIGURE},
	{TC_SYN_RECEIVED, TC_ESTABLISHED, "rcv ACK of SYN", HTML_ARROW_FIGURE},
	{TC_SYN_RECEIVED, TC_LISTEN, "rcv RST (passive open)", HTML_ARROW_RESET},
	{TC_SYN_RECEIVED, TC_FIN_WAIT_1, "CLOSE / snd FIN", HTML_ARROW_FIGURE},
	{TC_ESTABLISHED, TC_FIN_WAIT_1, "CLOSE / snd FIN", HTML_ARROW_FIGURE},
	{TC_ESTABLISHED, TC_CLOSE_WAIT, "rcv FIN / snd ACK", HTML_ARROW_FIGURE},
	{TC_FIN_WAIT_1, TC_FIN_WAIT_2, "rcv ACK of FIN", HTML_ARROW_FIGURE},
	{TC_FIN_WAIT_1, TC_CLOSING, "rcv FIN / snd ACK", HTML_ARROW_FIGURE},
	{TC_FIN_WAIT_1, TC_TIME_WAIT, "rcv FIN,ACK of FIN / snd ACK", HTML_ARROW_FIGURE},
	{TC_FIN_WAIT_2, TC_TIME_WAIT, "rcv FIN / snd ACK", HTML_ARROW_FIGURE},
	{TC_CLOSING, TC_TIME_WAIT, "rcv ACK of FIN", HTML_ARROW_FIGURE},
	{TC_CLOSE_WAIT, TC_LAST_ACK, "CLOSE / snd FIN", HTML_ARROW_FIGURE},
	{TC_LAST_ACK, TC_CLOSED, "rcv ACK of FIN", HTML_ARROW_FIGURE},
	{TC_TIME_WAIT, TC_CLOSED, "timeout 2MSL", HTML_ARROW_FIGURE},
	{TC_SYN_RECEIVED, TC_CLOSED, "rcv RST (active open), ABORT", HTML_ARROW_RESET},
	{TC_ESTABLISHED, TC_CLOSED, "rcv RST, ABORT", HTML_ARROW_RESET},
	{TC_FIN_WAIT_1, TC_CLOSED, "rcv RST, ABORT", HTML_ARROW_RESET},
	{TC_FIN_WAIT_2, TC_CLOSED, "rcv RST, ABORT", HTML_ARROW_RESET},
	{TC_CLOSE_WAIT, TC_CLOSED, "rcv RST, ABORT", HTML_ARROW_RESET},
	{TC_CLOSING, TC_CLOSED, "rcv RST, ABORT", HTML_ARROW_RESET},
};
const int html_narrows = (int)(sizeof(html_arrows) / sizeof(html_arrows[0]));
_Static_assert(sizeof(html_arrows) / sizeof(html_arrows[0]) <= HTML_ARROWS_MAX, "HTML_ARROWS_MAX");

int html_arrow_find(enum tc_state from, enum tc_state to)
{
	for (int i = 0; i < html_narrows; i++)
		if (html_arrows[i].from == from && html_arrows[i].to == to)
			return i;
	return -1;
}

/* The arrows from `from` to `to` when the checks skipped states between
 * them: the shortest way through the figure, only when there is exactly
 * one (two ways as short would be a guess). Returns how many arrows went
 * into path, 0 when none or not one. */
static int shortest_path(enum tc_state from, enum tc_state to, int path[TC_STATE__COUNT])
{
	int dist[TC_STATE__COUNT], ways[TC_STATE__COUNT], via[TC_STATE__COUNT];
	enum tc_state queue[TC_STATE__COUNT];
	int head = 0, tail = 0;

	for (int s = 0; s < TC_STATE__COUNT; s++)
		dist[s] = -1, ways[s] = 0, via[s] = -1;
	dist[from] = 0;
	ways[from] = 1;
	queue[tail++] = from;
	while (head < tail) {
		enum tc_state s = queue[head++];

		for (int a = 0; a < html_narrows; a++) {
			enum tc_state t = html_arrows[a].to;

			if (html_arrows[a].from != s)
				continue;
			if (dist[t] < 0) {
				dist[t] = dist[s] + 1;
				via[t] = a;
				queue[tail++] = t;
			}
			if (dist[t] == dist[s] + 1)
				ways[t] = ways[t] + ways[s] > 2 ? 2 : ways[t] + ways[s];
		}
	}
	if (dist[to] <= 0 || ways[to] != 1)
		return 0;
	int n = dist[to];
	for (enum tc_state s = to; s != from; s = html_arrows[via[s]].from)
		path[--n] = via[s];
	return dist[to];
}

/* The state a mark puts the connection in, from its text ("state
 * TIME-WAIT", "app listen"); -1 when it says nothing about that. */
static int mark_state(const struct report_mark *m, enum tc_state cur)
{
	enum tc_state s;

	if (m->kind == TC_STEP_STATE && strncmp(m->text, "state ", 6) == 0 &&
	    tc_state_parse(m->text + 6, &s) == 0)
		return (int)s;
	if (m->kind == TC_STEP_APP && cur == TC_CLOSED) {
		if (strcmp(m->text, "app listen") == 0)
			return TC_LISTEN;
		if (strcmp(m->text, "app connect") == 0)
			return TC_SYN_SENT;
	}
	return -1;
}

int html_paths_of(const struct report_entry *e, struct html_passage *out, int cap, int *failed_in)
{
	bool failed = e->verdict == TC_FAIL || e->verdict == TC_ERROR;
	enum tc_state cur = TC_CLOSED;
	bool charged = false;
	int n = 0;

	*failed_in = -1;
	if (e->verdict == TC_SKIP)
		return 0; /* did not run, or stopped at a recorded deviation */
	for (int i = 0; i < e->nmarks; i++) {
		const struct report_mark *m = &e->marks[i];
		bool here = failed && m->step == e->failed_step;
		int path[TC_STATE__COUNT], len, s;

		if (failed && e->failed_step >= 0 && m->step > e->failed_step)
			break;
		/* a failed app action did not move the connection; a failed
		 * state check says where the case expected it to go */
		if (here && m->kind != TC_STEP_STATE)
			continue;
		s = mark_state(m, cur);
		if (s < 0 || (enum tc_state)s == cur)
			continue;
		int a = html_arrow_find(cur, (enum tc_state)s);
		if (a >= 0) {
			path[0] = a;
			len = 1;
		} else {
			len = shortest_path(cur, (enum tc_state)s, path);
		}
		for (int k = 0; k < len && n < cap; k++)
			out[n++] = (struct html_passage){.arrow = path[k], .failed = here};
		charged |= here && len > 0;
		cur = (enum tc_state)s;
	}
	if (failed && !charged)
		*failed_in = (int)cur;
	return n;
}
