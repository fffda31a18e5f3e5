/* toml.h -- a read-only C view of one parsed TOML document (toml++ behind
 * it, in toml.cpp), just what the rule loader needs: tables, arrays,
 * strings, integers, and where a value starts in the text.
 *
 * Nodes are views into the document, valid while it lives.  A missing key
 * or an index past the end gives the null node (kind SW_TOML_NONE), and
 * every accessor accepts it, so a caller can chain lookups and test once. */
#ifndef SW_TOML_H
#define SW_TOML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sw_toml sw_toml;

typedef struct {
    const void *p; /* NULL: no such node */
} sw_toml_node;

typedef enum {
    SW_TOML_NONE = 0,
    SW_TOML_TABLE,
    SW_TOML_ARRAY,
    SW_TOML_STRING,
    SW_TOML_INTEGER,
    SW_TOML_FLOAT,
    SW_TOML_BOOLEAN,
    SW_TOML_DATETIME /* date, time or date-time */
} sw_toml_kind;

/* Why a text is not TOML: 1-based line and column (0 when unknown) and the
 * parser's description. */
typedef struct {
    uint32_t line, column;
    char message[256];
} sw_toml_error;

/* Parses text[0 .. len) (any bytes).  NULL with *err filled when it is not
 * TOML or memory ran out (err may be NULL).  Never throws, never aborts on
 * bad input. */
sw_toml *sw_toml_parse(const char *text, size_t len, sw_toml_error *err);
void sw_toml_free(sw_toml *doc);

sw_toml_node sw_toml_root(const sw_toml *doc);
sw_toml_kind sw_toml_kind_of(sw_toml_node n);
/* A type name for messages: "table", "array", "string", "integer", ... */
const char *sw_toml_kind_name(sw_toml_kind k);

/* table[key]; the null node when n is not a table or has no such key. */
sw_toml_node sw_toml_get(sw_toml_node n, const char *key);
/* The number of elements of an array (0 for anything else). */
size_t sw_toml_len(sw_toml_node n);
sw_toml_node sw_toml_at(sw_toml_node n, size_t i);

/* 0 and the bytes (not NUL-terminated, may hold NUL) of a string node,
 * -1 for anything else. */
int sw_toml_string(sw_toml_node n, const char **p, size_t *len);
/* 0 and the value of an integer node, -1 for anything else. */
int sw_toml_int(sw_toml_node n, int64_t *v);

/* Where the node starts in the text (for a string, its opening quote):
 * 1-based line and column (column in characters); 0, 0 when unknown. */
void sw_toml_where(sw_toml_node n, uint32_t *line, uint32_t *column);

#ifdef __cplusplus
}
#endif

#endif
