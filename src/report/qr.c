/* QR codes (libqrencode) as SVG, for printing one-time poll links and
 * signing links. One path of unit squares keeps the file small. */
#include "report.h"

#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

#include "../core/buf.h"

int hx_qr_svg(char **out, size_t *len, const char *text, hx_err *err)
{
	QRcode *q = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!q)
		return hx_err_set(err, HX_EINVAL, "qr", "text", "内容过长，无法生成二维码");
	int w = q->width, quiet = 4, size = w + 2 * quiet;
	hx_buf b;
	hx_buf_init(&b, 4 << 20);
	int rc = hx_buf_printf(&b,
			       "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">"
			       "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
			       size, size, size, size);
	for (int y = 0; !rc && y < w; y++)
		for (int x = 0; !rc && x < w; x++)
			if (q->data[y * w + x] & 1)
				rc = hx_buf_printf(&b, "M%d %dh1v1h-1z", x + quiet, y + quiet);
	if (!rc)
		rc = hx_buf_puts(&b, "\"/></svg>");
	QRcode_free(q);
	if (rc) {
		hx_buf_free(&b);
		return hx_err_set(err, rc, "qr", "", "二维码生成失败");
	}
	*out = hx_buf_steal(&b, len);
	return 0;
}
