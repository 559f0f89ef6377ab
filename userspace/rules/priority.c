/* Falco's priorities: names as printed in alerts, and the spellings rules may use. */
#include <strings.h>

#include "rules/rules.h"

static const char *const names[] = {"Emergency", "Alert",  "Critical",	    "Error",
				    "Warning",	 "Notice", "Informational", "Debug"};

const char *ks_priority_name(enum ks_priority p)
{
	return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "Unknown";
}

int ks_priority_parse(const char *s)
{
	if (!s)
		return -1;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "info") == 0) /* Falco accepts both INFO and INFORMATIONAL */
		return KS_PRI_INFORMATIONAL;
	return -1;
}
