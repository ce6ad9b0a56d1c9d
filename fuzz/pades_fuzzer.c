/* Fuzz target for PAdES verification (trust/pades_verify.c): any bytes given
 * as a signed PDF must come back as a report or an error value, never a
 * crash, a leak or unbounded work. This drives the PDF reader (xref chain,
 * objects, the form field tree) and, for inputs that keep a signature
 * dictionary, the CMS, certificate and timestamp checks.
 *
 * LLVMFuzzerInitialize makes a root CA in a temporary directory
 * (hx_tsa_keys_make) for the chain checks; the seeds were signed under
 * another root, so their chains fail here, after every parser has run.
 * Seeds in fuzz/corpus/pades/: a small hand-made PDF with a form, and the
 * same file signed once by tests/unit/trust/test_pades.c. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "trust/pades.h"
#include "trust/tsa.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[PATH_MAX];
static char ca_path[PATH_MAX];

static void remove_keys(void)
{
	static const char *const files[] = {"ca.key", "ca.crt", "tsa.key", "tsa.crt", ".lock"};
	char path[PATH_MAX];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	hx_err err = {0};
	const char *base = getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/hx-pades-fuzz-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		abort();
	atexit(remove_keys);
	if (hx_tsa_keys_make(dir, &err)) {
		fprintf(stderr, "pades_fuzzer: %s\n", err.msg);
		abort();
	}
	snprintf(ca_path, sizeof ca_path, "%s/ca.crt", dir);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hx_err err = {0};
	json_t *out = NULL;
	if (hx_pades_verify(&out, data, size, ca_path, &err) == 0 && !out)
		abort(); /* success always comes with a report */
	json_decref(out);
	return 0;
}
