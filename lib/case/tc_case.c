#include "tc_case.h"

static const char *const app_verb_names[TC_APP__COUNT] = {
	[TC_APP_LISTEN] = "listen",
	[TC_APP_CONNECT] = "connect",
	[TC_APP_ACCEPT] = "accept",
	[TC_APP_SEND] = "send",
	[TC_APP_RECV] = "recv",
	[TC_APP_SHUTDOWN] = "shutdown",
	[TC_APP_CLOSE] = "close",
	[TC_APP_ABORT] = "abort",
	[TC_APP_CLOSE_LISTENER] = "close-listener",
};

const char *tc_app_verb_name(enum tc_app_verb v)
{
	return (unsigned)v < TC_APP__COUNT ? app_verb_names[v] : "?";
}
