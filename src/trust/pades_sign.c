/* PAdES signing on the PDF of an electronic labour contract (电子劳动合同):
 * the incremental update that makes room for a signature (the signature
 * dictionary with an empty /Contents, the field and its widget, invisible
 * or with an appearance image, the Catalog and the page rewritten, a new
 * xref section), the SHA-256 over its /ByteRange, and the CMS written into
 * /Contents once it is made. The signed bytes before the update stay
 * untouched, so earlier signatures still verify. */
#include "pades_impl.h"

#include <zlib.h>

/* ---- limits --------------------------------------------------------------- */

#define FIELD_NAME_IN_MAX 64   /* bytes of a field name given to prepare */
#define TEXT_MAX 1024          /* bytes of /Name or /Reason (UTF-8) */
#define UPDATE_SLACK ((size_t)1 << 20) /* an update's size beyond /Contents */
#define BR_TEXT 34             /* "0 " and three 10-wide numbers, spaced */
#define AP_PIXELS_MAX (2048 * 2048) /* pixels of a signature's appearance image */
#define AP_SIDE_MAX 4096       /* its width or height */

/* ---- prepare: the incremental update -------------------------------------- */

typedef struct upd_obj {
	long long num, gen;
	size_t off;
} upd_obj;

typedef struct update {
	const char *field, *name, *reason;
	char mdate[24];    /* "D:YYYYMMDDHHmmSSZ" */
	long long sig_num; /* the signature dictionary; the field is sig_num + 1 */
	/* a visible widget: its appearance (sig_num + 2), the image (+ 3)
	 * and the image's alpha (+ 4), compressed */
	const hx_pades_appearance *ap;
	upd_obj obj[8];
	size_t nobj;
	size_t br_off, contents_off; /* in the output */
} update;

static int check_time(const char *t, char mdate[24])
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";
	int y, mo, da, h, mi, s;
	if (!t || strlen(t) != sizeof pat - 1)
		return -1;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? t[i] < '0' || t[i] > '9' : t[i] != pat[i])
			return -1;
	if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2dZ", &y, &mo, &da, &h, &mi, &s) != 6 || mo < 1 || mo > 12 ||
	    da < 1 || da > 31 || h > 23 || mi > 59 || s > 60)
		return -1;
	/* "D:" and the digits of t: D:YYYYMMDDHHmmSSZ */
	size_t k = 0;
	mdate[k++] = 'D';
	mdate[k++] = ':';
	for (size_t i = 0; t[i]; i++)
		if (pat[i] == 'd' || t[i] == 'Z')
			mdate[k++] = t[i];
	mdate[k] = '\0';
	return 0;
}

static int check_args(update *u, const char *field, const char *name, const char *reason, const char *when,
		      hx_err *err)
{
	size_t n = field ? strlen(field) : 0;
	if (n == 0 || n > FIELD_NAME_IN_MAX)
		return hx_err_set(err, HX_EINVAL, "bad_field_name", "field_name", "签名域名称须为 1 至 %d 个字符",
				  FIELD_NAME_IN_MAX);
	for (size_t i = 0; i < n; i++)
		if (field[i] < 0x20 || field[i] > 0x7e || field[i] == '.')
			return hx_err_set(err, HX_EINVAL, "bad_field_name", "field_name",
					  "签名域名称只能含 ASCII 可见字符（不含“.”）");
	if (name && !hx_pades_utf8_valid(name, TEXT_MAX))
		return hx_err_set(err, HX_EINVAL, "bad_text", "signer_name", "签署人名称不是有效的 UTF-8 文本或过长");
	if (reason && !hx_pades_utf8_valid(reason, TEXT_MAX))
		return hx_err_set(err, HX_EINVAL, "bad_text", "reason", "签署理由不是有效的 UTF-8 文本或过长");
	if (check_time(when, u->mdate))
		return hx_err_set(err, HX_EINVAL, "bad_time", "signing_time",
				  "签署时间格式应为 YYYY-MM-DDTHH:MM:SSZ");
	u->field = field;
	u->name = name;
	u->reason = reason;
	return 0;
}

static int name_unique(const doc *dc, const char *field, hx_err *err)
{
	for (size_t i = 0; i < dc->nf; i++)
		if (strcmp(dc->f[i].name, field) == 0)
			return hx_err_set(err, HX_ECONFLICT, "field_exists", "field_name", "签名域“%s”已存在", field);
	return 0;
}

/* A UTF-8 text as a PDF text string: UTF-16BE with its BOM, in hex. */
static void put_text(buf *o, const char *s)
{
	size_t n = strlen(s), i = 0;
	uint32_t cp;
	buf_puts(o, "<FEFF");
	while (i < n && hx_pades_utf8_next((const unsigned char *)s, n, &i, &cp) == 0) {
		if (cp >= 0x10000) {
			cp -= 0x10000;
			buf_printf(o, "%04X%04X", 0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
		} else {
			buf_printf(o, "%04X", cp);
		}
	}
	buf_puts(o, ">");
}

/* A literal string: ( ) and \ escaped. */
static void put_literal(buf *o, const char *s)
{
	buf_puts(o, "(");
	for (; *s; s++) {
		if (*s == '(' || *s == ')' || *s == '\\')
			buf_puts(o, "\\");
		buf_put(o, s, 1);
	}
	buf_puts(o, ")");
}

static void put_raw(buf *o, reader *d, const val *v)
{
	buf_put(o, d->p + v->s, v->e - v->s);
}

static void put_entry(buf *o, reader *d, const val *k, const val *v)
{
	buf_puts(o, "\n");
	put_raw(o, d, k);
	buf_puts(o, " ");
	put_raw(o, d, v);
}

/* The items of an array (if arr is one), each followed by a space. */
static int put_items(buf *o, reader *d, const val *arr)
{
	size_t i = 0;
	val it;
	int r;
	if (arr->t != V_ARRAY)
		return 0;
	while ((r = hx_pades_arr_next(d, arr, &i, &it)) == 1) {
		put_raw(o, d, &it);
		buf_puts(o, " ");
	}
	return r;
}

/* Every entry of dict except the names in skip (NULL-terminated). */
static int put_entries_except(buf *o, reader *d, const val *dict, const char *const *skip)
{
	size_t i = 0;
	val k, v;
	int r;
	while ((r = hx_pades_dict_next(d, dict, &i, &k, &v)) == 1) {
		int keep = 1;
		for (const char *const *s = skip; *s && keep; s++)
			keep = !hx_pades_name_is(d, &k, *s);
		if (keep)
			put_entry(o, d, &k, &v);
	}
	return r;
}

static void obj_begin(buf *o, update *u, long long num, long long gen)
{
	u->obj[u->nobj++] = (upd_obj){num, gen, o->len};
	buf_printf(o, "%lld %lld obj\n<<", num, gen);
}

static void put_sig_dict(buf *o, update *u)
{
	obj_begin(o, u, u->sig_num, 0);
	buf_puts(o, "\n/Type /Sig\n/Filter /Adobe.PPKLite\n/SubFilter /ETSI.CAdES.detached\n/ByteRange [");
	u->br_off = o->len;
	buf_fill(o, ' ', BR_TEXT);
	buf_puts(o, "]\n/Contents <");
	u->contents_off = o->len;
	buf_fill(o, '0', 2 * (size_t)HX_PADES_CMS_MAX);
	buf_printf(o, ">\n/M (%s)", u->mdate);
	if (u->name) {
		buf_puts(o, "\n/Name ");
		put_text(o, u->name);
	}
	if (u->reason) {
		buf_puts(o, "\n/Reason ");
		put_text(o, u->reason);
	}
	buf_puts(o, "\n>>\nendobj\n");
}

/* The signature field and its widget in one dictionary (/F Print|Locked):
 * invisible (/Rect of zero size), or at the appearance's rectangle with
 * the appearance as its normal look (/AP /N). */
static void put_widget(buf *o, const doc *dc, update *u)
{
	obj_begin(o, u, u->sig_num + 1, 0);
	buf_puts(o, "\n/Type /Annot\n/Subtype /Widget\n/FT /Sig\n/T ");
	put_literal(o, u->field);
	buf_printf(o, "\n/V %lld 0 R", u->sig_num);
	if (u->ap)
		buf_printf(o, "\n/Rect [%.2f %.2f %.2f %.2f]\n/AP << /N %lld 0 R >>", u->ap->rect[0], u->ap->rect[1],
			   u->ap->rect[2], u->ap->rect[3], u->sig_num + 2);
	else
		buf_puts(o, "\n/Rect [0 0 0 0]");
	buf_printf(o, "\n/F 132\n/P %lld %lld R\n>>\nendobj\n", dc->page_ref.n, dc->page_ref.gen);
}

static void put_stream_obj(buf *o, update *u, long long num, const char *dict, const unsigned char *data, size_t n)
{
	obj_begin(o, u, num, 0);
	buf_puts(o, "\n");
	buf_puts(o, dict);
	buf_printf(o, "\n/Length %zu\n>>\nstream\n", n);
	buf_put(o, data, n);
	buf_puts(o, "\nendstream\nendobj\n");
}

/* The appearance: a form XObject the size of the widget that paints the
 * image over all of it; the image (DeviceRGB) with its alpha as /SMask,
 * both FlateDecode. No fonts: whatever text the look has is in the image. */
static void put_appearance(buf *o, update *u)
{
	const hx_pades_appearance *ap = u->ap;
	double w = ap->rect[2] - ap->rect[0], h = ap->rect[3] - ap->rect[1];
	char content[128], dict[256];
	int n = snprintf(content, sizeof content, "q %.2f 0 0 %.2f 0 0 cm /Im0 Do Q", w, h);
	snprintf(dict, sizeof dict,
		 "/Type /XObject\n/Subtype /Form\n/BBox [0 0 %.2f %.2f]\n/Resources << /XObject << /Im0 %lld 0 R >> >>", w,
		 h, u->sig_num + 3);
	put_stream_obj(o, u, u->sig_num + 2, dict, (const unsigned char *)content, (size_t)n);
	snprintf(dict, sizeof dict,
		 "/Type /XObject\n/Subtype /Image\n/Width %d\n/Height %d\n/ColorSpace /DeviceRGB\n/BitsPerComponent 8"
		 "\n/Filter /FlateDecode\n/SMask %lld 0 R",
		 ap->width, ap->height, u->sig_num + 4);
	put_stream_obj(o, u, u->sig_num + 3, dict, ap->rgb_z, ap->rgb_zlen);
	snprintf(dict, sizeof dict,
		 "/Type /XObject\n/Subtype /Image\n/Width %d\n/Height %d\n/ColorSpace /DeviceGray\n/BitsPerComponent 8"
		 "\n/Filter /FlateDecode",
		 ap->width, ap->height);
	put_stream_obj(o, u, u->sig_num + 4, dict, ap->alpha_z, ap->alpha_zlen);
}

static int deflate_plane(unsigned char **out, size_t *outlen, const unsigned char *in, size_t n)
{
	uLongf zl = compressBound((uLong)n);
	unsigned char *z = malloc(zl);
	if (!z || compress2(z, &zl, in, (uLong)n, 9) != Z_OK) {
		free(z);
		return -1;
	}
	*out = z;
	*outlen = zl;
	return 0;
}

#define AP_STREAM_MAX ((size_t)8 << 20) /* bytes of one compressed plane */

int hx_pades_image_encode(unsigned char **rgb_z, size_t *rgb_zlen, unsigned char **alpha_z, size_t *alpha_zlen,
			  const unsigned char *rgba, int width, int height, hx_err *err)
{
	unsigned char *rgb = NULL, *alpha = NULL;
	int rc = 0;
	*rgb_z = *alpha_z = NULL;
	*rgb_zlen = *alpha_zlen = 0;
	if (!rgba || width < 1 || height < 1 || width > AP_SIDE_MAX || height > AP_SIDE_MAX ||
	    (long long)width * height > AP_PIXELS_MAX)
		return hx_err_set(err, HX_EINVAL, "bad_appearance", "appearance", "签名外观图像的尺寸无效");
	size_t n = (size_t)width * (size_t)height;
	rgb = malloc(3 * n);
	alpha = malloc(n);
	if (!rgb || !alpha) {
		rc = no_memory(err);
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		alpha[i] = rgba[4 * i + 3];
		if (alpha[i] || i % (size_t)width == 0)
			memcpy(rgb + 3 * i, rgba + 4 * i, 3);
		else
			memcpy(rgb + 3 * i, rgb + 3 * (i - 1), 3);
	}
	if (deflate_plane(rgb_z, rgb_zlen, rgb, 3 * n) || deflate_plane(alpha_z, alpha_zlen, alpha, n)) {
		free(*rgb_z);
		*rgb_z = NULL;
		rc = no_memory(err);
	}
done:
	free(rgb);
	free(alpha);
	return rc;
}

/* Checks the appearance before it goes into the update. */
static int appearance_check(update *u, const hx_pades_appearance *ap, hx_err *err)
{
	if (!ap)
		return 0;
	double w = ap->rect[2] - ap->rect[0], h = ap->rect[3] - ap->rect[1];
	if (ap->page < 0 || ap->page > PAGE_INDEX_MAX || !(w >= 1 && w <= 14400) || !(h >= 1 && h <= 14400) ||
	    !(ap->rect[0] >= -14400 && ap->rect[0] <= 14400) || !(ap->rect[1] >= -14400 && ap->rect[1] <= 14400))
		return hx_err_set(err, HX_EINVAL, "bad_appearance", "appearance", "签名外观的页码或位置无效");
	if (ap->width < 1 || ap->height < 1 || ap->width > AP_SIDE_MAX || ap->height > AP_SIDE_MAX ||
	    (long long)ap->width * ap->height > AP_PIXELS_MAX || !ap->rgb_z || !ap->alpha_z || !ap->rgb_zlen ||
	    !ap->alpha_zlen || ap->rgb_zlen > AP_STREAM_MAX || ap->alpha_zlen > AP_STREAM_MAX)
		return hx_err_set(err, HX_EINVAL, "bad_appearance", "appearance", "签名外观图像的尺寸无效");
	u->ap = ap;
	return 0;
}

/* The Catalog again, with /AcroForm inline: the old form's entries, its
 * fields and the new one, /SigFlags 3 (SignaturesExist | AppendOnly). */
static int put_catalog(buf *o, doc *dc, update *u)
{
	static const char *const skip_cat[] = {"AcroForm", NULL};
	static const char *const skip_form[] = {"Fields", "SigFlags", NULL};
	reader *d = &dc->d;
	obj_begin(o, u, dc->cat_ref.n, dc->cat_ref.gen);
	if (put_entries_except(o, d, &dc->cat, skip_cat) < 0)
		return -1;
	buf_puts(o, "\n/AcroForm <<");
	if (dc->acro.t == V_DICT && put_entries_except(o, d, &dc->acro, skip_form) < 0)
		return -1;
	buf_puts(o, "\n/Fields [");
	if (put_items(o, d, &dc->fields) < 0)
		return -1;
	buf_printf(o, "%lld 0 R]\n/SigFlags 3 >>\n>>\nendobj\n", u->sig_num + 1);
	return 0;
}

/* The widget's page again, with the widget added to its /Annots. */
static int put_page(buf *o, doc *dc, update *u)
{
	static const char *const skip[] = {"Annots", NULL};
	reader *d = &dc->d;
	val annots;
	obj_begin(o, u, dc->page_ref.n, dc->page_ref.gen);
	if (put_entries_except(o, d, &dc->page, skip) < 0 || hx_pades_dict_get(d, &dc->page, "Annots", &annots) < 0 ||
	    hx_pades_resolve(d, &annots))
		return -1;
	buf_puts(o, "\n/Annots [");
	if (put_items(o, d, &annots) < 0)
		return -1;
	buf_printf(o, "%lld 0 R]\n>>\nendobj\n", u->sig_num + 1);
	return 0;
}

static void put_xref(buf *o, doc *dc, update *u)
{
	reader *d = &dc->d;
	size_t xoff = o->len;
	val info, id;
	for (size_t i = 1; i < u->nobj; i++) /* by object number */
		for (size_t j = i; j > 0 && u->obj[j - 1].num > u->obj[j].num; j--) {
			upd_obj t = u->obj[j];
			u->obj[j] = u->obj[j - 1];
			u->obj[j - 1] = t;
		}
	buf_puts(o, "xref\n");
	for (size_t i = 0; i < u->nobj;) {
		size_t j = i + 1;
		while (j < u->nobj && u->obj[j].num == u->obj[j - 1].num + 1)
			j++;
		buf_printf(o, "%lld %zu\n", u->obj[i].num, j - i);
		for (; i < j; i++)
			buf_printf(o, "%010zu %05lld n \n", u->obj[i].off, u->obj[i].gen);
	}
	buf_printf(o, "trailer\n<<\n/Size %lld\n/Root %lld %lld R", u->sig_num + (u->ap ? 5 : 2), dc->cat_ref.n,
		   dc->cat_ref.gen);
	if (hx_pades_dict_get(d, &d->trailer, "Info", &info) == 1) {
		buf_puts(o, "\n/Info ");
		put_raw(o, d, &info);
	}
	if (hx_pades_dict_get(d, &d->trailer, "ID", &id) == 1) {
		buf_puts(o, "\n/ID ");
		put_raw(o, d, &id);
	}
	buf_printf(o, "\n/Prev %zu\n>>\nstartxref\n%zu\n%%%%EOF\n", d->xref_off, xoff);
}

static int write_update(buf *o, doc *dc, update *u)
{
	reader *d = &dc->d;
	val size;
	long long n = (long long)d->top;
	if (hx_pades_dict_get(d, &d->trailer, "Size", &size) == 1 && size.t == V_INT && size.n > n &&
	    (size_t)size.n < d->max_obj)
		n = size.n;
	u->sig_num = n;
	buf_put(o, d->p, d->len);
	if (d->p[d->len - 1] != '\n' && d->p[d->len - 1] != '\r')
		buf_puts(o, "\n");
	put_sig_dict(o, u);
	put_widget(o, dc, u);
	if (u->ap)
		put_appearance(o, u);
	if (put_catalog(o, dc, u) || put_page(o, dc, u))
		return -1;
	put_xref(o, dc, u);
	return 0;
}

/* Writes the /ByteRange around <…> of /Contents and digests the ranges. */
static int seal_range(buf *o, const update *u, const EVP_MD_CTX *base, size_t base_len, unsigned char digest[32])
{
	char t[BR_TEXT + 1];
	size_t a = u->contents_off - 1, b = u->contents_off + 2 * (size_t)HX_PADES_CMS_MAX + 1;
	size_t c = o->len - b;
	if (snprintf(t, sizeof t, "0 %-10zu %-10zu %-10zu", a, b, c) != BR_TEXT)
		return -1;
	memcpy(o->p + u->br_off, t, BR_TEXT);
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	/* the first range starts with the base document: its state, when the
	 * caller hashed it already, saves hashing it again */
	int ok = m && (base && base_len <= a ? EVP_MD_CTX_copy_ex(m, base) == 1 &&
						       EVP_DigestUpdate(m, o->p + base_len, a - base_len) == 1
					     : EVP_DigestInit_ex(m, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(m, o->p, a) == 1) &&
		 EVP_DigestUpdate(m, o->p + b, c) == 1 && EVP_DigestFinal_ex(m, digest, NULL) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

int hx_pades_prepare(hx_pades_prep *out, const unsigned char *pdf, size_t len, const char *field_name,
		     const char *signer_name, const char *reason, const char *signing_time, hx_err *err)
{
	return hx_pades_prepare_visible(out, pdf, len, field_name, signer_name, reason, signing_time, NULL, err);
}

int hx_pades_prepare_visible(hx_pades_prep *out, const unsigned char *pdf, size_t len, const char *field_name,
			     const char *signer_name, const char *reason, const char *signing_time,
			     const hx_pades_appearance *ap, hx_err *err)
{
	return hx_pades_prepare_hashed(out, pdf, len, NULL, field_name, signer_name, reason, signing_time, ap, err);
}

int hx_pades_prepare_hashed(hx_pades_prep *out, const unsigned char *pdf, size_t len, const EVP_MD_CTX *pdf_state,
			    const char *field_name, const char *signer_name, const char *reason, const char *signing_time,
			    const hx_pades_appearance *ap, hx_err *err)
{
	doc dc;
	update u;
	buf o;
	int rc;
	memset(out, 0, sizeof *out);
	memset(&dc, 0, sizeof dc);
	memset(&u, 0, sizeof u);
	buf_init(&o, 0);
	if (len > HX_PADES_PDF_MAX)
		return hx_err_set(err, HX_ETOOBIG, "pdf_too_big", "pdf", "PDF 文件过大（%zu 字节，上限 %zu）", len,
				  HX_PADES_PDF_MAX);
	if ((rc = check_args(&u, field_name, signer_name, reason, signing_time, err)) ||
	    (rc = appearance_check(&u, ap, err)))
		goto done;
	buf_init(&o, len + 2 * (size_t)HX_PADES_CMS_MAX + UPDATE_SLACK + (ap ? ap->rgb_zlen + ap->alpha_zlen : 0));
	if ((rc = hx_pades_doc_open(&dc, pdf, len, 1, err)) || (rc = name_unique(&dc, field_name, err)))
		goto done;
	if (ap && hx_pades_nth_page(&dc, ap->page)) {
		rc = bad_pdf(err, dc.why);
		goto done;
	}
	if (write_update(&o, &dc, &u)) {
		rc = bad_pdf(err, "无法改写文档目录或页面");
		goto done;
	}
	/* the update appends: the output starts with the document as given */
	if (pdf_state && (o.bad || o.len < len || memcmp(o.p, pdf, len) != 0))
		pdf_state = NULL;
	if (o.bad || seal_range(&o, &u, pdf_state, len, out->digest)) {
		rc = o.bad ? no_memory(err) : hx_err_set(err, HX_EINTERNAL, "digest_failed", "", "摘要计算失败");
		goto done;
	}
	out->pdf = o.p;
	out->len = o.len;
	out->contents_off = u.contents_off;
	out->contents_len = 2 * (size_t)HX_PADES_CMS_MAX;
	o.p = NULL;
	rc = 0;
done:
	hx_pades_doc_close(&dc);
	buf_free(&o);
	return rc;
}

void hx_pades_prep_free(hx_pades_prep *p)
{
	if (!p)
		return;
	free(p->pdf);
	memset(p, 0, sizeof *p);
}

int hx_pades_embed(hx_pades_prep *p, const unsigned char *cms, size_t cms_len, hx_err *err)
{
	static const char hex[] = "0123456789ABCDEF";
	if (!p || !p->pdf || p->contents_len > p->len || p->contents_off > p->len - p->contents_len)
		return hx_err_set(err, HX_EINVAL, "bad_prep", "", "签名准备数据无效");
	if (!cms || cms_len == 0)
		return hx_err_set(err, HX_EINVAL, "bad_cms", "cms", "签名数据为空");
	if (cms_len > p->contents_len / 2)
		return hx_err_set(err, HX_ETOOBIG, "cms_too_big", "cms", "签名数据过大（%zu 字节，上限 %zu）", cms_len,
				  p->contents_len / 2);
	unsigned char *h = p->pdf + p->contents_off;
	for (size_t i = 0; i < cms_len; i++) {
		h[2 * i] = (unsigned char)hex[cms[i] >> 4];
		h[2 * i + 1] = (unsigned char)hex[cms[i] & 15];
	}
	memset(h + 2 * cms_len, '0', p->contents_len - 2 * cms_len);
	return 0;
}
