/* RFC 9293 Appendix B, the TCP requirement summary, as data. The feature
 * texts are short paraphrases of the table's rows (rows that share an ID,
 * such as MUST-15 for IPv4 and IPv6, are one entry here). */
#include "tc_reqs.h"

#include <string.h>

static const struct tc_reqspec reqs[] = {
	{"MUST-1", TC_LEVEL_MUST, "Treat the window as an unsigned number", NULL},
	{"MUST-2", TC_LEVEL_MUST, "Sender computes the checksum", NULL},
	{"MUST-3", TC_LEVEL_MUST, "Receiver checks the checksum", NULL},
	{"MUST-4", TC_LEVEL_MUST, "Support the mandatory option set", NULL},
	{"MUST-5", TC_LEVEL_MUST, "Receive a TCP option in any segment", NULL},
	{"MUST-6", TC_LEVEL_MUST, "Ignore unsupported options", NULL},
	{"MUST-7", TC_LEVEL_MUST, "Cope with an illegal option length", NULL},
	{"MUST-8", TC_LEVEL_MUST, "Include a clock-driven ISN generator component", NULL},
	{"MUST-9", TC_LEVEL_MUST_NOT, "PRF computable from outside the host", "the PRF is keyed with a secret of the host; the wire shows ISNs (MUST-8, SHLD-1), never whether someone outside could compute them"},
	{"MUST-10", TC_LEVEL_MUST, "Support simultaneous open attempts", NULL},
	{"MUST-11", TC_LEVEL_MUST, "SYN-RECEIVED remembers its last state", NULL},
	{"MUST-12", TC_LEVEL_MUST, "Inform the application of an aborted connection", NULL},
	{"MUST-13", TC_LEVEL_MUST, "Stay in TIME-WAIT for 2*MSL", NULL},
	{"MUST-14", TC_LEVEL_MUST, "Implement sending and receiving the MSS option", NULL},
	{"MUST-15", TC_LEVEL_MUST, "Send-MSS default is 536 (IPv4) / 1220 (IPv6)", NULL},
	{"MUST-16", TC_LEVEL_MUST, "Calculate the effective send segment size", NULL},
	{"MUST-17", TC_LEVEL_MUST, "The application can disable the Nagle algorithm", NULL},
	{"MUST-18", TC_LEVEL_MUST, "Karn's algorithm", NULL},
	{"MUST-19", TC_LEVEL_MUST, "Exponential backoff, slow start and congestion avoidance", NULL},
	{"MUST-20", TC_LEVEL_MUST, "Negative advice to IP after R1 retransmissions; close the connection after R2", NULL},
	{"MUST-21", TC_LEVEL_MUST, "The application can set R2", NULL},
	{"MUST-22", TC_LEVEL_MUST, "The same R1/R2 mechanism for SYNs", NULL},
	{"MUST-23", TC_LEVEL_MUST, "R2 at least 3 minutes for a SYN", NULL},
	{"MUST-24", TC_LEVEL_MUST, "Keep-alive: the application can request it", NULL},
	{"MUST-25", TC_LEVEL_MUST, "Keep-alive: off by default", NULL},
	{"MUST-26", TC_LEVEL_MUST, "Keep-alive: sent only when idle for the interval", NULL},
	{"MUST-27", TC_LEVEL_MUST, "Keep-alive: interval configurable", NULL},
	{"MUST-28", TC_LEVEL_MUST, "Keep-alive: default interval at least 2 hours", NULL},
	{"MUST-29", TC_LEVEL_MUST, "Keep-alive: tolerant of lost ACKs", NULL},
	{"MUST-30", TC_LEVEL_MUST, "Support the urgent pointer", NULL},
	{"MUST-31", TC_LEVEL_MUST, "Urgent data of arbitrary length", NULL},
	{"MUST-32", TC_LEVEL_MUST, "Inform the application asynchronously of urgent data", NULL},
	{"MUST-33", TC_LEVEL_MUST, "The application can learn if and how much urgent data is queued", NULL},
	{"MUST-34", TC_LEVEL_MUST, "Robust against a shrinking window", NULL},
	{"MUST-35", TC_LEVEL_MUST, "Use the standard probing logic", NULL},
	{"MUST-36", TC_LEVEL_MUST, "The sender probes a zero window", NULL},
	{"MUST-37", TC_LEVEL_MUST, "Allow the window to stay zero indefinitely", NULL},
	{"MUST-38", TC_LEVEL_MUST, "Sender SWS avoidance", NULL},
	{"MUST-39", TC_LEVEL_MUST, "Receiver SWS avoidance", NULL},
	{"MUST-40", TC_LEVEL_MUST, "Delayed ACK: delay under 0.5 seconds", NULL},
	{"MUST-41", TC_LEVEL_MUST_NOT, "A passive OPEN interferes with other connections", NULL},
	{"MUST-42", TC_LEVEL_MUST, "Simultaneous LISTENs for the same port", NULL},
	{"MUST-43", TC_LEVEL_MUST, "Optional local IP address parameter in OPEN", NULL},
	{"MUST-44", TC_LEVEL_MUST, "Ask IP for the source address of a SYN if necessary", NULL},
	{"MUST-45", TC_LEVEL_MUST, "Otherwise use the connection's local address", NULL},
	{"MUST-46", TC_LEVEL_MUST, "Reject an OPEN to a broadcast, multicast or invalid IP address", NULL},
	{"MUST-47", TC_LEVEL_MUST, "An error report mechanism", NULL},
	{"MUST-48", TC_LEVEL_MUST, "The application can set the Diffserv field for sending", NULL},
	{"MUST-49", TC_LEVEL_MUST, "Configurable TTL", NULL},
	{"MUST-50", TC_LEVEL_MUST, "Ignore IP options TCP does not understand", NULL},
	{"MUST-51", TC_LEVEL_MUST, "Source route: the application can specify one", NULL},
	{"MUST-52", TC_LEVEL_MUST, "Source route: it overrides the source route in the datagram", NULL},
	{"MUST-53", TC_LEVEL_MUST, "Source route: build the return route from it", NULL},
	{"MUST-54", TC_LEVEL_MUST, "Receive ICMP messages from IP", NULL},
	{"MUST-55", TC_LEVEL_MUST, "Source Quench: discard silently", NULL},
	{"MUST-56", TC_LEVEL_MUST_NOT, "Abort on Destination Unreachable (0,1,5), Time Exceeded or Parameter Problem", NULL},
	{"MUST-57", TC_LEVEL_MUST, "Silently discard a segment or SYN to a broadcast or multicast address", NULL},
	{"MUST-58", TC_LEVEL_MUST, "Aggregate ACKs whenever possible", NULL},
	{"MUST-59", TC_LEVEL_MUST, "Process all queued segments before sending an ACK", NULL},
	{"MUST-60", TC_LEVEL_MUST_NOT, "If SEND cannot specify PUSH: buffer indefinitely", NULL},
	{"MUST-61", TC_LEVEL_MUST, "If SEND cannot specify PUSH: PSH on the last segment", NULL},
	{"MUST-62", TC_LEVEL_MUST, "The urgent pointer points at the first non-urgent octet", NULL},
	{"MUST-63", TC_LEVEL_MUST, "Reject a SYN from an invalid IP address", NULL},
	{"MUST-64", TC_LEVEL_MUST, "Process options regardless of word alignment", NULL},
	{"MUST-65", TC_LEVEL_MUST_NOT, "Send the MSS option on a non-SYN segment", NULL},
	{"MUST-66", TC_LEVEL_MUST, "Process RST and URG even with a zero window", NULL},
	{"MUST-67", TC_LEVEL_MUST, "The MSS value based on MMS_R", NULL},
	{"MUST-68", TC_LEVEL_MUST, "Include a length in every option except EOL and NOP", NULL},
	{"MUST-69", TC_LEVEL_MUST, "Pad the header with zeros", NULL},
	{"SHLD-1", TC_LEVEL_SHOULD, "A secure ISN generator with a PRF component", NULL},
	{"SHLD-2", TC_LEVEL_SHOULD, "An RST can carry data", NULL},
	{"SHLD-3", TC_LEVEL_SHOULD, "Send an RST to indicate data lost", NULL},
	{"SHLD-4", TC_LEVEL_SHOULD, "Use timestamps to shorten TIME-WAIT", NULL},
	{"SHLD-5", TC_LEVEL_SHOULD, "Send the MSS option unless it is 536 (IPv4) / 1220 (IPv6)", NULL},
	{"SHLD-6", TC_LEVEL_SHOULD, "The MSS accounts for a varying MTU", NULL},
	{"SHLD-7", TC_LEVEL_SHOULD, "The Nagle algorithm", NULL},
	{"SHLD-8", TC_LEVEL_SHOULD, "Support ECN", NULL},
	{"SHLD-9", TC_LEVEL_SHOULD, "Inform the application when R1 <= retransmissions < R2", NULL},
	{"SHLD-10", TC_LEVEL_SHOULD, "The recommended value for R1", NULL},
	{"SHLD-11", TC_LEVEL_SHOULD, "The recommended value for R2", NULL},
	{"SHLD-12", TC_LEVEL_SHOULD, "Keep-alive sent with no data", NULL},
	{"SHLD-13", TC_LEVEL_SHOULD_NOT, "The application employs the urgent mechanism", NULL},
	{"SHLD-14", TC_LEVEL_SHOULD_NOT, "Shrink the window from the right", NULL},
	{"SHLD-15", TC_LEVEL_SHOULD_NOT, "Send new data when the window shrinks", NULL},
	{"SHLD-16", TC_LEVEL_SHOULD, "Retransmit old unacknowledged data within the window", NULL},
	{"SHLD-17", TC_LEVEL_SHOULD_NOT, "Time out the connection for data past the right edge", NULL},
	{"SHLD-18", TC_LEVEL_SHOULD, "Delayed ACKs", NULL},
	{"SHLD-19", TC_LEVEL_SHOULD, "ACK at least every second full-sized segment (2*RMSS)", NULL},
	{"SHLD-20", TC_LEVEL_SHOULD, "The application can disable the error report routine", NULL},
	{"SHLD-21", TC_LEVEL_SHOULD, "The application can change the Diffserv field during a connection", NULL},
	{"SHLD-22", TC_LEVEL_SHOULD, "The Diffserv field passed unchanged to IP", NULL},
	{"SHLD-23", TC_LEVEL_SHOULD_NOT, "The application generally changes Diffserv during a connection", NULL},
	{"SHLD-24", TC_LEVEL_SHOULD, "A later source route overrides", NULL},
	{"SHLD-25", TC_LEVEL_SHOULD, "Destination Unreachable (0,1,5): inform the application", NULL},
	{"SHLD-26", TC_LEVEL_SHOULD, "Destination Unreachable (2-4): abort the connection", NULL},
	{"SHLD-27", TC_LEVEL_SHOULD, "The sender collapses successive PSH bits", NULL},
	{"SHLD-28", TC_LEVEL_SHOULD, "Send a maximum-size segment when possible", NULL},
	{"SHLD-29", TC_LEVEL_SHOULD, "The first zero-window probe after one RTO", NULL},
	{"SHLD-30", TC_LEVEL_SHOULD, "Exponential backoff of zero-window probes", NULL},
	{"SHLD-31", TC_LEVEL_SHOULD, "Queue out-of-order segments", NULL},
	{"MAY-1", TC_LEVEL_MAY, "Half-duplex close", NULL},
	{"MAY-2", TC_LEVEL_MAY, "Accept a SYN in TIME-WAIT", NULL},
	{"MAY-3", TC_LEVEL_MAY, "Send the MSS option always", NULL},
	{"MAY-4", TC_LEVEL_MAY, "Retransmit with the same IP identity", NULL},
	{"MAY-5", TC_LEVEL_MAY, "Send keep-alive packets", NULL},
	{"MAY-6", TC_LEVEL_MAY, "Keep-alive configurable to send a garbage octet", NULL},
	{"MAY-7", TC_LEVEL_MAY, "Retransmit old data beyond SND.UNA+SND.WND", NULL},
	{"MAY-8", TC_LEVEL_MAY, "The receiver's window closed indefinitely", NULL},
	{"MAY-9", TC_LEVEL_MAY, "Pass the received Diffserv field up to the application", NULL},
	{"MAY-10", TC_LEVEL_MAY, "IP timestamp option support", NULL},
	{"MAY-11", TC_LEVEL_MAY, "IP record route support", NULL},
	{"MAY-12", TC_LEVEL_MAY, "Data injection protection (RFC 5961)", NULL},
	{"MAY-13", TC_LEVEL_MAY, "Send an ACK for an out-of-order segment", NULL},
	{"MAY-14", TC_LEVEL_MAY, "A FLUSH call", NULL},
	{"MAY-15", TC_LEVEL_MAY, "SEND can specify PUSH", NULL},
	{"MAY-16", TC_LEVEL_MAY, "Aggregate or queue un-pushed data", NULL},
	{"MAY-17", TC_LEVEL_MAY, "Notify the receiving application of PSH", NULL},
	{"MAY-18", TC_LEVEL_MAY, "Alternative conformant congestion control", NULL},
};

const struct tc_reqspec *tc_reqs_all(size_t *n)
{
	*n = sizeof(reqs) / sizeof(reqs[0]);
	return reqs;
}

const struct tc_reqspec *tc_reqs_find(const char *id)
{
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++)
		if (strcmp(reqs[i].id, id) == 0)
			return &reqs[i];
	return NULL;
}

const char *tc_level_name(enum tc_level l)
{
	switch (l) {
	case TC_LEVEL_MUST: return "MUST";
	case TC_LEVEL_MUST_NOT: return "MUST NOT";
	case TC_LEVEL_SHOULD: return "SHOULD";
	case TC_LEVEL_SHOULD_NOT: return "SHOULD NOT";
	case TC_LEVEL_MAY: return "MAY";
	}
	return "?";
}
