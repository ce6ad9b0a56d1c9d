/* Fuzz target: the USCC and resident ID number checkers on any bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[64];
	if (size >= sizeof buf)
		size = sizeof buf - 1;
	memcpy(buf, data, size);
	buf[size] = '\0';
	hx_err err = {0};
	hx_idnum_info info;
	char masked[19];
	hx_uscc_check(buf, "uscc", &err);
	if (hx_idnum_check(buf, &info, "id_number", &err) == 0)
		hx_idnum_mask(buf, masked);
	return 0;
}
