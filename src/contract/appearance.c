/* The visible side of a signature (签章外观): what a PDF reader shows in
 * the signature block where each party signs — for the enterprise (甲方
 * （盖章）) a round red company seal with its name along the upper arc, a
 * five-pointed star and 劳动合同专用章; for the worker (乙方（签字）) the
 * name the worker wrote by hand on the phone page (a PNG, checked here);
 * under each, the day that party signed, Beijing time. The look is drawn
 * with cairo and pango into an image, which hx_pades_prepare_visible puts
 * into the signature widget's appearance: the PDF needs no new font, and
 * the same inputs draw the same pixels, so the update made at prepare is
 * made again byte for byte when the signature is completed. */
#include "contract_impl.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <pango/pangocairo.h>

#include "../core/timeutil.h"

#define PX_PER_PT 2.0           /* the image's resolution: 144 dpi */
#define SEAL_MAX_D (40.0 * 72.0 / 25.4) /* a company seal is 40 mm across */
#define DATE_H 16.0             /* points kept below the mark for its date */
#define SEAL_R 0.902, 0.0, 0.071 /* #E60012, the red of seal ink */
#define INK 0.08, 0.08, 0.12
#define HAND_MIN_W 60           /* the handwritten name's PNG: sane sizes */
#define HAND_MIN_H 30
#define HAND_MAX_SIDE 2000
#define HAND_MIN_INK 30         /* dark pixels an empty canvas does not have */

/* ---- the handwritten name -------------------------------------------------- */

typedef struct png_reader {
	const unsigned char *p;
	size_t len, pos;
} png_reader;

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int n)
{
	png_reader *r = closure;
	if (n > r->len - r->pos)
		return CAIRO_STATUS_READ_ERROR;
	memcpy(data, r->p + r->pos, n);
	r->pos += n;
	return CAIRO_STATUS_SUCCESS;
}

/* Decodes png into an image surface, or says what is wrong with it. */
static int hand_decode(cairo_surface_t **out, const unsigned char *png, size_t len, hx_err *err)
{
	static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
	*out = NULL;
	if (len > HX_HANDWRITING_MAX)
		return hx_err_set(err, HX_EINVAL, "handwriting_too_big", "handwriting", "手写签名图片过大（上限%d KB）",
				  HX_HANDWRITING_MAX >> 10);
	if (len < sizeof sig + 25 || memcmp(png, sig, sizeof sig) != 0)
		return hx_err_set(err, HX_EINVAL, "bad_handwriting", "handwriting", "手写签名应为PNG图片");
	/* the size from IHDR before decoding: a small file can claim a huge image */
	unsigned long w = (unsigned long)png[16] << 24 | (unsigned long)png[17] << 16 | (unsigned long)png[18] << 8 | png[19];
	unsigned long h = (unsigned long)png[20] << 24 | (unsigned long)png[21] << 16 | (unsigned long)png[22] << 8 | png[23];
	if (memcmp(png + 12, "IHDR", 4) != 0 || w < HAND_MIN_W || h < HAND_MIN_H || w > HAND_MAX_SIDE || h > HAND_MAX_SIDE)
		return hx_err_set(err, HX_EINVAL, "bad_handwriting", "handwriting",
				  "手写签名图片的尺寸应在%d×%d至%d×%d像素之间", HAND_MIN_W, HAND_MIN_H, HAND_MAX_SIDE,
				  HAND_MAX_SIDE);
	png_reader r = {png, len, 0};
	cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &r);
	if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
		cairo_surface_destroy(s);
		return hx_err_set(err, HX_EINVAL, "bad_handwriting", "handwriting", "手写签名不是有效的PNG图片");
	}
	/* strokes: opaque enough and dark; an empty or blank canvas has none */
	cairo_surface_flush(s);
	int sw = cairo_image_surface_get_width(s), sh = cairo_image_surface_get_height(s);
	int stride = cairo_image_surface_get_stride(s);
	cairo_format_t f = cairo_image_surface_get_format(s);
	const unsigned char *d = cairo_image_surface_get_data(s);
	long ink = 0;
	for (int y = 0; d && y < sh && ink < HAND_MIN_INK; y++)
		for (int x = 0; x < sw; x++) {
			uint32_t px = *(const uint32_t *)(d + (size_t)y * (size_t)stride + 4 * (size_t)x);
			unsigned a = f == CAIRO_FORMAT_RGB24 ? 255 : px >> 24;
			unsigned lum = ((px >> 16 & 255) + (px >> 8 & 255) + (px & 255)) / 3; /* premultiplied */
			if (a >= 128 && lum < a / 2)
				ink++;
		}
	if (ink < HAND_MIN_INK) {
		cairo_surface_destroy(s);
		return hx_err_set(err, HX_EINVAL, "handwriting_empty", "handwriting", "手写签名为空，请在签名框内写下您的姓名");
	}
	*out = s;
	return 0;
}

int hx_contract_handwriting_check(const unsigned char *png, size_t len, hx_err *err)
{
	cairo_surface_t *s = NULL;
	int rc = hand_decode(&s, png, len, err);
	if (s)
		cairo_surface_destroy(s);
	return rc;
}

/* ---- drawing ----------------------------------------------------------------- */

/* Text centred on (x, y) in the given font; the layout's ink, not its
 * line box, so a single character sits where it is meant to. */
static void text_at(cairo_t *cr, PangoContext *pc, const char *font, double size, const char *text, double x,
		    double y)
{
	/* one context for the whole look: a new one per text (as
	 * pango_cairo_create_layout makes) costs a font lookup each time */
	pango_cairo_update_context(cr, pc);
	PangoLayout *l = pango_layout_new(pc);
	PangoFontDescription *fd = pango_font_description_from_string(font);
	pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
	pango_layout_set_font_description(l, fd);
	pango_layout_set_text(l, text, -1);
	PangoRectangle ink;
	pango_layout_get_extents(l, &ink, NULL);
	cairo_move_to(cr, x - ((double)ink.x + ink.width / 2.0) / PANGO_SCALE,
		      y - ((double)ink.y + ink.height / 2.0) / PANGO_SCALE);
	pango_cairo_show_layout(cr, l);
	pango_font_description_free(fd);
	g_object_unref(l);
}

/* "2026-12-08T02:00:00Z" → "2026年12月8日", the day in Beijing (UTC+8). */
static void beijing_day(char out[40], const char *iso)
{
	struct tm tm = {0};
	out[0] = '\0';
	if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return;
	time_t t = timegm(&tm) + 8 * 3600;
	gmtime_r(&t, &tm);
	snprintf(out, 40, "%d年%d月%d日", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static void star(cairo_t *cr, double cx, double cy, double r)
{
	for (int i = 0; i < 10; i++) {
		double a = -M_PI / 2 + i * M_PI / 5, rr = i % 2 ? r * 0.382 : r;
		if (i)
			cairo_line_to(cr, cx + rr * cos(a), cy + rr * sin(a));
		else
			cairo_move_to(cr, cx + rr * cos(a), cy + rr * sin(a));
	}
	cairo_close_path(cr);
	cairo_fill(cr);
}

/* The round company seal (公章 style) of diameter d centred on (cx, cy). */
static void seal(cairo_t *cr, PangoContext *pc, const char *name, double cx, double cy, double d)
{
	double R = d / 2, ring = d * 0.035;
	cairo_set_source_rgb(cr, SEAL_R);
	cairo_set_line_width(cr, ring);
	cairo_arc(cr, cx, cy, R - ring / 2, 0, 2 * M_PI);
	cairo_stroke(cr);
	star(cr, cx, cy, R * 0.24);
	/* the name clockwise along the upper arc, each character upright
	 * towards the rim, spread over at most 240 degrees */
	size_t n = (size_t)g_utf8_strlen(name, -1);
	if (n > 40)
		n = 40;
	if (n) {
		double size = fmin(R * 0.25, 0.9 * (R * 0.7) * (4.19 / (double)n));
		double rt = R - ring - size * 0.72;
		double span = fmin(4.19, (double)n * size * 1.08 / rt);
		const char *p = name;
		for (size_t i = 0; i < n; i++) {
			char ch[8] = {0};
			const char *q = g_utf8_next_char(p);
			memcpy(ch, p, (size_t)(q - p) < sizeof ch - 1 ? (size_t)(q - p) : sizeof ch - 1);
			p = q;
			double a = -M_PI / 2 - span / 2 + (n > 1 ? span * (double)i / (double)(n - 1) : span / 2);
			cairo_save(cr);
			cairo_translate(cr, cx + rt * cos(a), cy + rt * sin(a));
			cairo_rotate(cr, a + M_PI / 2);
			text_at(cr, pc, "Noto Serif CJK SC Bold", size, ch, 0, 0);
			cairo_restore(cr);
		}
	}
	text_at(cr, pc, "Noto Sans CJK SC Bold", R * 0.15, "劳动合同专用章", cx, cy + R * 0.52);
}

/* The worker's name as written, fitted into w × h at (x, y). */
static void hand(cairo_t *cr, cairo_surface_t *img, double x, double y, double w, double h)
{
	double iw = cairo_image_surface_get_width(img), ih = cairo_image_surface_get_height(img);
	double s = fmin(w / iw, h / ih);
	cairo_save(cr);
	cairo_translate(cr, x + (w - iw * s) / 2, y + (h - ih * s) / 2);
	cairo_scale(cr, s, s);
	cairo_set_source_surface(cr, img, 0, 0);
	cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_GOOD);
	cairo_paint(cr);
	cairo_restore(cr);
}

/* ---- the appearance ------------------------------------------------------------ */

void hx_contract_look_free(hx_contract_look *look)
{
	if (!look)
		return;
	free(look->rgb_z);
	free(look->alpha_z);
	memset(look, 0, sizeof *look);
}

/* Encoded looks by the SHA-256 of what they are drawn from. Drawing and
 * compressing a look costs ~4 ms; the cache makes the completion's second
 * drawing, and a seal's every later one that day, a copy. */
#define LOOK_CACHE 64

typedef struct cached_look {
	char key[65];
	unsigned char *rgb_z, *alpha_z;
	size_t rgb_zlen, alpha_zlen;
	int width, height;
	unsigned long used;
} cached_look;

static cached_look g_looks[LOOK_CACHE];
static unsigned long g_looks_clock;
static pthread_mutex_t g_looks_mu = PTHREAD_MUTEX_INITIALIZER;

static unsigned char *dup_bytes(const unsigned char *p, size_t n)
{
	unsigned char *d = malloc(n);
	if (d)
		memcpy(d, p, n);
	return d;
}

/* Copies the cached look of key into look; 1 when found. */
static int cache_get(hx_contract_look *look, const char *key)
{
	int found = 0;
	pthread_mutex_lock(&g_looks_mu);
	for (int i = 0; i < LOOK_CACHE && !found; i++) {
		cached_look *e = &g_looks[i];
		if (!e->rgb_z || strcmp(e->key, key) != 0)
			continue;
		look->rgb_z = dup_bytes(e->rgb_z, e->rgb_zlen);
		look->alpha_z = dup_bytes(e->alpha_z, e->alpha_zlen);
		if (look->rgb_z && look->alpha_z) {
			look->ap.rgb_zlen = e->rgb_zlen;
			look->ap.alpha_zlen = e->alpha_zlen;
			look->ap.width = e->width;
			look->ap.height = e->height;
			e->used = ++g_looks_clock;
			found = 1;
		} else {
			free(look->rgb_z);
			free(look->alpha_z);
			look->rgb_z = look->alpha_z = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&g_looks_mu);
	return found;
}

/* Keeps a copy of look under key, in place of the least recently used. */
static void cache_put(const hx_contract_look *look, const char *key)
{
	unsigned char *r = dup_bytes(look->rgb_z, look->ap.rgb_zlen), *a = dup_bytes(look->alpha_z, look->ap.alpha_zlen);
	if (!r || !a) {
		free(r);
		free(a);
		return;
	}
	pthread_mutex_lock(&g_looks_mu);
	cached_look *e = &g_looks[0];
	for (int i = 1; i < LOOK_CACHE; i++)
		if (g_looks[i].used < e->used)
			e = &g_looks[i];
	free(e->rgb_z);
	free(e->alpha_z);
	snprintf(e->key, sizeof e->key, "%s", key);
	e->rgb_z = r;
	e->alpha_z = a;
	e->rgb_zlen = look->ap.rgb_zlen;
	e->alpha_zlen = look->ap.alpha_zlen;
	e->width = look->ap.width;
	e->height = look->ap.height;
	e->used = ++g_looks_clock;
	pthread_mutex_unlock(&g_looks_mu);
}

/* The box of party in the contract's stored sign_boxes; 1 when found. */
static int box_of(const char *boxes, const char *party, hx_pades_appearance *ap)
{
	json_t *j = boxes ? json_loads(boxes, 0, NULL) : NULL, *b = json_object_get(j, party);
	json_t *r = json_object_get(b, "rect");
	int ok = json_is_integer(json_object_get(b, "page")) && json_array_size(r) == 4;
	for (size_t i = 0; ok && i < 4; i++) {
		ok = json_is_number(json_array_get(r, i));
		if (ok)
			ap->rect[i] = json_number_value(json_array_get(r, i));
	}
	if (ok) {
		ap->page = (int)json_integer_value(json_object_get(b, "page"));
		ok = ap->rect[2] - ap->rect[0] >= 20 && ap->rect[3] - ap->rect[1] >= 20;
	}
	json_decref(j);
	return ok;
}

int hx_contract_look_make(hx_contract_look *look, const char *boxes, const char *party, const char *enterprise_name,
			  const char *signer_name, const unsigned char *png, size_t png_len, const char *signing_time,
			  hx_err *err)
{
	cairo_surface_t *img = NULL, *s = NULL;
	cairo_t *cr = NULL;
	unsigned char *rgba = NULL;
	PangoContext *pc = NULL;
	int rc = 0;
	memset(look, 0, sizeof *look);
	if (!box_of(boxes, party, &look->ap))
		return 0; /* a contract sent before boxes were recorded: invisible */
	double W = look->ap.rect[2] - look->ap.rect[0], H = look->ap.rect[3] - look->ap.rect[1];
	char day[40], png_sha[65] = "", key[65], what[1200];
	beijing_day(day, signing_time);
	if (png)
		hx_sha256_hex(png_sha, png, png_len);
	int is_ent = strcmp(party, "enterprise") == 0;
	/* everything the pixels depend on */
	snprintf(what, sizeof what, "look-v2|%s|%.300s|%.300s|%s|%s|%.3f|%.3f", party, is_ent && enterprise_name ? enterprise_name : "",
		 !is_ent && !png && signer_name ? signer_name : "", png_sha, day, W, H);
	hx_sha256_hex(key, what, strlen(what));
	if (cache_get(look, key)) {
		look->ap.rgb_z = look->rgb_z;
		look->ap.alpha_z = look->alpha_z;
		look->visible = 1;
		return 0;
	}
	if (png && (rc = hand_decode(&img, png, png_len, err)))
		return rc;
	int pw = (int)ceil(W * PX_PER_PT), ph = (int)ceil(H * PX_PER_PT);
	s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, pw, ph);
	cr = cairo_create(s);
	if (cairo_status(cr)) {
		rc = hx_err_set(err, HX_ENOMEM, "no_memory", "", "out of memory");
		goto done;
	}
	cairo_scale(cr, PX_PER_PT, PX_PER_PT);
	/* from this thread's font map (per thread, as the PDF documents'):
	 * fonts load once per thread */
	pc = pango_font_map_create_context(pango_cairo_font_map_get_default());
	pango_cairo_context_set_resolution(pc, 72);
	double mark_h = H - DATE_H;
	if (is_ent) {
		/* the enterprise signs with its seal, whichever key signs: the
		 * seal key on the server or an HR user's browser key */
		double d = fmin(SEAL_MAX_D, fmin(mark_h, W));
		seal(cr, pc, enterprise_name ? enterprise_name : "", W / 2, mark_h / 2, d);
	} else if (img) {
		hand(cr, img, 4, 2, W - 8, mark_h - 4);
	} else {
		/* no handwriting given (an API client): the name in print */
		cairo_set_source_rgb(cr, INK);
		text_at(cr, pc, "Noto Sans CJK SC", fmin(22.0, mark_h * 0.4), signer_name ? signer_name : "", W / 2,
			mark_h / 2);
	}
	if (*day) {
		cairo_set_source_rgb(cr, INK);
		text_at(cr, pc, "Noto Sans CJK SC", 9.0, day, W / 2, H - DATE_H / 2);
	}
	cairo_surface_flush(s);
	if (cairo_status(cr) || cairo_surface_status(s)) {
		rc = hx_err_set(err, HX_EINTERNAL, "render_failed", "", "签章外观绘制失败");
		goto done;
	}
	/* cairo's ARGB32 is premultiplied, native-endian; the PDF image wants
	 * straight RGB with the alpha apart. Each colour is snapped to the
	 * look's two inks (the seal's red, the dark of text and strokes): the
	 * edges' alpha keeps the smoothness, and a colour plane of two values
	 * compresses to almost nothing (each revision stores the image). */
	const unsigned char *src = cairo_image_surface_get_data(s);
	int stride = cairo_image_surface_get_stride(s);
	rgba = malloc((size_t)pw * (size_t)ph * 4);
	if (!rgba) {
		rc = hx_err_set(err, HX_ENOMEM, "no_memory", "", "out of memory");
		goto done;
	}
	for (int y = 0; y < ph; y++)
		for (int x = 0; x < pw; x++) {
			uint32_t px = *(const uint32_t *)(src + (size_t)y * (size_t)stride + 4 * (size_t)x);
			unsigned a = px >> 24, c[3] = {px >> 16 & 255, px >> 8 & 255, px & 255};
			unsigned char *o = rgba + 4 * ((size_t)y * (size_t)pw + (size_t)x);
			static const unsigned char red[3] = {230, 0, 18}, ink[3] = {20, 20, 30};
			unsigned r = a ? (c[0] * 255 + a / 2) / a : 0, g = a ? (c[1] * 255 + a / 2) / a : 0;
			memcpy(o, r > 120 && r > g + 60 ? red : ink, 3);
			o[3] = (unsigned char)a;
		}
	if ((rc = hx_pades_image_encode(&look->rgb_z, &look->ap.rgb_zlen, &look->alpha_z, &look->ap.alpha_zlen, rgba, pw,
					ph, err)))
		goto done;
	look->ap.rgb_z = look->rgb_z;
	look->ap.alpha_z = look->alpha_z;
	look->ap.width = pw;
	look->ap.height = ph;
	look->visible = 1;
	cache_put(look, key);
done:
	if (pc)
		g_object_unref(pc);
	free(rgba);
	if (cr)
		cairo_destroy(cr);
	if (s)
		cairo_surface_destroy(s);
	if (img)
		cairo_surface_destroy(img);
	if (rc)
		hx_contract_look_free(look);
	return rc;
}
