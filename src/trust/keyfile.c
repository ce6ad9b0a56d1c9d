/* The key directory of the trust service and the certificates kept in it:
 * the platform root CA, the TSA certificate (tsa.c) and the issuing CA
 * (ca.c) are PEM files there, mode 0600, each written whole through a
 * temporary file renamed into place and made under dir/.lock. */
#include "trust_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define BACKDATE_SECS 60 /* notBefore a minute back: a lagging clock still accepts it */
#define NAME_CAP 64      /* a file name in the key directory */

int hx_trust_ossl_fail(hx_err *err, int code, const char *key, const char *what)
{
	char reason[256] = "";
	unsigned long e = ERR_peek_last_error();
	if (e)
		ERR_error_string_n(e, reason, sizeof reason);
	ERR_clear_error();
	return hx_err_set(err, code, key, "", "%s%s%s", what, *reason ? ": " : "", reason);
}

int hx_trust_der(unsigned char **out, size_t *len, const void *obj, const ASN1_ITEM *it)
{
	int n = ASN1_item_i2d(obj, NULL, it);
	unsigned char *buf = NULL, *p;
	if (n <= 0 || !(buf = malloc((size_t)n)) || (p = buf, ASN1_item_i2d(obj, &p, it) != n)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = (size_t)n;
	return 0;
}

int hx_keydir_path(char out[PATH_MAX], const hx_keydir *kd, const char *name, hx_err *err)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", kd->dir, name);
	if (n < 0 || n >= PATH_MAX)
		return hx_err_set(err, HX_EINVAL, kd->path_key, "", "密钥目录路径过长：%s", kd->dir);
	return 0;
}

int hx_keydir_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

int hx_keydir_lock(int *fd, const hx_keydir *kd, hx_err *err)
{
	char lock[PATH_MAX];
	int rc;
	*fd = -1;
	if ((rc = hx_keydir_path(lock, kd, ".lock", err)))
		return rc;
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		rc = hx_err_set(err, HX_EIO, kd->key, "", "无法锁定 %s：%s", lock, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return rc;
	}
	*fd = lfd;
	return 0;
}

void hx_keydir_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* releases the lock */
}

/* Writes data to dir/name, mode 0600, through a temporary file renamed into
 * place, so a reader sees the whole file or none. */
static int write_file(const hx_keydir *kd, const char *name, const void *data, size_t n, hx_err *err)
{
	char tmp[PATH_MAX], path[PATH_MAX];
	char tname[NAME_CAP];
	int fd = -1, dfd = -1, rc;
	snprintf(tname, sizeof tname, ".%s.tmp", name);
	if ((rc = hx_keydir_path(tmp, kd, tname, err)) || (rc = hx_keydir_path(path, kd, name, err)))
		return rc;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) < 0)
		goto fail;
	for (const char *p = data; n > 0;) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			goto fail;
		p += w;
		n -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail;
	if ((dfd = open(kd->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	rc = hx_err_set(err, HX_EIO, kd->key, "", "无法写入 %s：%s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int hx_keydir_write_pem(const hx_keydir *kd, const char *name, EVP_PKEY *key, X509 *cert, hx_err *err)
{
	/* a private key goes through secure memory, cleared on free */
	BIO *m = BIO_new(key ? BIO_s_secmem() : BIO_s_mem());
	char *data = NULL;
	int rc;
	if (!m || !(key ? PEM_write_bio_PrivateKey(m, key, NULL, NULL, 0, NULL, NULL)
			: PEM_write_bio_X509(m, cert))) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, kd->key, "PEM 编码失败");
		goto done;
	}
	long n = BIO_get_mem_data(m, &data);
	rc = write_file(kd, name, data, n > 0 ? (size_t)n : 0, err);
done:
	BIO_free(m);
	return rc;
}

int hx_keydir_read_pem(EVP_PKEY **key, X509 **cert, const hx_keydir *kd, const char *name, hx_err *err)
{
	char path[PATH_MAX];
	int rc, ok;
	if ((rc = hx_keydir_path(path, kd, name, err)))
		return rc;
	BIO *b = BIO_new_file(path, "r");
	if (key)
		ok = (*key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL) != NULL;
	else
		ok = (*cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL) != NULL;
	BIO_free(b);
	if (!ok)
		return hx_trust_ossl_fail(err, HX_EIO, kd->key,
					  key ? "无法读取私钥文件" : "无法读取证书文件");
	return 0;
}

int hx_cert_add_exts(X509 *x, X509 *issuer, const hx_cert_ext *exts, size_t n)
{
	X509V3_CTX v3;
	X509V3_set_ctx(&v3, issuer ? issuer : x, x, NULL, NULL, 0);
	for (size_t i = 0; i < n; i++) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &v3, exts[i].nid, exts[i].value);
		int added = e && X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
		if (!added)
			return -1;
	}
	return 0;
}

int hx_cert_make(X509 **out, EVP_PKEY *key, const hx_cert_spec *spec, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	int rc = -1;
	/* UTF8String written as it is (not left to OpenSSL's string mask) */
	if (!x || !name || !X509_set_version(x, X509_VERSION_3) || !spec->serial(X509_get_serialNumber(x)) ||
	    !X509_NAME_add_entry_by_NID(name, NID_commonName, V_ASN1_UTF8STRING,
					(const unsigned char *)spec->cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -BACKDATE_SECS) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), (int)spec->days, 0, NULL) || !X509_set_pubkey(x, key) ||
	    hx_cert_add_exts(x, issuer, spec->exts, spec->nexts) ||
	    X509_sign(x, issuer_key, EVP_sha256()) <= 0)
		goto done;
	*out = x;
	x = NULL;
	rc = 0;
done:
	X509_free(x);
	X509_NAME_free(name);
	return rc;
}

/* Hands k and x to the caller when rc is 0; frees them otherwise. */
static int hand_pair(EVP_PKEY **key, X509 **cert, EVP_PKEY *k, X509 *x, int rc)
{
	if (rc) {
		EVP_PKEY_free(k);
		X509_free(x);
		return rc;
	}
	*key = k;
	*cert = x;
	return 0;
}

/* <stem><ext> into out (a file name, not a path). */
static void pair_name(char out[NAME_CAP], const char *stem, const char *ext)
{
	snprintf(out, NAME_CAP, "%s%s", stem, ext);
}

int hx_keydir_make_pair(EVP_PKEY **key, X509 **cert, const hx_keydir *kd, const hx_cert_spec *spec,
			X509 *issuer, EVP_PKEY *issuer_key, hx_err *err)
{
	char kname[NAME_CAP], cname[NAME_CAP];
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int rc;
	pair_name(kname, spec->stem, ".key");
	pair_name(cname, spec->stem, ".crt");
	if (!(k = EVP_EC_gen("P-256"))) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, kd->key, spec->key_failed);
		goto done;
	}
	if (hx_cert_make(&x, k, spec, issuer, issuer ? issuer_key : k)) {
		rc = hx_trust_ossl_fail(err, HX_EINTERNAL, kd->key, spec->cert_failed);
		goto done;
	}
	if ((rc = hx_keydir_write_pem(kd, kname, k, NULL, err)) ||
	    (rc = hx_keydir_write_pem(kd, cname, NULL, x, err)))
		goto done;
done:
	return hand_pair(key, cert, k, x, rc);
}

int hx_keydir_load_pair(EVP_PKEY **key, X509 **cert, const hx_keydir *kd, const char *stem, hx_err *err)
{
	char kname[NAME_CAP], cname[NAME_CAP], what[2 * NAME_CAP + 32];
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int rc;
	pair_name(kname, stem, ".key");
	pair_name(cname, stem, ".crt");
	if ((rc = hx_keydir_read_pem(NULL, &x, kd, cname, err)) ||
	    (rc = hx_keydir_read_pem(&k, NULL, kd, kname, err)))
		goto done;
	if (X509_check_private_key(x, k) != 1) {
		snprintf(what, sizeof what, "%s 与 %s 不匹配", kname, cname);
		rc = hx_trust_ossl_fail(err, HX_EIO, kd->key, what);
		goto done;
	}
done:
	return hand_pair(key, cert, k, x, rc);
}
