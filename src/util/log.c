/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The logger: formats one logfmt line and writes it atomically to stderr.
 */
#include "util/log.h"

static LogLevel min_level = LOG_LEVEL_INFO;
static const char *const level_names[_LOG_LEVEL_MAX] = {
        [LOG_LEVEL_DEBUG] = "debug",
        [LOG_LEVEL_INFO] = "info",
        [LOG_LEVEL_WARNING] = "warning",
        [LOG_LEVEL_ERROR] = "error",
};

LogLevel log_level_from_string(const char *s) {
        for (int i = 0; i < _LOG_LEVEL_MAX; i++)
                if (streq(s, level_names[i]))
                        return (LogLevel) i;
        return _LOG_LEVEL_INVALID;
}

void log_set_level(LogLevel level) {
        min_level = level;
}

bool log_enabled(LogLevel level) {
        return level >= min_level;
}

void log_full(LogLevel level, const char *subsys, const char *reqid, const char *fmt, ...) {
        char line[2048], ts[32], msg[1536];
        size_t n = 0;
        va_list ap;

        if (!log_enabled(level))
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

        n = (size_t) snprintf(line, sizeof(line), "time=%s level=%s subsys=%s",
                              format_iso8601_usec(now_usec(), ts), level_names[level], subsys);
        if (reqid && n < sizeof(line))
                n += (size_t) snprintf(line + n, sizeof(line) - n, " req=%s", reqid);
        if (n < sizeof(line))
                n += (size_t) snprintf(line + n, sizeof(line) - n, " msg=\"");
        /* Quote the message so one event is always one line. */
        for (const char *p = msg; *p && n < sizeof(line) - 3; p++) {
                if (*p == '"' || *p == '\\') {
                        line[n++] = '\\';
                        line[n++] = *p;
                } else if (*p == '\n')
                        line[n++] = ' ';
                else
                        line[n++] = *p;
        }
        if (n > sizeof(line) - 3)
                n = sizeof(line) - 3;
        line[n++] = '"';
        line[n++] = '\n';
        (void) !write(STDERR_FILENO, line, n);
}
