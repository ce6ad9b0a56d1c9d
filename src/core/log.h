/* Server log lines to stderr: time, level, message. Only the process edges
 * (main, src/http) log; library code returns errors instead. Never pass a
 * resident ID number here. */
#ifndef HX_LOG_H
#define HX_LOG_H

enum { HX_LOG_DEBUG, HX_LOG_INFO, HX_LOG_WARN, HX_LOG_ERROR };
void hx_log_level(int level);
void hx_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
