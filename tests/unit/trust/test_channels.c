/* Unit tests of the message channels (src/trust/channels.c): the outbox
 * kept for admins when nothing is configured, an SMS gateway (a tiny HTTP
 * server thread in this process) getting the URL-encoded phone and Chinese
 * text by GET or a JSON POST, an SMTP server thread getting a UTF-8 mail,
 * retries with backoff when the gateway is down, giving up after the last
 * attempt, and two workers never sending one message twice.
 *
 * One SQLite store in a temp folder (or the empty PostgreSQL database in
 * HEXIE_TEST_CHANNELS_PG_URL, when set); the clock is a variable the cases
 * move, so nothing waits for a backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/crypto.h"
#include "core/timeutil.h"
#include "store/store.h"
#include "trust/channels.h"
#include "trust/otp.h"

#define PHONE "+8613800138000"
#define TEXT "【和谐劳动】您的验证码是 123456 & \"勿告诉他人\"\n谢谢"

typedef struct fx {
	char dir[64];
	hx_store *store;
	hx_db *db;
	hx_keys keys;
	hx_ctx c;
	hx_err err;
} fx;

#define OK(e)                                                                                   \
	do {                                                                                    \
		int rc_ = (e);                                                                  \
		if (rc_)                                                                        \
			fail_msg("%s -> %d [%s] %s (field %s)", #e, rc_, f->err.key, f->err.msg,  \
				 f->err.field);                                                 \
	} while (0)

static long long g_clock = 1700000000;

static long long fake_now(void)
{
	return g_clock;
}

/* ---- a one-connection capture server (HTTP or SMTP) ---- */

struct server {
	int fd, port, smtp, status, served;
	pthread_t thread;
	char req[16384]; /* HTTP: request line, headers and body; SMTP: the DATA */
	char body[8192];  /* HTTP body */
	char mail_from[1024], rcpt_to[1024];
};

static int listen_on(int *port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)*port)};
	socklen_t n = sizeof a;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(fd, 8), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &n), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

/* A port nothing listens on. */
static int closed_port(void)
{
	int port = 0, fd = listen_on(&port);
	close(fd);
	return port;
}

static void say(int c, const char *s)
{
	(void)!send(c, s, strlen(s), MSG_NOSIGNAL);
}

/* One line (CRLF stripped) into line; 0 at end of stream. */
static int read_line(int c, char *line, size_t cap)
{
	size_t n = 0;
	char ch;
	while (recv(c, &ch, 1, 0) == 1) {
		if (ch == '\n') {
			if (n && line[n - 1] == '\r')
				n--;
			line[n] = '\0';
			return 1;
		}
		if (n + 1 < cap)
			line[n++] = ch;
	}
	return 0;
}

static void serve_http(struct server *s, int c)
{
	size_t n = 0;
	char *end = NULL;
	while (!end && n + 1 < sizeof s->req) {
		ssize_t r = recv(c, s->req + n, sizeof s->req - n - 1, 0);
		if (r <= 0)
			return;
		n += (size_t)r;
		s->req[n] = '\0';
		end = strstr(s->req, "\r\n\r\n");
	}
	if (!end)
		return;
	const char *cl = strcasestr(s->req, "Content-Length:");
	size_t want = cl ? strtoul(cl + 15, NULL, 10) : 0, off = (size_t)(end + 4 - s->req);
	while (n - off < want && n + 1 < sizeof s->req) {
		ssize_t r = recv(c, s->req + n, sizeof s->req - n - 1, 0);
		if (r <= 0)
			break;
		n += (size_t)r;
		s->req[n] = '\0';
	}
	if (want < sizeof s->body) {
		memcpy(s->body, s->req + off, want);
		s->body[want] = '\0';
	}
	char head[128];
	snprintf(head, sizeof head, "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
		 s->status);
	say(c, head);
}

static void serve_smtp(struct server *s, int c)
{
	char line[1024];
	size_t n = 0;
	say(c, "220 test ESMTP\r\n");
	while (read_line(c, line, sizeof line)) {
		if (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0) {
			say(c, "250 test\r\n");
		} else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
			snprintf(s->mail_from, sizeof s->mail_from, "%s", line + 10);
			say(c, "250 OK\r\n");
		} else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
			snprintf(s->rcpt_to, sizeof s->rcpt_to, "%s", line + 8);
			say(c, "250 OK\r\n");
		} else if (strcasecmp(line, "DATA") == 0) {
			say(c, "354 go ahead\r\n");
			while (read_line(c, line, sizeof line) && strcmp(line, ".") != 0) {
				size_t l = strlen(line);
				if (n + l + 3 < sizeof s->req) {
					memcpy(s->req + n, line, l);
					memcpy(s->req + n + l, "\r\n", 3);
					n += l + 2;
				}
			}
			say(c, "250 queued\r\n");
		} else if (strcasecmp(line, "QUIT") == 0) {
			say(c, "221 bye\r\n");
			break;
		} else {
			say(c, "502 no\r\n");
		}
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	/* one connection, or none within 10 s */
	if (poll(&p, 1, 10000) != 1)
		return NULL;
	int c = accept(s->fd, NULL, NULL);
	if (c < 0)
		return NULL;
	s->served++;
	if (s->smtp)
		serve_smtp(s, c);
	else
		serve_http(s, c);
	close(c);
	return NULL;
}

/* Starts a server on port (0: any), HTTP answering status, or SMTP. */
static struct server *start(int port, int smtp, int status)
{
	struct server *s = calloc(1, sizeof *s);
	assert_non_null(s);
	s->port = port;
	s->smtp = smtp;
	s->status = status;
	s->fd = listen_on(&s->port);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
	return s;
}

static void stop(struct server *s)
{
	pthread_join(s->thread, NULL);
	close(s->fd);
}

/* ---- helpers ---- */

static void configure(fx *f, const char *sms_url, const char *sms_body, const char *smtp_url)
{
	unsetenv("HEXIE_SMS_URL");
	unsetenv("HEXIE_SMS_BODY");
	unsetenv("HEXIE_SMTP_URL");
	unsetenv("HEXIE_SMTP_FROM");
	if (sms_url)
		setenv("HEXIE_SMS_URL", sms_url, 1);
	if (sms_body)
		setenv("HEXIE_SMS_BODY", sms_body, 1);
	if (smtp_url) {
		setenv("HEXIE_SMTP_URL", smtp_url, 1);
		setenv("HEXIE_SMTP_FROM", "和谐劳动 <noreply@hexie.test>", 1);
	}
	OK(hx_channels_configure_from_env(&f->err));
}

static void gateway_url(char out[128], int port)
{
	snprintf(out, 128, "http://127.0.0.1:%d/send?to={phone}&msg={text}", port);
}

/* Queues a message in its own committed transaction; the row's id. */
static long long queue(fx *f, const char *to, const char *subject, const char *text)
{
	long long id = 0;
	OK(hx_db_begin_write(f->db, &f->err));
	OK(hx_message_queue(&f->c, to, subject, text, &f->err));
	OK(hx_db_int(f->db, &id, "SELECT max(id) FROM outbox", NULL, 0, &f->err));
	OK(hx_db_commit(f->db, &f->err));
	return id;
}

static hx_rows *row(fx *f, long long id)
{
	hx_rows *r;
	hx_param p[] = {hx_p_int(id)};
	OK(hx_db_query(f->db, f->c.arena, &r,
		       "SELECT channel, status, attempts, next_try_at, sent_at, error, subject FROM outbox WHERE id = ?",
		       p, 1, &f->err));
	assert_int_equal(r->nrows, 1);
	return r;
}

static int deliver(fx *f)
{
	int n = hx_messages_deliver_pending(f->store, &f->keys, 0, &f->err);
	if (n < 0)
		fail_msg("deliver -> %d [%s] %s", n, f->err.key, f->err.msg);
	return n;
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	char url[128];
	snprintf(f->dir, sizeof f->dir, "/tmp/hx-chan-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(url, sizeof url, "sqlite:%s/hexie.db", f->dir);
	/* opt-in run on PostgreSQL, against an empty database of its own */
	const char *pg = getenv("HEXIE_TEST_CHANNELS_PG_URL");
	OK(hx_store_open(&f->store, pg && *pg ? pg : url, 4, &f->err));
	OK(hx_store_migrate(f->store, NULL, &f->err));
	OK(hx_db_get(&f->db, f->store, &f->err));
	memset(f->keys.misc, 0x33, sizeof f->keys.misc);
	f->c = (hx_ctx){.db = f->db, .keys = &f->keys, .ip = "cli"};
	hx_channels_set_clock(fake_now);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	fx *f = *state;
	char path[128];
	hx_channels_set_clock(NULL);
	configure(f, NULL, NULL, NULL);
	hx_db_put(f->db);
	hx_store_close(f->store);
	static const char *const files[] = {"hexie.db", "hexie.db-wal", "hexie.db-shm", "hexie.db-journal"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", f->dir, files[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static int setup(void **state)
{
	fx *f = *state;
	f->c.arena = hx_arena_new();
	hx_err_clear(&f->err);
	/* each case starts with an empty outbox */
	OK(hx_db_exec(f->db, "DELETE FROM outbox", NULL, 0, NULL, &f->err));
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	if (hx_db_in_tx(f->db))
		hx_db_rollback(f->db);
	configure(f, NULL, NULL, NULL);
	hx_arena_free(f->c.arena);
	f->c.arena = NULL;
	return 0;
}

/* ---- cases ---- */

static void test_without_channels_messages_are_kept_in_the_outbox(void **state)
{
	fx *f = *state;
	configure(f, NULL, NULL, NULL);
	assert_string_equal(hx_channels_describe(), "outbox");
	long long a = queue(f, PHONE, NULL, TEXT), b = queue(f, "zhang.san@example.cn", "通知", "你好");
	for (long long id = a; id <= b; id++) {
		hx_rows *r = row(f, id);
		assert_string_equal(hx_rows_get(r, 0, "channel"), "outbox");
		assert_string_equal(hx_rows_get(r, 0, "status"), "kept");
		assert_null(hx_rows_get(r, 0, "next_try_at"));
	}
	assert_int_equal(deliver(f), 0);
	assert_string_equal(hx_rows_get(row(f, a), 0, "status"), "kept");
	/* what the contract evidence records as the channel */
	assert_string_equal(hx_message_channel(PHONE), "outbox");
	assert_string_equal(hx_message_channel("zhang.san@example.cn"), "outbox");
	assert_null(hx_message_channel("12"));
	assert_null(hx_message_channel(NULL));
}

static void test_bad_recipients_and_config_are_refused(void **state)
{
	fx *f = *state;
	static const char *const bad[] = {"12", "1380013800a", "a@b", "x y@example.cn", "a@b.cn\r\nBcc: c@d.cn",
					  "<a@b.cn>", ""};
	OK(hx_db_begin_write(f->db, &f->err));
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(hx_message_queue(&f->c, bad[i], NULL, "x", &f->err), HX_EINVAL);
		assert_string_equal(f->err.key, "invalid_recipient");
	}
	char *big = calloc(1, HX_MESSAGE_TEXT_MAX + 2);
	memset(big, 'a', HX_MESSAGE_TEXT_MAX + 1);
	assert_int_equal(hx_message_queue(&f->c, PHONE, NULL, big, &f->err), HX_ETOOBIG);
	free(big);
	assert_int_equal(hx_message_queue(&f->c, "a@b.cn", "x\r\nBcc: c@d.cn", "x", &f->err), HX_EINVAL);
	assert_string_equal(f->err.key, "invalid_subject");
	hx_db_rollback(f->db);

	setenv("HEXIE_SMS_URL", "ftp://gw.example/{text}", 1);
	assert_int_equal(hx_channels_configure_from_env(&f->err), HX_EINVAL);
	assert_string_equal(f->err.field, "HEXIE_SMS_URL");
	unsetenv("HEXIE_SMS_URL");
	setenv("HEXIE_SMTP_URL", "smtp://127.0.0.1:25", 1);
	unsetenv("HEXIE_SMTP_FROM");
	assert_int_equal(hx_channels_configure_from_env(&f->err), HX_EINVAL);
	assert_string_equal(f->err.field, "HEXIE_SMTP_FROM");
	unsetenv("HEXIE_SMTP_URL");
	assert_string_equal(hx_channels_describe(), "outbox");
}

static void test_gateway_gets_url_encoded_phone_and_chinese_text(void **state)
{
	fx *f = *state;
	char url[128];
	struct server *s = start(0, 0, 200);
	gateway_url(url, s->port);
	configure(f, url, NULL, NULL);
	assert_string_equal(hx_channels_describe(), "sms-gateway");
	assert_string_equal(hx_message_channel(PHONE), "sms");
	assert_string_equal(hx_message_channel("zhang.san@example.cn"), "outbox"); /* no SMTP */
	long long id = queue(f, PHONE, NULL, TEXT);
	hx_rows *r = row(f, id);
	assert_string_equal(hx_rows_get(r, 0, "channel"), "sms");
	assert_string_equal(hx_rows_get(r, 0, "status"), "queued");

	assert_int_equal(deliver(f), 1);
	stop(s);
	assert_int_equal(s->served, 1);
	/* 【和谐劳动】您的验证码是 … */
	const char *want = "GET /send?to=%2B8613800138000&msg=%E3%80%90%E5%92%8C%E8%B0%90%E5%8A%B3%E5%8A%A8"
			   "%E3%80%91%E6%82%A8%E7%9A%84%E9%AA%8C%E8%AF%81%E7%A0%81%E6%98%AF%20123456%20%26%20"
			   "%22%E5%8B%BF%E5%91%8A%E8%AF%89%E4%BB%96%E4%BA%BA%22%0A%E8%B0%A2%E8%B0%A2 HTTP/1.1\r\n";
	if (strncmp(s->req, want, strlen(want)) != 0)
		fail_msg("request:\n%s", s->req);
	free(s);

	r = row(f, id);
	assert_string_equal(hx_rows_get(r, 0, "status"), "sent");
	assert_int_equal(hx_rows_int(r, 0, "attempts"), 1);
	char at[21];
	hx_iso_from_unix(at, g_clock);
	assert_string_equal(hx_rows_get(r, 0, "sent_at"), at);
	assert_null(hx_rows_get(r, 0, "error"));
	assert_int_equal(deliver(f), 0); /* sent once */
}

static void test_gateway_post_body_is_json_escaped(void **state)
{
	fx *f = *state;
	char url[128];
	struct server *s = start(0, 0, 200);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/sms", s->port);
	configure(f, url, "{\"mobile\":\"{phone}\",\"content\":\"{text}\",\"note\":\"{other}\"}", NULL);
	long long id = queue(f, PHONE, NULL, TEXT "{phone}");
	assert_int_equal(deliver(f), 1);
	stop(s);
	assert_non_null(strstr(s->req, "POST /api/sms HTTP/1.1\r\n"));
	assert_non_null(strcasestr(s->req, "Content-Type: application/json"));
	const char *want = "{\"mobile\":\"+8613800138000\",\"content\":\"【和谐劳动】您的验证码是 123456 & "
			   "\\\"勿告诉他人\\\"\\n谢谢{phone}\",\"note\":\"{other}\"}";
	assert_string_equal(s->body, want);
	free(s);
	assert_string_equal(hx_rows_get(row(f, id), 0, "status"), "sent");
}

/* The base64 body of a mail, decoded. */
static char *mail_body(const char *mail)
{
	const char *b = strstr(mail, "\r\n\r\n");
	assert_non_null(b);
	char joined[8192];
	size_t n = 0;
	for (b += 4; *b && n + 1 < sizeof joined; b++)
		if (*b != '\r' && *b != '\n')
			joined[n++] = *b;
	joined[n] = '\0';
	uint8_t *out = NULL;
	size_t len = 0;
	assert_int_equal(hx_b64_decode(&out, &len, joined), 0);
	char *s = malloc(len + 1);
	memcpy(s, out, len);
	s[len] = '\0';
	free(out);
	return s;
}

static void test_smtp_gets_a_utf8_mail(void **state)
{
	fx *f = *state;
	char url[128];
	struct server *s = start(0, 1, 0);
	snprintf(url, sizeof url, "smtp://127.0.0.1:%d", s->port);
	configure(f, NULL, NULL, url);
	assert_string_equal(hx_channels_describe(), "outbox+smtp");
	/* phones still go to the outbox */
	long long kept = queue(f, PHONE, NULL, "x");
	assert_string_equal(hx_rows_get(row(f, kept), 0, "status"), "kept");
	const char *subject = "劳动合同签署通知：请于三日内完成电子签名确认，逾期将视为放弃签署";
	long long id = queue(f, "zhang.san@example.cn", subject, TEXT);
	assert_string_equal(hx_rows_get(row(f, id), 0, "channel"), "email");

	assert_int_equal(deliver(f), 1);
	stop(s);
	assert_string_equal(s->mail_from, "<noreply@hexie.test>");
	assert_string_equal(s->rcpt_to, "<zhang.san@example.cn>");
	assert_non_null(strstr(s->req, "Content-Type: text/plain; charset=UTF-8\r\n"));
	assert_non_null(strstr(s->req, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(s->req, "To: <zhang.san@example.cn>\r\n"));
	char *body = mail_body(s->req);
	assert_string_equal(body, TEXT);
	free(body);

	/* the subject: encoded words, decoded and joined give it back */
	char got[512] = "";
	const char *p = strstr(s->req, "Subject:");
	assert_non_null(p);
	while ((p = strstr(p, "=?UTF-8?B?")) && p < strstr(s->req, "MIME-Version")) {
		p += 10;
		const char *e = strstr(p, "?=");
		char enc[128];
		assert_true(e - p < (long)sizeof enc);
		memcpy(enc, p, (size_t)(e - p));
		enc[e - p] = '\0';
		uint8_t *dec;
		size_t dn;
		assert_int_equal(hx_b64_decode(&dec, &dn, enc), 0);
		strncat(got, (const char *)dec, dn);
		free(dec);
		p = e;
	}
	assert_string_equal(got, subject);
	free(s);
	assert_string_equal(hx_rows_get(row(f, id), 0, "status"), "sent");
}

static void test_down_gateway_retries_with_backoff_then_sends(void **state)
{
	fx *f = *state;
	char url[128];
	int port = closed_port();
	gateway_url(url, port);
	configure(f, url, NULL, NULL);
	long long t0 = g_clock;
	long long id = queue(f, PHONE, NULL, TEXT);

	assert_int_equal(deliver(f), 1);
	hx_rows *r = row(f, id);
	assert_string_equal(hx_rows_get(r, 0, "status"), "queued");
	assert_int_equal(hx_rows_int(r, 0, "attempts"), 1);
	assert_int_equal(hx_rows_int(r, 0, "next_try_at"), t0 + 30);
	const char *e = hx_rows_get(r, 0, "error");
	assert_non_null(e);
	assert_null(strstr(e, "123456")); /* never the text */
	assert_null(strstr(e, "send?"));

	g_clock = t0 + 29; /* not due yet */
	assert_int_equal(deliver(f), 0);

	struct server *s = start(port, 0, 200); /* the gateway is back */
	g_clock = t0 + 30;
	assert_int_equal(deliver(f), 1);
	stop(s);
	assert_int_equal(s->served, 1);
	free(s);
	r = row(f, id);
	assert_string_equal(hx_rows_get(r, 0, "status"), "sent");
	assert_int_equal(hx_rows_int(r, 0, "attempts"), 2);
	assert_null(hx_rows_get(r, 0, "error"));
}

static void test_gateway_error_status_fails_after_six_attempts(void **state)
{
	fx *f = *state;
	char url[128];
	static const long long waits[] = {30, 120, 600, 1800, 3600};
	int port = closed_port();
	gateway_url(url, port);
	configure(f, url, NULL, NULL);
	long long id = queue(f, PHONE, NULL, TEXT);
	for (int i = 0; i < HX_MESSAGE_MAX_ATTEMPTS; i++) {
		/* one attempt gets an answer: HTTP 503 counts as a failure too */
		struct server *s = i == 2 ? start(port, 0, 503) : NULL;
		assert_int_equal(deliver(f), 1);
		hx_rows *r = row(f, id);
		assert_int_equal(hx_rows_int(r, 0, "attempts"), i + 1);
		if (s) {
			stop(s);
			free(s);
			assert_non_null(strstr(hx_rows_get(r, 0, "error"), "503"));
		}
		if (i + 1 < HX_MESSAGE_MAX_ATTEMPTS) {
			assert_string_equal(hx_rows_get(r, 0, "status"), "queued");
			assert_int_equal(hx_rows_int(r, 0, "next_try_at"), g_clock + waits[i]);
			g_clock += waits[i];
		} else {
			assert_string_equal(hx_rows_get(r, 0, "status"), "failed");
			assert_null(hx_rows_get(r, 0, "next_try_at"));
		}
	}
	g_clock += 86400;
	assert_int_equal(deliver(f), 0);
}

struct worker {
	hx_store *store;
	const hx_keys *keys;
	int n;
	hx_err err;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	w->n = hx_messages_deliver_pending(w->store, w->keys, 0, &w->err);
	return NULL;
}

static void test_two_workers_send_a_message_once(void **state)
{
	fx *f = *state;
	char url[128];
	struct server *s = start(0, 0, 200);
	gateway_url(url, s->port);
	configure(f, url, NULL, NULL);
	long long id = queue(f, PHONE, NULL, TEXT);
	struct worker w[2] = {{.store = f->store, .keys = &f->keys}, {.store = f->store, .keys = &f->keys}};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_true(w[0].n >= 0 && w[1].n >= 0);
	assert_int_equal(w[0].n + w[1].n, 1);
	stop(s);
	assert_int_equal(s->served, 1);
	free(s);
	hx_rows *r = row(f, id);
	assert_string_equal(hx_rows_get(r, 0, "status"), "sent");
	assert_int_equal(hx_rows_int(r, 0, "attempts"), 1);
}

static void test_otp_codes_go_to_the_gateway_and_the_outbox_list_shows_delivery(void **state)
{
	fx *f = *state;
	char url[128];
	struct server *s = start(0, 0, 200);
	gateway_url(url, s->port);
	configure(f, url, NULL, NULL);
	hx_otp_set_clock(fake_now);
	OK(hx_db_begin_write(f->db, &f->err));
	OK(hx_otp_send(&f->c, "identity", "channels:1", "13800138000", "验证码%s", &f->err));
	OK(hx_db_commit(f->db, &f->err));
	assert_int_equal(deliver(f), 1);
	stop(s);
	assert_non_null(strstr(s->req, "to=13800138000&msg=%E9%AA%8C%E8%AF%81%E7%A0%81"));
	free(s);

	json_t *out = NULL;
	OK(hx_otp_outbox_list(&out, &f->c, 10, &f->err));
	json_t *it = json_array_get(json_object_get(out, "items"), 0);
	assert_non_null(it);
	assert_string_equal(json_string_value(json_object_get(it, "channel")), "sms");
	assert_string_equal(json_string_value(json_object_get(it, "status")), "sent");
	assert_int_equal(json_integer_value(json_object_get(it, "attempts")), 1);
	assert_true(json_is_null(json_object_get(it, "error")));
	assert_true(json_is_string(json_object_get(it, "sent_at")));
	json_decref(out);
	hx_otp_set_clock(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_without_channels_messages_are_kept_in_the_outbox, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_recipients_and_config_are_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway_gets_url_encoded_phone_and_chinese_text, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gateway_post_body_is_json_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smtp_gets_a_utf8_mail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_gateway_retries_with_backoff_then_sends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gateway_error_status_fails_after_six_attempts, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_workers_send_a_message_once, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_otp_codes_go_to_the_gateway_and_the_outbox_list_shows_delivery, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
