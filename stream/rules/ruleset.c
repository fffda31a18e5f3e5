/* ruleset.c -- walks the --rules paths (ruleset.h) and loads each file
 * with sw_ruledef_parse, then applies what needs more than one file: the
 * uniqueness of rule_id.  Load time only. */
#include "ruleset.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *format(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

static sw_rule_entry *push(sw_ruleset *rs, const char *path) {
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        sw_rule_entry *v = realloc(rs->v, cap * sizeof *v);
        if (!v) return NULL;
        rs->v = v, rs->cap = cap;
    }
    sw_rule_entry *e = &rs->v[rs->n];
    memset(e, 0, sizeof *e);
    e->path = strdup(path);
    if (!e->path) return NULL;
    rs->n++;
    return e;
}

static const sw_rule_entry *loaded_with_id(const sw_ruleset *rs, const char *id) {
    for (size_t i = 0; i < rs->n; i++)
        if (rs->v[i].loaded && strcmp(rs->v[i].def.rule_id, id) == 0) return &rs->v[i];
    return NULL;
}

/* Marks e refused; -1 only when out of memory. */
static int set_refused(sw_rule_entry *e, const sw_rule_refusal *r) {
    e->loaded = false;
    e->why = r->line ? format("%s:%u:%u: %s", e->path, (unsigned)r->line, (unsigned)r->column, r->message)
                     : format("%s: %s", e->path, r->message);
    return e->why ? 0 : -1;
}

int sw_ruleset_add_text(sw_ruleset *rs, const char *path, const char *text, size_t len) {
    sw_rule_entry *e = push(rs, path);
    if (!e) return -1;
    sw_rule_refusal why;
    if (sw_ruledef_parse(text, len, &e->def, &why) != 0) {
        sw_kql_free(e->def.kql), e->def.kql = NULL; /* refused: keep only what identifies it */
        return set_refused(e, &why);
    }
    const sw_rule_entry *first = loaded_with_id(rs, e->def.rule_id);
    if (first) {
        memset(&why, 0, sizeof why);
        snprintf(why.message, sizeof why.message, "rule_id %.200s is already loaded from %.250s", e->def.rule_id,
                 first->path);
        return set_refused(e, &why);
    }
    e->loaded = true;
    rs->n_loaded++;
    return 0;
}

/* Reads a whole file of at most SW_RULE_MAX_FILE_BYTES; NULL with *why
 * (a static string or errno's) otherwise. */
static char *read_file(const char *path, size_t *len, const char **why) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        *why = strerror(errno);
        return NULL;
    }
    char *buf = malloc(SW_RULE_MAX_FILE_BYTES + 1);
    size_t n = buf ? fread(buf, 1, SW_RULE_MAX_FILE_BYTES + 1, f) : 0;
    int err = buf ? ferror(f) : 0;
    fclose(f);
    *why = !buf ? "out of memory" : err ? "read error" : n > SW_RULE_MAX_FILE_BYTES ? "larger than 1 MiB" : NULL;
    if (*why) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static int add_file(sw_ruleset *rs, const char *path) {
    size_t len;
    const char *problem;
    char *text = read_file(path, &len, &problem);
    if (text) {
        int rc = sw_ruleset_add_text(rs, path, text, len);
        free(text);
        return rc;
    }
    sw_rule_entry *e = push(rs, path);
    if (!e) return -1;
    sw_rule_refusal why = {0};
    snprintf(why.message, sizeof why.message, "cannot read the file: %s", problem);
    return set_refused(e, &why);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_toml_name(const char *name) {
    size_t n = strlen(name);
    return n > 5 && strcmp(name + n - 5, ".toml") == 0;
}

/* The sorted entry names of dir that are not hidden; NULL with errno. */
static char **list_dir(const char *dir, size_t *count) {
    DIR *d = opendir(dir);
    if (!d) return NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) goto oom;
            names = v;
        }
        if (!(names[n] = strdup(de->d_name))) goto oom;
        n++;
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    *count = n;
    return names ? names : calloc(1, sizeof *names);
oom:
    closedir(d);
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    errno = ENOMEM;
    return NULL;
}

/* Adds the *.toml files under dir; the number found, or -1 (out of memory
 * or dir unreadable, with errno). */
static long add_dir(sw_ruleset *rs, const char *dir, int depth) {
    size_t n;
    char **names = list_dir(dir, &n);
    if (!names) return -1;
    long found = 0;
    for (size_t i = 0; i < n && found >= 0; i++) {
        char *child = format("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
        struct stat st;
        if (!child) {
            found = -1;
        } else if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode)) {
            long sub = depth < 32 ? add_dir(rs, child, depth + 1) : 0; /* unreadable subfolders are skipped */
            found = sub < 0 && errno == ENOMEM ? -1 : found + (sub > 0 ? sub : 0);
        } else if (is_toml_name(names[i]) && stat(child, &st) == 0 && S_ISREG(st.st_mode)) {
            found = add_file(rs, child) == 0 ? found + 1 : (errno = ENOMEM, -1);
        }
        free(child);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return found;
}

int sw_ruleset_add(sw_ruleset *rs, const char *path, char *err, size_t errcap) {
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (add_file(rs, path) == 0) return 0;
        snprintf(err, errcap, "%s: out of memory", path);
        return -1;
    }
    long found = add_dir(rs, path, 0);
    if (found < 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (found == 0) {
        snprintf(err, errcap, "%s: no *.toml rule file in this folder or below", path);
        return -1;
    }
    return 0;
}

void sw_ruleset_free(sw_ruleset *rs) {
    for (size_t i = 0; i < rs->n; i++) {
        free(rs->v[i].path);
        free(rs->v[i].why);
        sw_ruledef_free(&rs->v[i].def);
    }
    free(rs->v);
    memset(rs, 0, sizeof *rs);
}
