/* env.c -- see env.h. */
#include "env.h"

#include <ctype.h>
#include <string.h>

/* prefix + text, upper case, with from as '_'. */
static bool name_of(const char *prefix, const char *text, char from, char *out, size_t len) {
    size_t k = strlen(prefix), n = strlen(text);
    if (k + n + 1 > len) return false;
    memcpy(out, prefix, k);
    for (size_t i = 0; i < n; i++) out[k + i] = text[i] == from ? '_' : (char)toupper((unsigned char)text[i]);
    out[k + n] = '\0';
    return true;
}

bool sw_env_of_flag(const char *flag, char *out, size_t len) {
    while (*flag == '-') flag++;
    return name_of(SW_ENV_PREFIX, flag, '-', out, len);
}

bool sw_env_of_kafka_prop(const char *prop, char *out, size_t len) {
    return name_of(SW_ENV_KAFKA_PREFIX, prop, '.', out, len);
}

bool sw_env_kafka_entry(const char *entry, char *prop, size_t len, const char **value, size_t *name_len) {
    const size_t plen = sizeof SW_ENV_KAFKA_PREFIX - 1;
    if (len == 0 || strncmp(entry, SW_ENV_KAFKA_PREFIX, plen) != 0) return false;
    const char *name = entry + plen, *eq = strchr(name, '=');
    if (!eq) return false;
    size_t n = (size_t)(eq - name);
    if (n >= len) n = len - 1; /* librdkafka refuses it as unknown */
    for (size_t i = 0; i < n; i++) prop[i] = name[i] == '_' ? '.' : (char)tolower((unsigned char)name[i]);
    prop[n] = '\0';
    *value = eq + 1;
    *name_len = (size_t)(eq - entry);
    return true;
}
