/* keys.h -- the names of a partition's state in Redis: the key layout
 * checkpoint.h describes, as pure functions both sides share.  The worker
 * (checkpoint.c) builds names with it, `state inspect` parses them back
 * and builds its SCAN / HSCAN patterns with it, so the layout and its
 * escaping are written down once.
 *
 *   sw:{G:T:P}:meta | :tenants | :users   the three keys of one partition
 *   sw:{G:T:P}:r:RULE:tenants | :users     with `run --rules`: rule RULE's
 *                                          tenants and users (checkpoint.h)
 *   tenant %-escaped, 0x1F, actor id       a field of the users hash
 *
 * Escaping.  A name part is written with some bytes as %XX (upper-case
 * hex), so that names cannot collide or break the hash tag: in the hash
 * tag, G and T escape control bytes, 0x7F, '%', '{', '}' and ':', and so
 * does a rule id (RULE) after it, so a hostile rule id can neither leave
 * the partition's hash tag nor pose as another key's suffix; in a user
 * field, the tenant escapes '%' and 0x1F (the separator).  Unescaping
 * accepts exactly what escaping writes (one spelling per name): any other
 * escape, a lower-case one, or a raw byte that should have been escaped
 * is refused, so a name read from Redis is sessionwatch's only if it is
 * the name sessionwatch would write.  Names from Redis are foreign input:
 * every parser here is bounded by the given length and never trusts it to
 * be NUL-terminated. */
#ifndef SW_KEYS_H
#define SW_KEYS_H

#include <stddef.h>
#include <stdint.h>

/* The three keys of a partition, in this order everywhere. */
enum { SW_KEY_META, SW_KEY_TENANTS, SW_KEY_USERS, SW_KEY_COUNT };

/* Which bytes of a name part are written %XX. */
typedef enum {
    SW_ESC_TAG,   /* group or topic in the hash tag: control bytes, 0x7F, % { } : */
    SW_ESC_TENANT /* the tenant in a user field: % and 0x1F */
} sw_key_escaping;

/* Writes p[0..n) escaped into out (room for 3 * n bytes); returns its length. */
size_t sw_key_escape(sw_key_escaping e, const char *p, size_t n, char *out);
/* The inverse into out (room for n bytes); 0, or -1 when p is not exactly
 * what sw_key_escape writes. */
int sw_key_unescape(sw_key_escaping e, const char *p, size_t n, char *out, size_t *len);

/* The three key names of (group, topic, partition), each malloc'd into
 * key[SW_KEY_META..SW_KEY_USERS]; 0, or -1 (nothing allocated) when out
 * of memory. */
int sw_keys_new(const char *group, const char *topic, int32_t partition, char *key[SW_KEY_COUNT]);
void sw_keys_free(char *key[SW_KEY_COUNT]);

/* The two keys of rule rule_id's store in that partition (tenants, then
 * users; same hash tag, so one script writes them with meta), each
 * malloc'd into key[0..1]; 0, or -1 (nothing allocated) when out of memory. */
enum { SW_KEY_RULE_COUNT = 2 };
int sw_keys_rule_new(const char *group, const char *topic, int32_t partition, const char *rule_id,
                     char *key[SW_KEY_RULE_COUNT]);

/* Parses the meta key name key[0..n): 0 with the group and topic
 * (malloc'd, NUL-terminated, lengths in gn and tn) and the partition when
 * sw_keys_new would build exactly this name from them; -1 (nothing
 * allocated) when it is not such a name or out of memory (*nomem says which). */
int sw_key_meta_parse(const char *key, size_t n, char **group, size_t *gn, char **topic, size_t *tn,
                      int32_t *partition, int *nomem);

/* The SCAN MATCH pattern of the meta keys of group and topic (either may
 * be NULL: any), malloc'd and NUL-terminated, its length in *n; NULL when
 * out of memory.  Names are glob-escaped: only their own keys match. */
char *sw_key_meta_pattern(const char *group, const char *topic, size_t *n);
/* The HSCAN MATCH pattern of the user fields of actor id in any tenant. */
char *sw_key_user_pattern(const char *actor, size_t an, size_t *n);

/* Appends the user field for (tenant, actor) to out (cap bytes); returns
 * its length, or 0 when it does not fit (3 * tn + 1 + an bytes always do). */
size_t sw_key_user_field(const char *tenant, size_t tn, const char *actor, size_t an, char *out, size_t cap);
/* Splits a user field: the tenant is unescaped into tenant (room for n
 * bytes), the actor points into f.  -1 when it is not one. */
int sw_key_user_field_split(const char *f, size_t n, char *tenant, size_t *tn, const char **actor, size_t *an);

#endif
