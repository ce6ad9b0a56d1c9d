/* Calendar helpers. China has one time zone (UTC+8, no DST), so "today" is
 * computed from UTC plus eight hours whatever the server's TZ says. */
#include "timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int mdays(int y, int m)
{
	static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

int hx_date_valid(int y, int m, int d)
{
	return y >= 1 && y <= 9999 && m >= 1 && m <= 12 && d >= 1 && d <= mdays(y, m);
}

int hx_date_parse(const char *s, int *y, int *m, int *d)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	int yy = atoi(s), mm = atoi(s + 5), dd = atoi(s + 8);
	if (!hx_date_valid(yy, mm, dd))
		return -1;
	if (y)
		*y = yy;
	if (m)
		*m = mm;
	if (d)
		*d = dd;
	return 0;
}

void hx_date_format(char out[11], int y, int m, int d)
{
	unsigned yy = (unsigned)y % 10000u, mm = (unsigned)m % 100u, dd = (unsigned)d % 100u;
	snprintf(out, 11, "%04u-%02u-%02u", yy, mm, dd);
}

void hx_today(char out[11])
{
	const char *pin = getenv("HEXIE_TODAY");
	if (pin && hx_date_parse(pin, NULL, NULL, NULL) == 0) {
		memcpy(out, pin, 11);
		return;
	}
	time_t t = time(NULL) + 8 * 3600;
	struct tm tm;
	gmtime_r(&t, &tm);
	hx_date_format(out, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

int64_t hx_now_unix(void)
{
	return (int64_t)time(NULL);
}

void hx_iso_from_unix(char out[21], int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void hx_now_iso(char out[21])
{
	hx_iso_from_unix(out, hx_now_unix());
}

int hx_age_on(const char *birth, const char *date)
{
	int by, bm, bd, y, m, d;
	if (hx_date_parse(birth, &by, &bm, &bd) || hx_date_parse(date, &y, &m, &d))
		return -1;
	int age = y - by;
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

void hx_date_add_months(char out[11], const char *date, int n)
{
	int y, m, d;
	if (hx_date_parse(date, &y, &m, &d)) {
		out[0] = '\0';
		return;
	}
	int t = y * 12 + (m - 1) + n;
	y = t / 12;
	m = t % 12 + 1;
	if (d > mdays(y, m))
		d = mdays(y, m);
	hx_date_format(out, y, m, d);
}

/* Days since 1970-01-01 of a civil date, and back (proleptic Gregorian). */
static long days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
	z += 719468;
	long era = (z >= 0 ? z : z - 146096) / 146097;
	long doe = z - era * 146097;
	long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	long yy = yoe + era * 400;
	long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	long mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yy + (*m <= 2));
}

void hx_date_add_days(char out[11], const char *date, int n)
{
	int y, m, d;
	if (hx_date_parse(date, &y, &m, &d)) {
		out[0] = '\0';
		return;
	}
	civil_from_days(days_from_civil(y, m, d) + n, &y, &m, &d);
	hx_date_format(out, y, m, d);
}
