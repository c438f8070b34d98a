#include "tc_state.h"

#include <ctype.h>
#include <string.h>

static const char *const state_names[] = {
#define TC_STATE_NAME(e, s) [e] = s,
	TC_STATE_LIST(TC_STATE_NAME)
#undef TC_STATE_NAME
};

const char *tc_state_name(enum tc_state s)
{
	return (unsigned)s < TC_STATE__COUNT ? state_names[s] : "?";
}

int tc_state_parse(const char *text, enum tc_state *out)
{
	char norm[32];
	size_t n = strlen(text);

	if (n == 0 || n >= sizeof(norm))
		return -1;
	for (size_t i = 0; i <= n; i++)
		norm[i] = text[i] == '_' ? '-' : (char)toupper((unsigned char)text[i]);
	for (int i = 0; i < TC_STATE__COUNT; i++) {
		if (strcmp(norm, state_names[i]) == 0) {
			*out = (enum tc_state)i;
			return 0;
		}
	}
	return -1;
}
