/* ruleset.h -- the rules given with --rules: every rule file found under
 * the given paths, each either loaded (a validated sw_ruledef) or refused
 * with a reason that names the file.
 *
 * A path is a file (read whatever its name) or a directory, searched
 * recursively (32 levels deep at most) for *.toml regular files (names
 * starting with '.', such as .git, and symbolic links to directories are
 * skipped; unreadable subfolders too), in byte order of their names so
 * that the result does not depend on the file system or the locale.  Paths add up in
 * the order given.  A refusal never stops the others from loading; two
 * rules with the same rule_id: the second is refused, naming the file of
 * the first (only loaded rules hold their id). */
#ifndef SW_RULESET_H
#define SW_RULESET_H

#include <stdbool.h>
#include <stddef.h>

#include "ruledef.h"

#define SW_RULE_MAX_FILE_BYTES (1u << 20) /* a rule file over 1 MiB is refused */

typedef struct {
    char *path;  /* the file, as found (the directory given + the relative path) */
    bool loaded;
    sw_ruledef def;   /* loaded: the rule; refused: what was read (rule_id, name, type_name may be NULL) */
    char *why;        /* refused: "PATH:LINE:COLUMN: reason" or "PATH: reason"; NULL when loaded */
} sw_rule_entry;

typedef struct {
    sw_rule_entry *v;
    size_t n, cap;
    size_t n_loaded;
} sw_ruleset;

/* Adds the rules under path.  0 when path was read (even when some or all
 * rules were refused); -1 with err filled when path does not exist, cannot
 * be read, holds no *.toml file, or memory ran out. */
int sw_ruleset_add(sw_ruleset *rs, const char *path, char *err, size_t errcap);

/* Adds one rule from text (the in-memory entry, for tests): as if read from
 * a file named path.  0, or -1 when out of memory. */
int sw_ruleset_add_text(sw_ruleset *rs, const char *path, const char *text, size_t len);

void sw_ruleset_free(sw_ruleset *rs);

#endif
