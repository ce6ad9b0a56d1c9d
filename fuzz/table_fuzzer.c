/* Fuzz target for spreadsheet import (src/report/table_read.c): any bytes
 * a user uploads as .xlsx or .csv must come back as a table or an error
 * value, never a crash, a leak or unbounded memory.
 *
 * Mutating a real .xlsx mostly breaks its zip checksums, so the worksheet
 * parser would rarely be reached. An input starting with "HXSHEET\n" is
 * therefore packed first: the rest, up to an optional NUL, becomes
 * xl/worksheets/sheet1.xml and what follows the NUL xl/sharedStrings.xml
 * of a fresh, valid zip. Every other input goes to hx_table_read as is.
 * Seeds in fuzz/corpus/table/: UTF-8 and GBK CSV, two small workbooks and
 * a packed sheet. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zip.h>

#include "report/report.h"

#define SHEET_MAGIC "HXSHEET\n"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A zip holding the sheet and shared strings, stored uncompressed. */
static char *pack(const uint8_t *data, size_t size, size_t *outlen)
{
	char *out = NULL;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t sheet_len = nul ? (size_t)(nul - data) : size;
	zip_error_t ze;
	zip_error_init(&ze);
	zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (!src)
		goto done;
	zip_source_keep(src);
	zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	if (!z)
		goto free_src;
	zip_source_t *s = zip_source_buffer(z, data, sheet_len, 0);
	zip_int64_t i = s ? zip_file_add(z, "xl/worksheets/sheet1.xml", s, 0) : -1;
	if (i >= 0)
		zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0);
	if (nul) {
		s = zip_source_buffer(z, nul + 1, size - sheet_len - 1, 0);
		i = s ? zip_file_add(z, "xl/sharedStrings.xml", s, 0) : -1;
		if (i >= 0)
			zip_set_file_compression(z, (zip_uint64_t)i, ZIP_CM_STORE, 0);
	}
	if (zip_close(z) != 0) {
		zip_discard(z);
		goto free_src;
	}
	if (zip_source_open(src) != 0)
		goto free_src;
	zip_source_seek(src, 0, SEEK_END);
	zip_int64_t n = zip_source_tell(src);
	zip_source_seek(src, 0, SEEK_SET);
	if (n > 0 && (out = malloc((size_t)n)) &&
	    zip_source_read(src, out, (zip_uint64_t)n) == n) {
		*outlen = (size_t)n;
	} else {
		free(out);
		out = NULL;
	}
	zip_source_close(src);
free_src:
	zip_source_free(src);
done:
	zip_error_fini(&ze);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *packed = NULL;
	size_t magic = sizeof SHEET_MAGIC - 1;
	if (size >= magic && memcmp(data, SHEET_MAGIC, magic) == 0) {
		packed = pack(data + magic, size - magic, &size);
		if (!packed)
			return 0;
		data = (const uint8_t *)packed;
	}
	hx_table *t = NULL;
	hx_err err;
	memset(&err, 0, sizeof err);
	int rc = hx_table_read(&t, data, size, HX_TABLE_AUTO, 1000, &err);
	if (rc == 0) {
		/* Touch every cell: each must be a readable string. */
		size_t total = 0;
		for (size_t r = 0; r < t->nrows; r++)
			for (size_t c = 0; c < t->ncols[r]; c++)
				total += strlen(t->cells[r][c]);
		if (t->nrows > 1000 || total > ((size_t)128 << 20))
			__builtin_trap();
		hx_table_free(t);
	} else if (t || err.code != rc || !err.msg[0]) {
		__builtin_trap(); /* an error must leave no table and say why */
	}
	free(packed);
	return 0;
}
