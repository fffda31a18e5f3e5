/* settings.c -- see settings.h. */
#include "settings.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

typedef struct {
    sw_settings *s;
    size_t cap;
    int oom;
} builder;

static int push(builder *b, const char *arg, sw_origin_kind kind, const char *origin) {
    sw_settings *s = b->s;
    if ((size_t)s->argc + 1 >= b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char **av = realloc(s->argv, cap * sizeof *av);
        if (av) s->argv = av;
        sw_origin_kind *k = realloc(s->kind, cap * sizeof *k);
        if (k) s->kind = k;
        char **o = realloc(s->origin, cap * sizeof *o);
        if (o) s->origin = o;
        if (!av || !k || !o) return b->oom = -1;
        b->cap = cap;
    }
    s->argv[s->argc] = strdup(arg);
    s->origin[s->argc] = origin ? strdup(origin) : NULL;
    s->kind[s->argc] = kind;
    if (!s->argv[s->argc] || (origin && !s->origin[s->argc])) return b->oom = -1;
    s->argv[++s->argc] = NULL;
    return 0;
}

bool sw_settings_is_value(const sw_settings *s, const sw_setting *defs, size_t n, int i) {
    if (i < 2) return false;
    const char *prev = s->argv[i - 1];
    if (strcmp(prev, "-X") == 0) return true;
    for (size_t k = 0; k < n; k++)
        if (defs[k].takes_value && strcmp(defs[k].flag, prev) == 0) return true;
    return false;
}

/* Switch defs[i] from a file or environment value: on pushes it; off drops
 * it where a lower source pushed it and remembers where it was set off. */
static void set_switch(builder *b, const sw_setting *defs, size_t n, size_t i, bool on, sw_origin_kind kind,
                       const char *origin) {
    sw_settings *s = b->s;
    free(s->switch_off[i]);
    s->switch_off[i] = NULL;
    if (on) {
        push(b, defs[i].flag, kind, origin);
        return;
    }
    /* From the end, so that argv[k - 1], which tells whether argv[k] is a
     * value, is never an argument already dropped. */
    for (int k = s->argc - 1; k >= 1; k--) {
        if (strcmp(s->argv[k], defs[i].flag) != 0 || sw_settings_is_value(s, defs, n, k)) continue;
        free(s->argv[k]);
        free(s->origin[k]);
        size_t rest = (size_t)(s->argc - k - 1);
        memmove(s->argv + k, s->argv + k + 1, rest * sizeof *s->argv);
        memmove(s->origin + k, s->origin + k + 1, rest * sizeof *s->origin);
        memmove(s->kind + k, s->kind + k + 1, rest * sizeof *s->kind);
        s->argv[--s->argc] = NULL;
    }
    if (!(s->switch_off[i] = strdup(origin))) b->oom = -1;
}

static bool truthy(const char *v) {
    return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
           strcasecmp(v, "on") == 0;
}

static bool falsy(const char *v) {
    return strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
           strcasecmp(v, "off") == 0 || !*v;
}

/* ---- the file ------------------------------------------------------------ */

typedef struct {
    builder *b;
    const char *cmd, *path;
    const sw_setting *defs;
    size_t n;
    char *err;
    size_t errlen;
    int bad;
    FILE *fp;
    int line; /* of the line read last: Debian's libinih passes no line numbers */
} file_ctx;

static char *read_line(char *str, int num, void *stream) {
    file_ctx *f = stream;
    char *r = fgets(str, num, f->fp);
    if (r) f->line++;
    return r;
}

static int on_ini(void *user, const char *section, const char *name, const char *value) {
    file_ctx *f = user;
    int line = f->line;
    char origin[600], flag[128];
    snprintf(origin, sizeof origin, "%s:%d", f->path, line);
    if (strcmp(section, "kafka") == 0) {
        /* The environment outranks the file: SESSIONWATCH_KAFKA_<PROP> set
         * means the file's value is not used. */
        char env[160] = "SESSIONWATCH_KAFKA_";
        size_t k = strlen(env);
        for (const char *p = name; *p && k < sizeof env - 1; p++) env[k++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
        env[k] = '\0';
        if (getenv(env)) return 1;
        char kv[1024];
        snprintf(kv, sizeof kv, "%s=%s", name, value);
        push(f->b, "-X", SW_FROM_FILE, origin);
        push(f->b, kv, SW_FROM_FILE, origin);
        return 1;
    }
    if (strcmp(section, f->cmd) != 0) {
        snprintf(f->err, f->errlen, "%s: section [%s] is not [%s] or [kafka]", origin, section, f->cmd);
        f->bad = 1;
        return 0;
    }
    snprintf(flag, sizeof flag, "--%s", name);
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->defs[i].flag, flag) != 0) continue;
        if (f->defs[i].takes_value) {
            push(f->b, flag, SW_FROM_FILE, origin);
            push(f->b, value, SW_FROM_FILE, origin);
        } else if (truthy(value) || falsy(value)) {
            set_switch(f->b, f->defs, f->n, i, truthy(value), SW_FROM_FILE, origin);
        } else {
            snprintf(f->err, f->errlen, "%s: %s = '%s' is not true or false", origin, name, value);
            f->bad = 1;
            return 0;
        }
        return 1;
    }
    snprintf(f->err, f->errlen, "%s: '%s' is not a setting of %s (see 'sessionwatch %s --help')", origin, name,
             f->cmd, f->cmd);
    f->bad = 1;
    return 0;
}

/* ---- building ------------------------------------------------------------ */

int sw_settings_build(const char *cmd, const sw_setting *defs, size_t n, int argc, char **argv, sw_settings *out,
                      char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    builder b = {.s = out};
    out->nsettings = n;
    out->switch_off = calloc(n ? n : 1, sizeof *out->switch_off);
    if (!out->switch_off) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    push(&b, argv[0], SW_FROM_FLAG, NULL);
    /* --config FILE / --config=FILE, else $SESSIONWATCH_CONFIG. */
    const char *path = getenv("SESSIONWATCH_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) path = argv[i + 1];
        else if (strncmp(argv[i], "--config=", 9) == 0) path = argv[i] + 9;
    }
    if (path && *path) {
        out->config_path = strdup(path);
        FILE *fp = fopen(path, "r");
        if (!fp) {
            snprintf(err, errlen, "--config: cannot read %s", path);
            sw_settings_free(out);
            return -1;
        }
        file_ctx f = {&b, cmd, path, defs, n, err, errlen, 0, fp, 0};
        int rc = ini_parse_stream(read_line, &f, on_ini, &f);
        fclose(fp);
        if (f.bad || rc != 0) {
            if (!f.bad) snprintf(err, errlen, "%s:%d: not INI (key = value lines under [%s] or [kafka])", path, rc, cmd);
            sw_settings_free(out);
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char env[128] = "SESSIONWATCH_";
        size_t k = strlen(env);
        for (const char *p = defs[i].flag + 2; *p && k < sizeof env - 1; p++)
            env[k++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
        env[k] = '\0';
        const char *v = getenv(env);
        if (!v) continue;
        if (defs[i].takes_value) {
            push(&b, defs[i].flag, SW_FROM_ENV, env);
            push(&b, v, SW_FROM_ENV, env);
        } else if (truthy(v) || falsy(v)) {
            set_switch(&b, defs, n, i, truthy(v), SW_FROM_ENV, env);
        } else {
            snprintf(err, errlen, "%s='%s' is not true or false", env, v);
            sw_settings_free(out);
            return -1;
        }
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
            i++;
            continue;
        }
        if (strncmp(argv[i], "--config=", 9) == 0) continue;
        push(&b, argv[i], SW_FROM_FLAG, NULL);
    }
    if (b.oom) {
        snprintf(err, errlen, "out of memory");
        sw_settings_free(out);
        return -1;
    }
    return 0;
}

void sw_settings_free(sw_settings *s) {
    for (int i = 0; i < s->argc; i++) {
        free(s->argv[i]);
        free(s->origin[i]);
    }
    free(s->argv);
    free(s->origin);
    free(s->kind);
    free(s->config_path);
    for (size_t i = 0; s->switch_off && i < s->nsettings; i++) free(s->switch_off[i]);
    free(s->switch_off);
    memset(s, 0, sizeof *s);
}

void sw_settings_blame(const sw_settings *s, int i, const char *cmd) {
    /* The parser stops at or just past the offending value: look back to
     * the nearest argument with an origin. */
    for (int k = i < s->argc ? i : s->argc - 1; k >= 1 && k >= i - 1; k--)
        if (s->origin[k]) {
            fprintf(stderr, "sessionwatch %s: (that value comes from %s)\n", cmd, s->origin[k]);
            return;
        }
}
