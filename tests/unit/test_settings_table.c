/* test_settings_table.c -- pins the settings table machinery
 * (stream/ops/settings.c) on a table of its own, one row per type: each
 * type parsed by the one parser of values.h and stored at its offset,
 * defaults applied through the same parser, flag > environment > file >
 * default with the origin of every value, repeatable settings
 * accumulating across sources, switches set off by a higher source, values
 * that look like flags staying values, errors naming the setting and its
 * origin, the generated --help and `config print`; and the one mapping of
 * environment names (env.h) and the duration and size formats (values.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "env.h"
#include "settings.h"
#include "testutil.h"
#include "values.h"

typedef struct {
    const char *name;
    bool fast, slow;
    int64_t every_ms;
    size_t limit;
    uint64_t count;
    uint32_t small;
    int colour;
    const char *tags[8];
    int ntags;
} opts;

static int add_tag(void *field, const char *v, char *why, size_t len) {
    opts *o = field;
    if (o->ntags == 8) {
        snprintf(why, len, "--tag: at most 8 tags");
        return -1;
    }
    o->tags[o->ntags++] = v;
    return 0;
}

static const char *const COLOURS[] = {"red", "green", NULL};

#define O(f) offsetof(opts, f)
static const sw_setting ROWS[] = {
    {.flag = "--name", .type = SW_SET_STRING, .metavar = "N", .def = "anon", .offset = O(name), .help = "a name"},
    {.flag = "--fast", .type = SW_SET_SWITCH, .offset = O(fast), .help = "go fast\nreally"},
    {.flag = "--no-slow", .type = SW_SET_SWITCH, .offset = O(slow), .flags = SW_SET_NEGATED, .help = "not slow"},
    {.flag = "--every", .type = SW_SET_DURATION, .metavar = "DUR", .def = "10s", .offset = O(every_ms), .min = 100,
     .max = 3600000, .flags = SW_SET_ZERO_OK, .want = "0 or a duration from 100ms to 1h", .help = "how often"},
    {.flag = "--limit", .type = SW_SET_SIZE, .metavar = "SIZE", .def = "1M", .offset = O(limit), .min = 64,
     .max = 1u << 30, .want = "a size from 64 to 1G", .help = "how much"},
    {.flag = "--count", .type = SW_SET_U64, .metavar = "N", .offset = O(count), .min = 1, .max = 256,
     .want = "a count from 1 to 256", .help = "how many"},
    {.flag = "--small", .type = SW_SET_U32, .metavar = "N", .def = "7", .offset = O(small), .max = 64,
     .want = "a count from 0 to 64"},
    {.flag = "--colour", .type = SW_SET_ENUM, .metavar = "C", .def = "red", .offset = O(colour), .choices = COLOURS,
     .want = "red or green", .help = "a colour"},
    {.flag = "--tag", .type = SW_SET_CUSTOM, .metavar = "T", .offset = 0, .set = add_tag, .flags = SW_SET_REPEATABLE,
     .help = "a tag, repeatable"},
    {.flag = "--secret", .type = SW_SET_STRING, .metavar = "S", .offset = O(name),
     .flags = SW_SET_SECRET | SW_SET_NO_ENV},
};
static const sw_setting_group GROUPS[] = {SW_SETTING_GROUP(ROWS, 0, "Things:\n", "end\n")};
static const char *const OTHERS[] = {"thing", "other", NULL};
static const sw_command_settings CMD = {"thing", GROUPS, 1, " (no files here)", OTHERS};

static const char *const VARS[] = {"SESSIONWATCH_NAME",  "SESSIONWATCH_FAST", "SESSIONWATCH_COUNT",
                                   "SESSIONWATCH_TAG",   "SESSIONWATCH_NO_SLOW", "SESSIONWATCH_SECRET",
                                   "SESSIONWATCH_CONFIG", "SESSIONWATCH_EVERY", NULL};

static int clean_env(void **state) {
    (void)state;
    for (const char *const *v = VARS; *v; v++) unsetenv(*v);
    return 0;
}

/* Loads argv (NULL-terminated, without argv[0]) into *o. */
static int load(opts *o, sw_settings **st, const char *const *args) {
    char *argv[32] = {(char *)"thing"};
    int argc = 1;
    for (; args[argc - 1]; argc++) argv[argc] = (char *)args[argc - 1];
    memset(o, 0, sizeof *o);
    o->slow = true;
    return sw_settings_load(&CMD, o, argc, argv, st);
}


static void test_types_and_defaults(void **state) {
    (void)state;
    opts o;
    sw_settings *st;
    const char *args[] = {"--fast", "--every=0", "--limit", "256k", "--count", "12", "--colour", "green",
                          "--no-slow", "--small=64", NULL};
    assert_int_equal(load(&o, &st, args), SW_SETTINGS_OK);
    assert_string_equal(o.name, "anon"); /* the default, through the parser */
    assert_true(o.fast);
    assert_false(o.slow);
    assert_int_equal(o.every_ms, 0); /* ZERO_OK */
    assert_int_equal(o.limit, 256 * 1024);
    assert_int_equal(o.count, 12);
    assert_int_equal(o.small, 64);
    assert_int_equal(o.colour, 1);
    assert_null(sw_settings_origin(st, "--name"));
    assert_string_equal(sw_settings_origin(st, "--count"), "flag");
    sw_settings_free(st);

    const char *none[] = {NULL};
    assert_int_equal(load(&o, &st, none), SW_SETTINGS_OK);
    assert_int_equal(o.every_ms, 10000);
    assert_int_equal(o.limit, 1 << 20);
    assert_int_equal(o.small, 7);
    assert_int_equal(o.colour, 0);
    assert_true(o.slow); /* a negated switch not given keeps the struct's value */
    sw_settings_free(st);
}

static void test_precedence_and_origins(void **state) {
    (void)state;
    const char ini[] = "[thing]\n"
                       "name = from-file\n"
                       "count = 3\n"
                       "fast = yes\n"
                       "tag = f1\n"
                       "every = 1m\n"
                       "[other]\n"
                       "anything = goes\n";
    char file[64];
    snprintf(file, sizeof file, "%s", tu_write_temp(ini, sizeof ini - 1));
    setenv("SESSIONWATCH_COUNT", "4", 1);
    setenv("SESSIONWATCH_FAST", "off", 1);
    setenv("SESSIONWATCH_TAG", "e1", 1);
    setenv("SESSIONWATCH_EVERY", "2m", 1);
    opts o;
    sw_settings *st;
    const char *args[] = {"--config", file, "--every", "3m", "--tag", "--f2", NULL};
    assert_int_equal(load(&o, &st, args), SW_SETTINGS_OK);
    char origin[96];
    snprintf(origin, sizeof origin, "%s:2", file);
    assert_string_equal(o.name, "from-file"); /* file beats default */
    assert_string_equal(sw_settings_origin(st, "--name"), origin);
    assert_int_equal(o.count, 4); /* environment beats file */
    assert_string_equal(sw_settings_origin(st, "--count"), "SESSIONWATCH_COUNT");
    assert_false(o.fast); /* an environment off beats the file's on */
    assert_string_equal(sw_settings_origin(st, "--fast"), "SESSIONWATCH_FAST");
    assert_int_equal(o.every_ms, 180000); /* flag beats environment */
    assert_string_equal(sw_settings_origin(st, "--every"), "flag");
    /* Repeatable: file, then environment, then flags; a value that looks
     * like a flag is still the value. */
    assert_int_equal(o.ntags, 3);
    assert_string_equal(o.tags[0], "f1");
    assert_string_equal(o.tags[1], "e1");
    assert_string_equal(o.tags[2], "--f2");
    assert_string_equal(sw_settings_file(st), file);

    /* config print: each value with its origin; a repeatable one per line. */
    FILE *out = tmpfile();
    sw_settings_print(st, out);
    long n = ftell(out);
    char *text = calloc(1, (size_t)n + 1);
    rewind(out);
    assert_int_equal(fread(text, 1, (size_t)n, out), (size_t)n);
    fclose(out);
    char want[256];
    snprintf(want, sizeof want, "tag                      = f1                             ; %s:5\n", file);
    assert_non_null(strstr(text, want));
    assert_contains_all(text,
                        "tag                      = e1                             ; SESSIONWATCH_TAG\n",
                        "tag                      = --f2                           ; flag\n",
                        "fast                     = false                          ; SESSIONWATCH_FAST\n",
                        "limit                    = 1MiB                           ; default\n",
                        "colour                   = red                            ; default\n",
                        "secret                   = ***");
    free(text);
    sw_settings_free(st);
}

/* A command that parses its own argv takes the settings' flags one by one:
 * only flags are read (no default, environment or file), each with the
 * origin "flag"; what is not a setting is left to the command. */
static void test_take_flags_one_by_one(void **state) {
    (void)state;
    setenv("SESSIONWATCH_COUNT", "4", 1);
    opts o = {0};
    sw_settings *st = sw_settings_new(&CMD, &o);
    assert_non_null(st);
    char *argv[] = {"thing", "--every=3m", "file", "--fast", "--small", "9", "--own", "--count", "x", NULL};
    int argc = 9, i = 1;
    assert_int_equal(sw_settings_take(st, argc, argv, &i), 1);
    assert_int_equal(i, 2);
    assert_int_equal(sw_settings_take(st, argc, argv, &i), 0); /* a file: the command's */
    i++;
    assert_int_equal(sw_settings_take(st, argc, argv, &i), 1);
    assert_int_equal(sw_settings_take(st, argc, argv, &i), 1);
    assert_int_equal(i, 6);
    assert_int_equal(sw_settings_take(st, argc, argv, &i), 0); /* --own: the command's */
    i++;
    assert_int_equal(sw_settings_take(st, argc, argv, &i), -1); /* a bad value, reported */
    assert_int_equal(o.every_ms, 180000);
    assert_true(o.fast);
    assert_int_equal(o.small, 9);
    assert_int_equal(o.count, 0); /* neither the environment nor the bad flag */
    assert_null(o.name);         /* no default applied */
    assert_string_equal(sw_settings_origin(st, "--every"), "flag");
    assert_string_equal(sw_settings_origin(st, "--small"), "flag");
    assert_null(sw_settings_origin(st, "--count"));
    assert_null(sw_settings_origin(st, "--name"));
    sw_settings_free(st);
}

typedef struct {
    const char *const *args;
} load_job;

static int run_load(void *arg) {
    opts o;
    sw_settings *st;
    int rc = load(&o, &st, ((load_job *)arg)->args);
    sw_settings_free(st);
    return rc;
}

static void test_errors_name_setting_and_origin(void **state) {
    (void)state;
    struct {
        const char *env, *env_value, *file;
        const char *args[4];
        const char *want[2];
    } cases[] = {
        {"SESSIONWATCH_COUNT", "0", NULL, {NULL},
         {"--count: '0' is not a count from 1 to 256", "(that value comes from SESSIONWATCH_COUNT)"}},
        {NULL, NULL, "[thing]\n\nevery = 5\n", {NULL}, {"--every: '5' is not 0 or a duration", ":3)"}},
        {NULL, NULL, NULL, {"--colour", "blue", NULL}, {"--colour: 'blue' is not red or green", "--help"}},
        {NULL, NULL, NULL, {"--small", NULL}, {"--small needs a value", NULL}},
        {NULL, NULL, NULL, {"--nope", NULL}, {"unknown option '--nope'", NULL}},
        {NULL, NULL, NULL, {"file", NULL}, {"unexpected argument 'file' (no files here)", NULL}},
        {"SESSIONWATCH_FAST", "maybe", NULL, {NULL}, {"SESSIONWATCH_FAST='maybe' is not true or false", NULL}},
        {NULL, NULL, "[thing]\nfast = maybe\n", {NULL}, {":2: fast = 'maybe' is not true or false", NULL}},
        {NULL, NULL, "[thing]\nsecret = x\n", {NULL}, {NULL, NULL}}, /* NO_ENV rows may still be in files */
        {NULL, NULL, "[elsewhere]\nx = 1\n", {NULL}, {"section [elsewhere] is not [thing] or [kafka]", NULL}},
        {NULL, NULL, "[thing]\ncolor = red\n", {NULL}, {"'color' is not a setting of thing", NULL}},
        {NULL, NULL, "[kafka]\nacks = 1\n", {NULL}, {"thing takes no [kafka] section", NULL}},
        {"SESSIONWATCH_SECRET", "env-is-ignored", NULL, {NULL}, {NULL, NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clean_env(NULL);
        if (cases[i].env) setenv(cases[i].env, cases[i].env_value, 1);
        if (cases[i].file) setenv("SESSIONWATCH_CONFIG", tu_write_temp(cases[i].file, strlen(cases[i].file)), 1);
        load_job job = {cases[i].args};
        int rc;
        char *err = tu_captured_stderr(run_load, &job, &rc);
        bool ok = !cases[i].want[0];
        if (rc != (ok ? SW_SETTINGS_OK : SW_SETTINGS_USAGE)) fail_msg("case %zu: rc %d; stderr: %s", i, rc, err);
        for (int k = 0; k < 2 && cases[i].want[k]; k++)
            if (!strstr(err, cases[i].want[k])) fail_msg("case %zu: no '%s' in:\n%s", i, cases[i].want[k], err);
        if (ok) assert_string_equal(err, "");
        free(err);
    }
}

static void test_help_generated(void **state) {
    (void)state;
    FILE *out = tmpfile();
    sw_settings_help(GROUPS, 1, out);
    long n = ftell(out);
    char *text = calloc(1, (size_t)n + 1);
    rewind(out);
    assert_int_equal(fread(text, 1, (size_t)n, out), (size_t)n);
    fclose(out);
    assert_string_equal(text, "Things:\n"
                              "  --name N                  a name\n"
                              "  --fast                    go fast\n"
                              "                            really\n"
                              "  --no-slow                 not slow\n"
                              "  --every DUR               how often\n"
                              "  --limit SIZE              how much\n"
                              "  --count N                 how many\n"
                              "  --colour C                a colour\n"
                              "  --tag T                   a tag, repeatable\n"
                              "end\n");
    free(text);
    opts o;
    sw_settings *st;
    const char *args[] = {"--count", "bad", "--help", NULL};
    assert_int_equal(load(&o, &st, args), SW_SETTINGS_HELP); /* help wins over a bad value */
    sw_settings_free(st);
    const char *value[] = {"--name", "-h", NULL}; /* a value, not the flag */
    assert_int_equal(load(&o, &st, value), SW_SETTINGS_OK);
    assert_string_equal(o.name, "-h");
    sw_settings_free(st);
}

static void test_env_names(void **state) {
    (void)state;
    char name[64], prop[64];
    assert_true(sw_env_of_flag("--checkpoint-interval", name, sizeof name));
    assert_string_equal(name, "SESSIONWATCH_CHECKPOINT_INTERVAL");
    assert_true(sw_env_of_kafka_prop("sasl.password", name, sizeof name));
    assert_string_equal(name, "SESSIONWATCH_KAFKA_SASL_PASSWORD");
    assert_false(sw_env_of_kafka_prop("a.very.long.property.name.indeed", name, 20));
    const char *v;
    size_t len;
    assert_true(sw_env_kafka_entry("SESSIONWATCH_KAFKA_SECURITY_PROTOCOL=SSL", prop, sizeof prop, &v, &len));
    assert_string_equal(prop, "security.protocol");
    assert_string_equal(v, "SSL");
    assert_int_equal(len, strlen("SESSIONWATCH_KAFKA_SECURITY_PROTOCOL"));
    assert_false(sw_env_kafka_entry("SESSIONWATCH_BROKERS=b:1", prop, sizeof prop, &v, &len));
    /* The round trip: every property name maps back to itself. */
    assert_true(sw_env_of_kafka_prop("ssl.key.password", name, sizeof name));
    char entry[96];
    snprintf(entry, sizeof entry, "%s=x", name);
    assert_true(sw_env_kafka_entry(entry, prop, sizeof prop, &v, &len));
    assert_string_equal(prop, "ssl.key.password");
}

static void test_formats_read_back(void **state) {
    (void)state;
    const int64_t ms[] = {0, 1, 999, 1000, 1500, 60000, 2100000, 3600000, 6300000, 86400000, 7 * 86400000LL};
    for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++) {
        char buf[32];
        int64_t back = -1;
        sw_format_duration(ms[i], buf, sizeof buf);
        assert_int_equal(sw_parse_duration(buf, &back), 0);
        assert_int_equal(back, ms[i]);
    }
    char buf[32];
    sw_format_duration(2100000, buf, sizeof buf);
    assert_string_equal(buf, "35m");
    const size_t sizes[] = {0, 64, 1000, 1024, 8u << 20, 3u << 30, (1u << 20) + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t back = 1;
        sw_format_size(sizes[i], buf, sizeof buf);
        assert_int_equal(sw_parse_size(buf, &back), 0);
        assert_int_equal(back, sizes[i]);
    }
    sw_format_size(8u << 20, buf, sizeof buf);
    assert_string_equal(buf, "8MiB");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_types_and_defaults, clean_env),
        cmocka_unit_test_setup(test_precedence_and_origins, clean_env),
        cmocka_unit_test_setup(test_take_flags_one_by_one, clean_env),
        cmocka_unit_test_setup(test_errors_name_setting_and_origin, clean_env),
        cmocka_unit_test_setup(test_help_generated, clean_env),
        cmocka_unit_test(test_env_names),
        cmocka_unit_test(test_formats_read_back),
    };
    return cmocka_run_group_tests_name("settings_table", tests, NULL, NULL);
}
