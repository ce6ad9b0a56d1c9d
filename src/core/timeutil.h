/* Dates and times as the store keeps them: dates as "YYYY-MM-DD", instants as
 * UTC "YYYY-MM-DDTHH:MM:SSZ" (both sort as text). The clock can be pinned
 * with HEXIE_TODAY=YYYY-MM-DD for tests that depend on "today". */
#ifndef HX_TIMEUTIL_H
#define HX_TIMEUTIL_H

#include <stdint.h>

int hx_date_valid(int y, int m, int d);
/* Parses a strict "YYYY-MM-DD"; 0 and the parts on success, -1 otherwise. */
int hx_date_parse(const char *s, int *y, int *m, int *d);
void hx_date_format(char out[11], int y, int m, int d);
void hx_today(char out[11]);          /* local calendar date (China, UTC+8) */
void hx_now_iso(char out[21]);        /* UTC instant */
int64_t hx_now_unix(void);
void hx_iso_from_unix(char out[21], int64_t t);
/* Whole years from birth date to date (both YYYY-MM-DD); -1 if unparsable. */
int hx_age_on(const char *birth, const char *date);
/* date plus n days (n may be negative). */
void hx_date_add_days(char out[11], const char *date, int n);
/* date plus n months (n may be negative), clamped to month end. */
void hx_date_add_months(char out[11], const char *date, int n);

#endif
