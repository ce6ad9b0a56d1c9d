/* OpenSSL-backed helpers: tokens, hashes, HMAC, AES-256-GCM, key files. */
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int hx_random(void *out, size_t n)
{
	return RAND_bytes(out, (int)n) == 1 ? 0 : HX_EINTERNAL;
}

void hx_hex(char *out, const uint8_t *p, size_t n)
{
	static const char H[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = H[p[i] >> 4];
		out[2 * i + 1] = H[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int hx_token(char *out, size_t nbytes)
{
	uint8_t b[64];
	if (nbytes > sizeof b || hx_random(b, nbytes))
		return HX_EINTERNAL;
	hx_hex(out, b, nbytes);
	OPENSSL_cleanse(b, sizeof b);
	return 0;
}

void hx_sha256_hex(char out[65], const void *p, size_t n)
{
	uint8_t md[32];
	EVP_Digest(p, n, md, NULL, EVP_sha256(), NULL);
	hx_hex(out, md, 32);
}

void hx_hmac_hex(char out[65], const uint8_t key[32], const void *p, size_t n)
{
	uint8_t md[32];
	unsigned int len = 32;
	HMAC(EVP_sha256(), key, 32, p, n, md, &len);
	hx_hex(out, md, 32);
}

int hx_ct_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return 0;
	return CRYPTO_memcmp(a, b, la) == 0;
}

char *hx_b64_encode(const void *p, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	return out;
}

int hx_b64_decode(uint8_t **out, size_t *outlen, const char *s)
{
	size_t n = strlen(s);
	if (n % 4)
		return HX_EINVAL;
	uint8_t *b = malloc(n / 4 * 3 + 1);
	if (!b)
		return HX_ENOMEM;
	int m = EVP_DecodeBlock(b, (const unsigned char *)s, (int)n);
	if (m < 0) {
		free(b);
		return HX_EINVAL;
	}
	if (n >= 1 && s[n - 1] == '=')
		m--;
	if (n >= 2 && s[n - 2] == '=')
		m--;
	*out = b;
	*outlen = (size_t)m;
	return 0;
}

static int load_key(uint8_t key[32], const char *dir, const char *name, int create, hx_err *err)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		uint8_t k[32];
		if (hx_random(k, 32))
			return hx_err_set(err, HX_EINTERNAL, "key", "", "cannot make random key");
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0)
			return hx_err_set(err, HX_EIO, "key", "", "cannot create %s: %s", path, strerror(errno));
		ssize_t w = write(fd, k, 32);
		fsync(fd);
		close(fd);
		OPENSSL_cleanse(k, 32);
		if (w != 32)
			return hx_err_set(err, HX_EIO, "key", "", "cannot write %s", path);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		return hx_err_set(err, HX_EIO, "key", "", "cannot open key %s: %s", path, strerror(errno));
	ssize_t r = read(fd, key, 32);
	close(fd);
	if (r != 32)
		return hx_err_set(err, HX_EIO, "key", "", "key file %s is not 32 bytes", path);
	return 0;
}

int hx_keys_load(hx_keys *out, const char *dir, int create, hx_err *err)
{
	if (create && mkdir(dir, 0700) < 0 && errno != EEXIST)
		return hx_err_set(err, HX_EIO, "key", "", "cannot create %s: %s", dir, strerror(errno));
	int rc;
	if ((rc = load_key(out->pii, dir, "pii.key", create, err)) ||
	    (rc = load_key(out->pii_index, dir, "pii-index.key", create, err)) ||
	    (rc = load_key(out->misc, dir, "misc.key", create, err)))
		return rc;
	return 0;
}

int hx_seal(char **out, const uint8_t key[32], const char *plain, const char *aad, hx_err *err)
{
	return hx_seal_bytes(out, key, plain, strlen(plain), aad, err);
}

int hx_seal_bytes(char **out, const uint8_t key[32], const void *plain, size_t n, const char *aad, hx_err *err)
{
	uint8_t *buf = malloc(12 + n + 16);
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok = 0;
	if (!buf || !c)
		goto done;
	if (hx_random(buf, 12))
		goto done;
	if (EVP_EncryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, buf) != 1)
		goto done;
	if (aad && EVP_EncryptUpdate(c, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) != 1)
		goto done;
	if (EVP_EncryptUpdate(c, buf + 12, &len, (const uint8_t *)plain, (int)n) != 1)
		goto done;
	if (EVP_EncryptFinal_ex(c, buf + 12 + len, &len) != 1)
		goto done;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, buf + 12 + n) != 1)
		goto done;
	*out = hx_b64_encode(buf, 12 + n + 16);
	ok = *out != NULL;
done:
	EVP_CIPHER_CTX_free(c);
	if (buf)
		OPENSSL_cleanse(buf, 12 + n + 16);
	free(buf);
	return ok ? 0 : hx_err_set(err, HX_EINTERNAL, "crypto", "", "encryption failed");
}

int hx_open(char **out, const uint8_t key[32], const char *sealed, const char *aad, hx_err *err)
{
	return hx_open_bytes((uint8_t **)out, NULL, key, sealed, aad, err);
}

int hx_open_bytes(uint8_t **out, size_t *outlen, const uint8_t key[32], const char *sealed, const char *aad,
		  hx_err *err)
{
	uint8_t *b = NULL;
	size_t n = 0;
	char *plain = NULL;
	EVP_CIPHER_CTX *c = NULL;
	int len = 0, ok = 0;
	if (hx_b64_decode(&b, &n, sealed) || n < 28)
		goto done;
	size_t pn = n - 28;
	plain = malloc(pn + 1);
	c = EVP_CIPHER_CTX_new();
	if (!plain || !c)
		goto done;
	if (EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, key, b) != 1)
		goto done;
	if (aad && EVP_DecryptUpdate(c, NULL, &len, (const uint8_t *)aad, (int)strlen(aad)) != 1)
		goto done;
	if (EVP_DecryptUpdate(c, (uint8_t *)plain, &len, b + 12, (int)pn) != 1)
		goto done;
	if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, b + 12 + pn) != 1)
		goto done;
	if (EVP_DecryptFinal_ex(c, (uint8_t *)plain + len, &len) != 1)
		goto done;
	plain[pn] = '\0';
	ok = 1;
done:
	EVP_CIPHER_CTX_free(c);
	free(b);
	if (!ok) {
		free(plain);
		return hx_err_set(err, HX_EINTERNAL, "crypto", "", "decryption failed");
	}
	*out = (uint8_t *)plain;
	if (outlen)
		*outlen = pn;
	return 0;
}
