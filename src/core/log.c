/* Minimal leveled logging. */
#include "log.h"
#include "timeutil.h"

#include <stdarg.h>
#include <stdio.h>

static int min_level = HX_LOG_INFO;

void hx_log_level(int level)
{
	min_level = level;
}

void hx_log(int level, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warn", "error"};
	if (level < min_level)
		return;
	char ts[21];
	hx_now_iso(ts);
	char line[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s %s %s\n", ts, names[level & 3], line);
}
