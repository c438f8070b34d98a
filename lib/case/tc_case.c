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

const char *tc_step_kind_name(enum tc_step_kind k)
{
	switch (k) {
	case TC_STEP_SEND: return "send";
	case TC_STEP_EXPECT: return "expect";
	case TC_STEP_EXPECT_NONE: return "expect_none";
	case TC_STEP_STATE: return "state";
	case TC_STEP_APP: return "app";
	case TC_STEP_WAIT: return "wait";
	}
	return "?";
}

const char *tc_stack_profile_name(enum tc_stack_profile p)
{
	switch (p) {
	case TC_SP_UNSET: return "(target default)";
	case TC_SP_MINIMAL: return "minimal";
	case TC_SP_DEFAULT: return "default";
	}
	return "?";
}
