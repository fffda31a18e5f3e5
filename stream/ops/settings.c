/* settings.c -- see settings.h.  Owns the one path from a flag, an
 * environment variable or a file line to a typed value in a command's
 * options struct, and the origin kept with it. */
#include "settings.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "env.h"
#include "values.h"

/* The value in force of one setting, and for a repeatable one every
 * value in the order applied (for `config print`). */
typedef struct {
    const char *origin; /* NULL: default */
    const char *text;   /* as written; NULL: none yet */
} value_at;

typedef struct {
    size_t setting;
    const char *text, *origin;
} list_entry;

struct sw_settings {
    const sw_command_settings *cs;
    void *opts;
    size_t n;        /* settings over all groups */
    value_at *val;   /* n */
    list_entry *list;
    size_t nlist, caplist;
    char **owned;    /* copies of file and environment text, freed with st */
    size_t nowned, capowned;
    const char *config_path;
    int oom;
};

/* ---- rows ---------------------------------------------------------------- */

typedef struct {
    const sw_setting *d;
    void *field;
    size_t index; /* over all groups */
} row;

static bool row_at(const sw_setting_group *g, size_t ng, void *opts, size_t index, row *r) {
    for (size_t k = 0, at = 0; k < ng; at += g[k].n, k++)
        if (index < at + g[k].n) {
            r->d = &g[k].defs[index - at];
            r->field = opts ? (char *)opts + g[k].base + r->d->offset : NULL;
            r->index = index;
            return true;
        }
    return false;
}

static bool row_of(const sw_setting_group *g, size_t ng, void *opts, const char *flag, row *r) {
    for (size_t i = 0; row_at(g, ng, opts, i, r); i++)
        if (strcmp(r->d->flag, flag) == 0) return true;
    return false;
}

static size_t count_rows(const sw_setting_group *g, size_t ng) {
    size_t n = 0;
    for (size_t k = 0; k < ng; k++) n += g[k].n;
    return n;
}

/* ---- messages ------------------------------------------------------------ */

static void say(const char *cmd, bool hint, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(const char *cmd, bool hint, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "sessionwatch %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    if (hint) fprintf(stderr, "(see 'sessionwatch %s --help')\n", cmd);
}

static void say_origin(const char *cmd, const char *origin) {
    if (origin) fprintf(stderr, "sessionwatch %s: (that value comes from %s)\n", cmd, origin);
}

/* ---- values -------------------------------------------------------------- */

bool sw_setting_truthy(const char *v) {
    return strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0 || strcasecmp(v, "yes") == 0 ||
           strcasecmp(v, "on") == 0;
}

bool sw_setting_falsy(const char *v) {
    return strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0 ||
           strcasecmp(v, "off") == 0 || !*v;
}

static int parse_duration(const sw_setting *d, const char *v, int64_t *ms) {
    if ((d->flags & SW_SET_ZERO_OK) && strcmp(v, "0") == 0) return *ms = 0, 0;
    int64_t x;
    if (sw_parse_duration(v, &x)) return -1;
    if (!((d->flags & SW_SET_ZERO_OK) && x == 0) && (x < (int64_t)d->min || x > (int64_t)d->max)) return -1;
    *ms = x;
    return 0;
}

/* Stores v (a switch: "true"/"false") into r's field.  0, or -1 with why. */
static int store(const row *r, const char *v, char *why, size_t len) {
    const sw_setting *d = r->d;
    why[0] = '\0';
    switch (d->type) {
    case SW_SET_STRING: *(const char **)r->field = v; return 0;
    case SW_SET_SWITCH: *(bool *)r->field = sw_setting_truthy(v) != !!(d->flags & SW_SET_NEGATED); return 0;
    case SW_SET_DURATION: return parse_duration(d, v, (int64_t *)r->field);
    case SW_SET_SIZE: {
        size_t s;
        if (sw_parse_size(v, &s) || s < d->min || s > d->max) return -1;
        return *(size_t *)r->field = s, 0;
    }
    case SW_SET_U64: return sw_parse_u64(v, d->min, d->max, (uint64_t *)r->field);
    case SW_SET_U32: {
        uint64_t u;
        if (sw_parse_u64(v, d->min, d->max > UINT32_MAX ? UINT32_MAX : d->max, &u)) return -1;
        return *(uint32_t *)r->field = (uint32_t)u, 0;
    }
    case SW_SET_ENUM:
        for (int i = 0; d->choices[i]; i++)
            if (strcmp(d->choices[i], v) == 0) return *(int *)r->field = i, 0;
        return -1;
    case SW_SET_CUSTOM: return d->set(r->field, v, why, len);
    }
    return -1;
}

/* Stores v and reports a bad one: "FLAG: 'V' is not WANT" (or the
 * setter's words), then where it came from.  0 or -1. */
static int store_or_say(const row *r, const char *v, const char *cmd, const char *origin) {
    char why[600];
    if (store(r, v, why, sizeof why) == 0) return 0;
    if (why[0]) say(cmd, true, "%s", why);
    else say(cmd, true, "%s: '%.300s' is not %s", r->d->flag, v, r->d->want ? r->d->want : "valid");
    say_origin(cmd, origin);
    return -1;
}

/* ---- assignments --------------------------------------------------------- */

static const char *own(sw_settings *st, const char *s) {
    if (st->nowned == st->capowned) {
        size_t cap = st->capowned ? st->capowned * 2 : 32;
        char **o = realloc(st->owned, cap * sizeof *o);
        if (!o) return st->oom = 1, "";
        st->owned = o;
        st->capowned = cap;
    }
    char *c = strdup(s);
    if (!c) return st->oom = 1, "";
    return st->owned[st->nowned++] = c;
}

/* Applies one value of r from origin (NULL: a flag; "" : the default). */
static int assign(sw_settings *st, const row *r, const char *v, const char *origin) {
    if (store_or_say(r, v, st->cs->cmd, origin && *origin ? origin : NULL) != 0) return -1;
    value_at *at = &st->val[r->index];
    at->origin = !origin ? "flag" : *origin ? origin : NULL;
    at->text = r->d->type == SW_SET_SWITCH ? (sw_setting_truthy(v) ? "true" : "false") : v;
    if (!(r->d->flags & SW_SET_REPEATABLE)) return 0;
    if (st->nlist == st->caplist) {
        size_t cap = st->caplist ? st->caplist * 2 : 16;
        list_entry *l = realloc(st->list, cap * sizeof *l);
        if (!l) return st->oom = 1, -1;
        st->list = l;
        st->caplist = cap;
    }
    st->list[st->nlist++] = (list_entry){r->index, v, at->origin};
    return 0;
}

/* ---- the command line ---------------------------------------------------- */

/* The value of r's flag in argv[*i], advancing past it: 1, 0 when argv[*i]
 * is not that flag, -1 when the value is missing. */
static int flag_value(const row *r, const char *cmd, int argc, char **argv, int *i, const char **v) {
    const char *arg = argv[*i], *f = r->d->flag;
    size_t n = strlen(f);
    if (r->d->type == SW_SET_SWITCH) {
        if (strcmp(arg, f) != 0) return 0;
        *v = "true";
        return ++*i, 1;
    }
    if (strncmp(arg, f, n) != 0) return 0;
    if (arg[n] == '=') return *v = arg + n + 1, ++*i, 1;
    if (arg[n] != '\0') {
        if (f[1] == '-') return 0; /* --topics is not --topic */
        return *v = arg + n, ++*i, 1; /* -XVALUE */
    }
    if (*i + 1 >= argc) {
        say(cmd, true, "%s needs %s", f, f[1] == '-' || !r->d->metavar ? "a value" : r->d->metavar); /* -X KEY=VALUE */
        return -1;
    }
    *v = argv[*i + 1];
    return *i += 2, 1;
}

/* Matches argv[*i] against every row: 1 with *r and *v, 0, or -1. */
static int match(const sw_setting_group *g, size_t ng, void *opts, const char *cmd, int argc, char **argv, int *i,
                 row *r, const char **v) {
    for (size_t k = 0; row_at(g, ng, opts, k, r); k++) {
        int m = flag_value(r, cmd, argc, argv, i, v);
        if (m) return m;
    }
    return 0;
}

int sw_settings_match(const sw_setting_group *g, size_t ng, void *opts, const char *cmd, int argc, char **argv,
                      int *i) {
    row r;
    const char *v;
    int m = match(g, ng, opts, cmd, argc, argv, i, &r, &v);
    if (m <= 0) return m;
    return store_or_say(&r, v, cmd, NULL) == 0 ? 1 : -1;
}

static bool is_config_flag(const char *arg) {
    return strcmp(arg, "--config") == 0 || strncmp(arg, "--config=", 9) == 0;
}

static int from_flags(sw_settings *st, int argc, char **argv) {
    const sw_command_settings *cs = st->cs;
    for (int i = 1; i < argc;) {
        const char *arg = argv[i], *v;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) return SW_SETTINGS_HELP;
        if (is_config_flag(arg)) {
            if (strcmp(arg, "--config") == 0 && i + 1 >= argc) {
                say(cs->cmd, true, "--config needs a value");
                return SW_SETTINGS_USAGE;
            }
            i += strcmp(arg, "--config") == 0 ? 2 : 1;
            continue;
        }
        row r;
        int m = match(cs->groups, cs->ngroups, st->opts, cs->cmd, argc, argv, &i, &r, &v);
        if (m < 0 || (m > 0 && assign(st, &r, v, NULL) != 0)) return SW_SETTINGS_USAGE;
        if (m > 0) continue;
        if (arg[0] == '-') say(cs->cmd, true, "unknown option '%s'", arg);
        else say(cs->cmd, true, "unexpected argument '%s'%s", arg, cs->positional_hint ? cs->positional_hint : "");
        return SW_SETTINGS_USAGE;
    }
    return SW_SETTINGS_OK;
}

/* ---- the environment ----------------------------------------------------- */

static int from_env(sw_settings *st) {
    row r;
    for (size_t i = 0; row_at(st->cs->groups, st->cs->ngroups, st->opts, i, &r); i++) {
        char name[128];
        if ((r.d->flags & SW_SET_NO_ENV) || !sw_env_of_flag(r.d->flag, name, sizeof name)) continue;
        const char *v = getenv(name);
        if (!v) continue;
        if (r.d->type == SW_SET_SWITCH && !sw_setting_truthy(v) && !sw_setting_falsy(v)) {
            say(st->cs->cmd, false, "%s='%.300s' is not true or false", name, v);
            return SW_SETTINGS_USAGE;
        }
        if (assign(st, &r, own(st, v), own(st, name)) != 0) return SW_SETTINGS_USAGE;
    }
    return SW_SETTINGS_OK;
}

/* ---- the file ------------------------------------------------------------ */

typedef struct {
    sw_settings *st;
    const char *path;
    FILE *fp;
    int line; /* of the line read last: Debian's libinih passes no line numbers */
    int bad;
} file_ctx;

static char *read_line(char *str, int num, void *stream) {
    file_ctx *f = stream;
    char *r = fgets(str, num, f->fp);
    if (r) f->line++;
    return r;
}

/* [kafka] name = value: -X name=value, unless the environment sets it. */
static int kafka_line(file_ctx *f, const char *name, const char *value, const char *origin) {
    char env[160];
    if (sw_env_of_kafka_prop(name, env, sizeof env) && getenv(env)) return 1;
    row r;
    if (!row_of(f->st->cs->groups, f->st->cs->ngroups, f->st->opts, "-X", &r)) {
        say(f->st->cs->cmd, false, "%s: %s takes no [kafka] section", origin, f->st->cs->cmd);
        return f->bad = 1, 0;
    }
    char kv[1024];
    snprintf(kv, sizeof kv, "%s=%s", name, value);
    if (assign(f->st, &r, own(f->st, kv), origin) != 0) return f->bad = 1, 0;
    return 1;
}

static int on_ini(void *user, const char *section, const char *name, const char *value) {
    file_ctx *f = user;
    sw_settings *st = f->st;
    const char *cmd = st->cs->cmd;
    char where[600], flag[128];
    snprintf(where, sizeof where, "%s:%d", f->path, f->line);
    const char *origin = own(st, where);
    if (strcmp(section, "kafka") == 0) return kafka_line(f, name, value, origin);
    for (const char *const *o = st->cs->sections; o && *o && strcmp(section, cmd) != 0; o++)
        if (strcmp(section, *o) == 0) return 1; /* another command's */
    if (strcmp(section, cmd) != 0) {
        say(cmd, false, "%s: section [%s] is not [%s] or [kafka]", origin, section, cmd);
        return f->bad = 1, 0;
    }
    snprintf(flag, sizeof flag, "--%s", name);
    row r;
    if (!row_of(st->cs->groups, st->cs->ngroups, st->opts, flag, &r) || (r.d->flags & SW_SET_NO_FILE)) {
        say(cmd, false, "%s: '%s' is not a setting of %s (see 'sessionwatch %s --help')", origin, name, cmd, cmd);
        return f->bad = 1, 0;
    }
    if (r.d->type == SW_SET_SWITCH && !sw_setting_truthy(value) && !sw_setting_falsy(value)) {
        say(cmd, false, "%s: %s = '%.300s' is not true or false", origin, name, value);
        return f->bad = 1, 0;
    }
    if (assign(st, &r, own(st, value), origin) != 0) return f->bad = 1, 0;
    return 1;
}

/* --config FILE / --config=FILE, else $SESSIONWATCH_CONFIG, or NULL. */
static const char *config_path(int argc, char **argv) {
    const char *path = getenv(SW_ENV_CONFIG);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) path = argv[++i];
        else if (strncmp(argv[i], "--config=", 9) == 0) path = argv[i] + 9;
    }
    return path && *path ? path : NULL;
}

static int from_file(sw_settings *st, const char *path) {
    FILE *fp = fopen(path, "r");
    if (!fp) {
        say(st->cs->cmd, false, "--config: cannot read %s", path);
        return SW_SETTINGS_USAGE;
    }
    file_ctx f = {st, path, fp, 0, 0};
    int rc = ini_parse_stream(read_line, &f, on_ini, &f);
    fclose(fp);
    if (f.bad) return SW_SETTINGS_USAGE;
    if (rc != 0) {
        say(st->cs->cmd, false, "%s:%d: not INI (key = value lines under [%s] or [kafka])", path, rc, st->cs->cmd);
        return SW_SETTINGS_USAGE;
    }
    return SW_SETTINGS_OK;
}

/* ---- loading ------------------------------------------------------------- */

static int from_defaults(sw_settings *st) {
    row r;
    for (size_t i = 0; row_at(st->cs->groups, st->cs->ngroups, st->opts, i, &r); i++)
        if (r.d->def && assign(st, &r, r.d->def, "") != 0) return SW_SETTINGS_USAGE; /* a bad table */
    return SW_SETTINGS_OK;
}

/* -h or --help among the flags (not as the value of one: --group -h). */
static bool help_asked(const sw_command_settings *cs, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) return true;
        row r;
        if (strcmp(argv[i], "--config") == 0 ||
            (row_of(cs->groups, cs->ngroups, NULL, argv[i], &r) && r.d->type != SW_SET_SWITCH))
            i++; /* its value follows */
    }
    return false;
}

/* A settings object with no value assigned yet; NULL when out of memory
 * (st->oom when only its value table is missing). */
static sw_settings *settings_alloc(const sw_command_settings *cs, void *opts) {
    sw_settings *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    st->cs = cs;
    st->opts = opts;
    st->n = count_rows(cs->groups, cs->ngroups);
    st->val = calloc(st->n ? st->n : 1, sizeof *st->val);
    if (!st->val) st->oom = 1;
    return st;
}

int sw_settings_load(const sw_command_settings *cs, void *opts, int argc, char **argv, sw_settings **out) {
    sw_settings *st = *out = settings_alloc(cs, opts);
    if (!st) {
        say(cs->cmd, false, "out of memory");
        return SW_SETTINGS_USAGE;
    }
    if (help_asked(cs, argc, argv)) return SW_SETTINGS_HELP; /* help wins over any bad setting */
    const char *path = config_path(argc, argv);
    if (path) st->config_path = own(st, path);
    int rc = st->oom ? SW_SETTINGS_USAGE : from_defaults(st);
    if (rc == SW_SETTINGS_OK && path) rc = from_file(st, path);
    if (rc == SW_SETTINGS_OK) rc = from_env(st);
    if (rc == SW_SETTINGS_OK) rc = from_flags(st, argc, argv);
    if (rc != SW_SETTINGS_HELP && st->oom) {
        say(cs->cmd, false, "out of memory");
        return SW_SETTINGS_USAGE;
    }
    return rc;
}

sw_settings *sw_settings_new(const sw_command_settings *cs, void *opts) {
    sw_settings *st = settings_alloc(cs, opts);
    if (st && st->oom) {
        sw_settings_free(st);
        return NULL;
    }
    return st;
}

int sw_settings_take(sw_settings *st, int argc, char **argv, int *i) {
    row r;
    const char *v;
    int m = match(st->cs->groups, st->cs->ngroups, st->opts, st->cs->cmd, argc, argv, i, &r, &v);
    if (m <= 0) return m;
    return assign(st, &r, v, NULL) == 0 ? 1 : -1;
}

void sw_settings_free(sw_settings *st) {
    if (!st) return;
    for (size_t i = 0; i < st->nowned; i++) free(st->owned[i]);
    free(st->owned);
    free(st->list);
    free(st->val);
    free(st);
}

/* ---- asking -------------------------------------------------------------- */

const char *sw_settings_origin(const sw_settings *st, const char *flag) {
    row r;
    if (!row_of(st->cs->groups, st->cs->ngroups, st->opts, flag, &r)) return NULL;
    return st->val[r.index].origin;
}

const char *sw_settings_file(const sw_settings *st) { return st->config_path; }

void sw_settings_blame(const sw_settings *st, const char *flag) {
    const char *o = sw_settings_origin(st, flag);
    if (o && strcmp(o, "flag") != 0) say_origin(st->cs->cmd, o);
}

/* ---- config print -------------------------------------------------------- */

/* The value in force, from the field (for rows no source set). */
static void show_field(const row *r, char *buf, size_t len) {
    const sw_setting *d = r->d;
    const void *f = r->field;
    if (d->show) return d->show(f, buf, len);
    switch (d->type) {
    case SW_SET_STRING: snprintf(buf, len, "%s", *(const char *const *)f ? *(const char *const *)f : ""); return;
    case SW_SET_SWITCH:
        snprintf(buf, len, "%s", *(const bool *)f != !!(d->flags & SW_SET_NEGATED) ? "true" : "false");
        return;
    case SW_SET_DURATION: sw_format_duration(*(const int64_t *)f, buf, len); return;
    case SW_SET_SIZE: sw_format_size(*(const size_t *)f, buf, len); return;
    case SW_SET_U64: snprintf(buf, len, "%" PRIu64, *(const uint64_t *)f); return;
    case SW_SET_U32: snprintf(buf, len, "%" PRIu32, *(const uint32_t *)f); return;
    case SW_SET_ENUM: snprintf(buf, len, "%s", d->choices[*(const int *)f]); return;
    case SW_SET_CUSTOM: buf[0] = '\0'; return;
    }
}

static void print_line(FILE *out, const sw_setting *d, const char *value, const char *origin) {
    fprintf(out, "%-24s = %-30s ; %s\n", d->flag + 2, d->flags & SW_SET_SECRET && *value ? "***" : value,
            origin ? origin : "default");
}

void sw_settings_print(const sw_settings *st, FILE *out) {
    fprintf(out, "[%s]\n", st->cs->cmd);
    row r;
    for (size_t i = 0; row_at(st->cs->groups, st->cs->ngroups, st->opts, i, &r); i++) {
        const sw_setting *d = r.d;
        if (d->flags & SW_SET_NO_FILE) continue; /* -X: the [kafka] section */
        char buf[600];
        const value_at *at = &st->val[i];
        bool listed = false;
        for (size_t k = 0; k < st->nlist; k++)
            if (st->list[k].setting == i) {
                print_line(out, d, st->list[k].text, st->list[k].origin);
                listed = true;
            }
        if (listed) continue;
        if (at->origin && !d->show && d->type != SW_SET_SWITCH) snprintf(buf, sizeof buf, "%s", at->text);
        else if (d->type == SW_SET_CUSTOM && !d->show) snprintf(buf, sizeof buf, "%s", at->text ? at->text : "");
        else show_field(&r, buf, sizeof buf);
        print_line(out, d, buf, at->origin);
    }
}

/* ---- help ---------------------------------------------------------------- */

static void help_row(const sw_setting *d, FILE *out) {
    char head[64];
    snprintf(head, sizeof head, "%s%s%s", d->flag, d->metavar ? " " : "", d->metavar ? d->metavar : "");
    fprintf(out, "  %-*s", strlen(head) < 26 ? 26 : (int)strlen(head) + 2, head);
    for (const char *p = d->help; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (p != d->help) fprintf(out, "%28s", "");
        fprintf(out, "%.*s\n", (int)n, p);
        p += n + (nl != NULL);
    }
}

void sw_settings_help(const sw_setting_group *groups, size_t ngroups, FILE *out) {
    for (size_t k = 0; k < ngroups; k++) {
        if (groups[k].heading) fputs(groups[k].heading, out);
        for (size_t i = 0; i < groups[k].n; i++)
            if (groups[k].defs[i].help) help_row(&groups[k].defs[i], out);
        if (groups[k].trailer) fputs(groups[k].trailer, out);
    }
}
