/* Unit tests of the RFC 3161 client (src/trust/tsa_client.c) against a tiny
 * HTTP server in this process, answering with the built-in TSA: a token
 * that verifies, an unreachable TSA, one that never answers, and answers
 * that are garbage, rejections or for another request. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ftw.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/ts.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "trust/ca.h"
#include "trust/tsa.h"

enum mode { ANSWER, SILENT, GARBAGE, REJECT, OTHER_REQUEST, HTTP_500, TOO_BIG };

struct server {
	int fd;
	int port;
	enum mode mode;
	pthread_t thread;
	char content_type[128];
};

static struct {
	char dir[PATH_MAX];
	hx_tsa *tsa;
} fx;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int listen_any(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
	socklen_t n = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 4), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		c += w;
		n -= (size_t)w;
	}
}

/* Reads one request (headers and a Content-Length body) into buf; returns
 * the body's offset and sets *body_len, or -1. */
static long read_request(int fd, char *buf, size_t cap, size_t *body_len)
{
	size_t n = 0;
	char *end = NULL;
	while (!end) {
		if (n + 1 >= cap)
			return -1;
		ssize_t r = recv(fd, buf + n, cap - n - 1, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
		buf[n] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	long off = end + 4 - buf;
	const char *cl = strcasestr(buf, "Content-Length:");
	size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0;
	while (n - (size_t)off < want) {
		ssize_t r = recv(fd, buf + n, cap - n, 0);
		if (r <= 0)
			return -1;
		n += (size_t)r;
	}
	*body_len = want;
	return off;
}

static void reply(int fd, int status, const void *body, size_t n)
{
	char head[256];
	int h = snprintf(head, sizeof head,
			 "HTTP/1.1 %d X\r\nContent-Type: application/timestamp-reply\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n",
			 status, n);
	send_all(fd, head, (size_t)h);
	send_all(fd, body, n);
}

static void *serve_one(void *arg)
{
	struct server *s = arg;
	static char buf[65536];
	size_t blen = 0;
	int c = accept(s->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	long off = read_request(c, buf, sizeof buf, &blen);
	if (off >= 0) {
		const char *ct = strcasestr(buf, "Content-Type:");
		if (ct)
			sscanf(ct + 13, " %127[^\r\n]", s->content_type);
	}
	unsigned char *resp = NULL;
	size_t rn = 0;
	hx_err e = {0};
	switch (off < 0 ? SILENT : s->mode) {
	case ANSWER:
		if (hx_tsa_stamp(&resp, &rn, fx.tsa, (unsigned char *)buf + off, blen, &e) == 0)
			reply(c, 200, resp, rn);
		break;
	case SILENT: {
		/* waits for the client to give up */
		char x;
		while (recv(c, &x, 1, 0) > 0)
			;
		break;
	}
	case GARBAGE:
		reply(c, 200, "hello, this is not DER", 22);
		break;
	case REJECT:
		/* the TSA's answer to a request it cannot parse: a rejection */
		if (hx_tsa_stamp(&resp, &rn, fx.tsa, (const unsigned char *)"x", 1, &e) == 0)
			reply(c, 200, resp, rn);
		break;
	case OTHER_REQUEST: {
		/* a granted stamp, but for another query (another nonce) */
		const unsigned char *p = (const unsigned char *)buf + off;
		TS_REQ *q = d2i_TS_REQ(NULL, &p, (long)blen);
		if (q) {
			ASN1_INTEGER *nonce = ASN1_INTEGER_new();
			ASN1_INTEGER_set(nonce, 12345);
			TS_REQ_set_nonce(q, nonce);
			ASN1_INTEGER_free(nonce);
			unsigned char *der = NULL;
			int dn = i2d_TS_REQ(q, &der);
			if (dn > 0 && hx_tsa_stamp(&resp, &rn, fx.tsa, der, (size_t)dn, &e) == 0)
				reply(c, 200, resp, rn);
			OPENSSL_free(der);
			TS_REQ_free(q);
		}
		break;
	}
	case HTTP_500:
		reply(c, 500, "", 0);
		break;
	case TOO_BIG: {
		unsigned char *big = calloc(1, HX_TSA_TOKEN_MAX + 10);
		if (big)
			reply(c, 200, big, HX_TSA_TOKEN_MAX + 10);
		free(big);
		break;
	}
	}
	free(resp);
	close(c);
	return NULL;
}

static void start(struct server *s, enum mode m)
{
	memset(s, 0, sizeof *s);
	s->mode = m;
	s->fd = listen_any(&s->port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve_one, s), 0);
}

static void stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
}

static void url_of(char out[64], int port)
{
	snprintf(out, 64, "http://127.0.0.1:%d/tsa", port);
}

static void digest(unsigned char out[32], const char *s)
{
	assert_int_equal(EVP_Digest(s, strlen(s), out, NULL, EVP_sha256(), NULL), 1);
}

static int group_setup(void **st)
{
	(void)st;
	hx_err e = {0};
	const char *base = getenv("TMPDIR");
	snprintf(fx.dir, sizeof fx.dir, "%s/hx-tsac-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(fx.dir) || hx_tsa_keys_make(fx.dir, &e) || hx_tsa_open(&fx.tsa, fx.dir, &e)) {
		fprintf(stderr, "setup: %s\n", e.msg);
		return -1;
	}
	return 0;
}

static int group_teardown(void **st)
{
	(void)st;
	hx_tsa_free(fx.tsa);
	nftw(fx.dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

static void test_token_from_tsa_verifies(void **st)
{
	(void)st;
	struct server s;
	unsigned char d[32], *tok = NULL;
	size_t n = 0;
	char url[64], ca[PATH_MAX], when[32];
	hx_err e = {0};
	digest(d, "劳动合同签名");
	start(&s, ANSWER);
	url_of(url, s.port);
	if (hx_tsa_client_stamp(&tok, &n, url, d, 5000, &e))
		fail_msg("%s %s", e.key, e.msg);
	stop(&s);
	assert_string_equal(s.content_type, "application/timestamp-query");
	assert_true(snprintf(ca, sizeof ca, "%s/ca.crt", fx.dir) < (int)sizeof ca);
	assert_int_equal(hx_tsa_verify_token(tok, n, d, ca, when, &e), 0);
	assert_int_equal(strlen(when), 20);
	/* the token is for this digest only */
	unsigned char other[32];
	digest(other, "另一份合同");
	assert_int_equal(hx_tsa_verify_token(tok, n, other, ca, when, &e), HX_EINVAL);
	free(tok);
}

static void test_closed_port_is_unavailable(void **st)
{
	(void)st;
	int port, fd = listen_any(&port);
	close(fd); /* nothing listens there now */
	unsigned char d[32], *tok = (unsigned char *)"x";
	size_t n = 9;
	char url[64];
	hx_err e = {0};
	digest(d, "x");
	url_of(url, port);
	assert_int_equal(hx_tsa_client_stamp(&tok, &n, url, d, 2000, &e), HX_EIO);
	assert_string_equal(e.key, "tsa_unavailable");
	assert_null(tok);
	assert_int_equal(n, 0);
}

static void test_silent_tsa_times_out_as_unavailable(void **st)
{
	(void)st;
	struct server s;
	unsigned char d[32], *tok = NULL;
	size_t n;
	char url[64];
	hx_err e = {0};
	struct timespec t0, t1;
	digest(d, "x");
	start(&s, SILENT);
	url_of(url, s.port);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(hx_tsa_client_stamp(&tok, &n, url, d, 500, &e), HX_EIO);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	stop(&s);
	assert_string_equal(e.key, "tsa_unavailable");
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(secs >= 0.4 && secs < 3.0);
	assert_null(tok);
}

static void refused_with(enum mode m, int code, const char *key)
{
	struct server s;
	unsigned char d[32], *tok = NULL;
	size_t n;
	char url[64];
	hx_err e = {0};
	digest(d, "x");
	start(&s, m);
	url_of(url, s.port);
	assert_int_equal(hx_tsa_client_stamp(&tok, &n, url, d, 5000, &e), code);
	stop(&s);
	assert_string_equal(e.key, key);
	assert_null(tok);
}

static void test_garbage_answer_is_rejected(void **st)
{
	(void)st;
	refused_with(GARBAGE, HX_EINVAL, "tsa_rejected");
}

static void test_rejection_is_rejected(void **st)
{
	(void)st;
	refused_with(REJECT, HX_EINVAL, "tsa_rejected");
}

static void test_answer_to_another_nonce_is_rejected(void **st)
{
	(void)st;
	refused_with(OTHER_REQUEST, HX_EINVAL, "tsa_rejected");
}

static void test_oversized_answer_is_rejected(void **st)
{
	(void)st;
	refused_with(TOO_BIG, HX_EINVAL, "tsa_rejected");
}

static void test_server_error_is_unavailable(void **st)
{
	(void)st;
	refused_with(HTTP_500, HX_EIO, "tsa_unavailable");
}

static void test_non_http_url_is_refused(void **st)
{
	(void)st;
	unsigned char d[32] = {0}, *tok = NULL;
	size_t n;
	hx_err e = {0};
	assert_int_equal(hx_tsa_client_stamp(&tok, &n, "file:///etc/passwd", d, 500, &e), HX_EINVAL);
	assert_null(tok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_token_from_tsa_verifies),
		cmocka_unit_test(test_closed_port_is_unavailable),
		cmocka_unit_test(test_silent_tsa_times_out_as_unavailable),
		cmocka_unit_test(test_garbage_answer_is_rejected),
		cmocka_unit_test(test_rejection_is_rejected),
		cmocka_unit_test(test_answer_to_another_nonce_is_rejected),
		cmocka_unit_test(test_oversized_answer_is_rejected),
		cmocka_unit_test(test_server_error_is_unavailable),
		cmocka_unit_test(test_non_http_url_is_refused),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
