/* json_check.h -- a small, strict JSON reader for the fuzz targets, written
 * independently of the code under test so that it can judge it.
 *
 * The alert writer promises that whatever bytes it is given, its output is
 * valid JSON whose strings decode back to the input (invalid UTF-8 replaced,
 * see stream/core/jsonw.h).  Checking that needs a decoder that trusts nothing:
 * jc_parse accepts exactly RFC 8259 (one value, optional whitespace around
 * it; strings of valid UTF-8 with no raw control character; escapes only
 * \" \\ \/ \b \f \n \r \t \uXXXX with surrogates correctly paired; the number
 * grammar; no duplicate key in an object) and builds a small tree whose
 * strings are decoded.  jc_expect_text computes, from the writer's input,
 * the decoded text the writer owes. */
#ifndef SW_JSON_CHECK_H
#define SW_JSON_CHECK_H

#include <stddef.h>

typedef enum { JC_NULL, JC_BOOL, JC_NUMBER, JC_STRING, JC_ARRAY, JC_OBJECT } jc_type;

typedef struct jc_node {
    jc_type type;
    char *s;              /* STRING: decoded bytes; NUMBER: its text; BOOL: "true"/"false" */
    size_t n;
    char *key;            /* decoded member name, when the parent is an object */
    size_t key_n;
    struct jc_node *child;/* ARRAY/OBJECT: first element or member */
    struct jc_node *next; /* next sibling */
    size_t count;         /* ARRAY/OBJECT: number of children */
} jc_node;

/* Parses p[0 .. n) as exactly one JSON value; NULL (and *err, when err is
 * not NULL, says why) if it is not strict JSON or nests deeper than 512. */
jc_node *jc_parse(const char *p, size_t n, const char **err);
void jc_free(jc_node *root);

/* The member named key (a C string) of an object, or NULL. */
const jc_node *jc_get(const jc_node *obj, const char *key);
/* Element i of an array, or NULL. */
const jc_node *jc_at(const jc_node *arr, size_t i);
/* Whether node is a string holding exactly p[0 .. n). */
int jc_is_str(const jc_node *node, const char *p, size_t n);

/* What sw_json_str owes for input s[0 .. n): valid UTF-8 sequences
 * unchanged (overlongs, surrogates and code points above U+10FFFF are not
 * valid), each byte that does not start a valid sequence replaced by
 * U+FFFD (EF BF BD).  out needs room for 3 * n bytes; returns its length. */
size_t jc_expect_text(const char *s, size_t n, char *out);

/* 1 if the raw bytes p[0 .. n) contain no DEL (0x7F), no C1 control
 * (U+0080..U+009F) and no U+2028/U+2029, which the writer must always
 * escape (JSON allows them raw; JavaScript and Unicode-aware line readers
 * such as Python's str.splitlines treat some of them as line ends). */
int jc_no_raw_separators(const char *p, size_t n);

#endif
