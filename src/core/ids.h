/* Identity codes of the registry: the unified social credit code of an
 * enterprise (uscc, 统一社会信用代码, GB 32100-2015) and the resident identity
 * number of a worker (居民身份号码, GB 11643-1999). Pure functions, no I/O. */
#ifndef HX_IDS_H
#define HX_IDS_H

#include "err.h"

/* 0 when code is a valid USCC (18 characters from the GB 32100 set,
 * upper case, correct check character); HX_EINVAL otherwise, with a Chinese
 * message naming what is wrong. field names the request field for err. */
int hx_uscc_check(const char *code, const char *field, hx_err *err);
/* The check character for the first 17 characters, or 0 if they are not in
 * the character set. Used to make valid demo codes. */
char hx_uscc_check_char(const char *first17);

typedef struct hx_idnum_info {
	int year, month, day; /* birth date */
	char sex;             /* 'M' or 'F' */
	char birth[11];       /* YYYY-MM-DD */
} hx_idnum_info;

/* 0 when id is a valid 18-character resident ID number: 17 digits and a
 * check character (0-9 or upper-case X) by ISO 7064 MOD 11-2, with a real
 * birth date not in the future. Fills info when not NULL. */
int hx_idnum_check(const char *id, hx_idnum_info *info, const char *field, hx_err *err);
char hx_idnum_check_char(const char *first17);
/* Masked form for display: first 6, 8 asterisks, last 4
 * ("331125********123X"). out must hold 19 bytes. */
void hx_idnum_mask(const char *id, char out[19]);

#endif
