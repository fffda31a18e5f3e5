/* test_kafka_tools.c -- pins the Kafka front ends around `run`: the
 * configuration (-X forms, environment, precedence, errors, secrets), the
 * user key's bytes, `mock-broker`, `replay`, `gen --brokers` and
 * `repartition`.  Everything runs on loopback against librdkafka's mock
 * cluster, started in this process (sw_mockcluster_start) or as the
 * `mock-broker` binary; the binaries under test are run with tu_run and
 * their topics read back with a plain assign()-from-the-beginning consumer.
 * Every wait is bounded and ends by itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "extract.h"
#include "jsonw.h"
#include "cli.h"
#include "kafka.h"
#include "mockcluster.h"
#include <librdkafka/rdkafka_mock.h>
#include "clock.h"
#include "testutil.h"
#include "tu_kafka.h"
#include "tu_proc.h"
#include "tu_records.h"


/* ------------------------------------------------------------------ */
/* Reading a topic back                                                 */

/* A record read back (support/tu_kafka.h). */
typedef tu_krec krec;
typedef tu_krecs krecs;

static void krecs_free(krecs *k) { tu_krecs_free(k); }

static rd_kafka_conf_t *client_conf(const char *brokers) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[256];
    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", brokers, err, sizeof err), RD_KAFKA_CONF_OK);
    return conf;
}

/* Every record of topic, from the beginning of every partition to its end. */
static krecs consume_all(const char *brokers, const char *topic) {
    tu_kafka_read how = {.brokers = brokers, .topic = topic, .group = "test-reader", .seconds = 30,
                         .errors_fatal = 1, .read_uncommitted = 1};
    return tu_kafka_read_all(&how);
}

/* The records whose value contains needle. */
static size_t count_values(const krecs *k, const char *needle) {
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++) n += strstr(k->r[i].value, needle) != NULL;
    return n;
}

static const krec *find_value(const krecs *k, const char *val) {
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->r[i].value, val) == 0) return &k->r[i];
    return NULL;
}

/* The "seq" number in a test record's value, or -1. */
static long seq_of(const char *val) {
    const char *s = strstr(val, "\"seq\":");
    return s ? strtol(s + 6, NULL, 10) : -1;
}

/* Asserts that the records with key (klen bytes) are exactly the seq numbers
 * want[0..n) in that order, all in one partition. */
static void assert_user(const krecs *k, const char *key, size_t klen, const long *want, size_t n) {
    size_t got = 0;
    int32_t part = -1;
    int64_t last_offset = -1;
    for (size_t i = 0; i < k->n; i++) {
        const krec *r = &k->r[i];
        if (!r->has_key || r->key_len != klen || memcmp(r->key, key, klen) != 0) continue;
        if (part < 0) part = r->partition;
        assert_int_equal(r->partition, part);
        assert_true(r->offset > last_offset); /* consumed in offset order */
        last_offset = r->offset;
        assert_true(got < n);
        assert_int_equal(seq_of(r->value), want[got]);
        got++;
    }
    assert_int_equal(got, n);
}

/* Produces values, unkeyed, in order to partition 0 of topic. */
static void produce_raw(const char *brokers, const char *topic, const char *const *values, size_t n) {
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, client_conf(brokers), err, sizeof err);
    assert_non_null(rk);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                           RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                           RD_KAFKA_V_VALUE((void *)values[i], strlen(values[i])),
                                           RD_KAFKA_V_END),
                         0);
    assert_int_equal(rd_kafka_flush(rk, 10000), 0);
    rd_kafka_destroy(rk);
}

static sw_mockcluster *start_mock(const char *topic, int partitions) {
    char err[256];
    sw_mockcluster *m = sw_mockcluster_start(1, err, sizeof err);
    if (!m) fail_msg("%s", err);
    if (topic && sw_mockcluster_topic(m, topic, partitions, err, sizeof err) != 0) fail_msg("%s", err);
    return m;
}

/* A mock cluster for replay and run: topics "events" and "alerts", with
 * these many partitions. */
static sw_mockcluster *start_events_and_alerts(int events_parts, int alerts_parts) {
    sw_mockcluster *m = start_mock("events", events_parts);
    char err[256];
    if (sw_mockcluster_topic(m, "alerts", alerts_parts, err, sizeof err) != 0) fail_msg("%s", err);
    return m;
}

/* A summary JSON field "name":N, or -1. */
static long json_count(const char *s, const char *name) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", name);
    const char *p = strstr(s, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

/* Each "name=N" of spec (space-separated) is the count "name":N of the
 * summary JSON s. */
static void expect_counts(const char *s, const char *spec) {
    for (const char *p = spec; *p;) {
        char name[64];
        long want;
        int used;
        if (sscanf(p, " %63[^=]=%ld%n", name, &want, &used) != 2) fail_msg("bad spec: %s", p);
        if (json_count(s, name) != want) fail_msg("\"%s\": %ld, want %ld in %s", name, json_count(s, name), want, s);
        p += used;
        while (*p == ' ') p++;
    }
}

/* Runs the binary, which must exit 0 (a hang is CTest's timeout; speed is
 * never asserted here: the machine may be busy). */
static tu_result run_ok(const char *const *argv) {
    tu_result r = tu_run(argv, NULL, 0);
    if (r.status != 0) fail_msg("sessionwatch %s exited %d: %s", argv[0], r.status, r.err);
    return r;
}

/* Runs the binary, which must exit with status and say want on stderr
 * (and never hidden, if given). */
static void expect_exit(const char *const *argv, int status, const char *want, const char *hidden) {
    tu_result r = tu_run(argv, NULL, 0);
    if (r.status != status) fail_msg("sessionwatch %s exited %d, not %d: %s", argv[0], r.status, status, r.err);
    assert_contains(r.err, want);
    if (hidden) assert_lacks(r.err, hidden);
    tu_result_free(&r);
}

/* `sessionwatch cmd --help` exits 0 and names every flag. */
static void expect_help(const char *cmd, const char *const *flags, size_t n) {
    const char *argv[] = {cmd, "--help", NULL};
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    for (size_t i = 0; i < n; i++) assert_contains(r.out, flags[i]);
    tu_result_free(&r);
}

/* Teardown: a child left running by a failed assertion is killed. */
static int kill_child(void **state) {
    (void)state;
    tu_proc_kill_all();
    return 0;
}

/* Starts the binary with argv (NULL-terminated, argv[0] is the command)
 * and its file descriptor fd (1 or 2) on a pipe whose read end goes to
 * *read_fd. */
static pid_t spawn(const char *const *argv, int fd, int *read_fd) {
    int p[2];
    assert_int_equal(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = tu_spawn_sw(argv, TU_INHERIT, fd == 1 ? p[1] : TU_INHERIT, fd == 2 ? p[1] : TU_INHERIT);
    assert_true(pid >= 0);
    close(p[1]);
    *read_fd = p[0];
    return pid;
}

/* Sends SIGTERM and returns the exit status (128 + signal if killed); a
 * child still running after 30 s is killed and fails the test. */
static int terminate(pid_t pid) {
    assert_int_equal(kill(pid, SIGTERM), 0);
    int st = tu_wait(pid, 30000);
    if (st < 0) {
        tu_kill(pid);
        fail_msg("sessionwatch did not stop on SIGTERM within 30 s");
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* Configuration                                                        */

/* Teardown: no SESSIONWATCH_* variable outlives the test that set it, even
 * when an assertion failed half-way. */
static int unset_env(void **state) {
    (void)state;
    const char *names[] = {"SESSIONWATCH_BROKERS", "SESSIONWATCH_KAFKA_CLIENT_ID", "SESSIONWATCH_KAFKA_LINGER_MS",
                           "SESSIONWATCH_KAFKA_SOCKET_TIMEOUT_MS", "SESSIONWATCH_KAFKA_NO_SUCH_THING",
                           "SESSIONWATCH_KAFKA_SSL_KEYSTORE_PASSWORDX", "SESSIONWATCH_KAFKA_HEARTBEAT_INTERVAL_MS"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unsetenv(names[i]);
    return 0;
}

static char *conf_get(rd_kafka_conf_t *c, const char *name) {
    static char buf[512];
    size_t n = sizeof buf;
    assert_int_equal(rd_kafka_conf_get(c, name, buf, &n), RD_KAFKA_CONF_OK);
    return buf;
}

/* Feeds argv (after a dummy argv[0]) to sw_cli_kafka_option: the number
 * of arguments that were Kafka flags, or -1 on an error. */
static int parse_kafka(sw_kafka_opts *k, char **argv, int argc) {
    sw_args a = {argc, argv, 1, "test"};
    int n = 0;
    while (a.i < argc) {
        int r = sw_cli_kafka_option(k, &a);
        if (r < 0) return -1;
        if (r == 0) a.i++;
        else n++;
    }
    return n;
}

static void test_kafka_option_forms(void **state) {
    (void)state;
    sw_kafka_opts k = {0};
    char a0[] = "x", a1[] = "-X", a2[] = "linger.ms=7", a3[] = "-Xclient.id=me", a4[] = "-X=acks=1",
         a5[] = "--brokers=h:1", a6[] = "other", a7[] = "-X", a8[] = "socket.timeout.ms=", a9[] = "--brokers",
         a10[] = "h:2";
    char *argv[] = {a0, a1, a2, a3, a4, a5, a6, a7, a8, a9, a10};
    assert_int_equal(parse_kafka(&k, argv, 11), 6);
    assert_int_equal(k.n_props, 4);
    assert_string_equal(k.props[0][0], "linger.ms");
    assert_string_equal(k.props[0][1], "7");
    assert_string_equal(k.props[1][0], "client.id");
    assert_string_equal(k.props[1][1], "me");
    assert_string_equal(k.props[2][0], "acks");
    assert_string_equal(k.props[2][1], "1");
    assert_string_equal(k.props[3][0], "socket.timeout.ms");
    assert_string_equal(k.props[3][1], "");
    assert_string_equal(k.brokers, "h:2"); /* the last --brokers wins */
    assert_string_equal(a2, "linger.ms=7"); /* argv is not written to */

    char b1[] = "-X", b2[] = "novalue", b3[] = "-X=", b4[] = "-X";
    char *bad1[] = {a0, b1, b2}, *bad2[] = {a0, b3}, *bad3[] = {a0, b4};
    sw_kafka_opts k2 = {0};
    assert_int_equal(parse_kafka(&k2, bad1, 3), -1); /* no '=' */
    assert_int_equal(parse_kafka(&k2, bad2, 2), -1); /* no key */
    assert_int_equal(parse_kafka(&k2, bad3, 2), -1); /* no value at all */
}

static void test_conf_precedence(void **state) {
    (void)state;
    char err[1024];
    setenv("SESSIONWATCH_BROKERS", "env-host:9092", 1);
    setenv("SESSIONWATCH_KAFKA_CLIENT_ID", "from-env", 1);
    setenv("SESSIONWATCH_KAFKA_LINGER_MS", "42", 1);
    setenv("SESSIONWATCH_KAFKA_SOCKET_TIMEOUT_MS", "12345", 1);

    sw_kafka_opts k = {0};
    rd_kafka_conf_t *c = sw_kafka_conf(&k, RD_KAFKA_PRODUCER, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(conf_get(c, "bootstrap.servers"), "env-host:9092");
    assert_string_equal(conf_get(c, "client.id"), "from-env");
    assert_string_equal(conf_get(c, "linger.ms"), "42");
    rd_kafka_conf_destroy(c);

    /* The flags win: --brokers over SESSIONWATCH_BROKERS, -X over the environment. */
    k.brokers = "flag-host:1";
    k.props[0][0] = "client.id", k.props[0][1] = "from-flag";
    k.props[1][0] = "linger.ms", k.props[1][1] = "3";
    k.n_props = 2;
    assert_non_null(c = sw_kafka_conf(&k, RD_KAFKA_PRODUCER, err, sizeof err));
    assert_string_equal(conf_get(c, "bootstrap.servers"), "flag-host:1");
    assert_string_equal(conf_get(c, "client.id"), "from-flag");
    assert_string_equal(conf_get(c, "linger.ms"), "3");
    assert_string_equal(conf_get(c, "socket.timeout.ms"), "12345");
    /* A front end's default yields to -X and to the environment, not otherwise. */
    assert_int_equal(sw_kafka_conf_default(c, &k, "linger.ms", "99", err, sizeof err), 0);
    assert_int_equal(sw_kafka_conf_default(c, &k, "socket.timeout.ms", "99", err, sizeof err), 0);
    assert_int_equal(sw_kafka_conf_default(c, &k, "reconnect.backoff.ms", "77", err, sizeof err), 0);
    assert_string_equal(conf_get(c, "linger.ms"), "3");
    assert_string_equal(conf_get(c, "socket.timeout.ms"), "12345");
    assert_string_equal(conf_get(c, "reconnect.backoff.ms"), "77");
    rd_kafka_conf_destroy(c);

    /* -X bootstrap.servers is a command-line flag too, applied after --brokers. */
    k.props[2][0] = "bootstrap.servers", k.props[2][1] = "x-host:2";
    k.n_props = 3;
    assert_non_null(c = sw_kafka_conf(&k, RD_KAFKA_PRODUCER, err, sizeof err));
    assert_string_equal(conf_get(c, "bootstrap.servers"), "x-host:2");
    rd_kafka_conf_destroy(c);

    unset_env(NULL);
    /* No brokers from anywhere: an error that says how to give them. */
    sw_kafka_opts none = {0};
    assert_null(sw_kafka_conf(&none, RD_KAFKA_CONSUMER, err, sizeof err));
    assert_contains(err, "--brokers");
    assert_contains(err, "SESSIONWATCH_BROKERS");
}

/* sw_kafka_conf must refuse k (with the environment variable env=val set,
 * if env) with a message that contains want and not hidden (if given). */
static void assert_conf_error(const sw_kafka_opts *k, const char *env, const char *val, const char *want,
                              const char *hidden) {
    char err[1024];
    if (env) setenv(env, val, 1);
    assert_null(sw_kafka_conf(k, RD_KAFKA_CONSUMER, err, sizeof err));
    if (env) unsetenv(env);
    assert_contains(err, want);
    assert_contains(err, "CONFIGURATION.md");
    if (hidden) assert_lacks(err, hidden);
}

static void test_conf_bad_property(void **state) {
    (void)state;
    sw_kafka_opts k = {.brokers = "h:1", .n_props = 1};
    k.props[0][0] = "security.protocol", k.props[0][1] = "CARRIER_PIGEON";
    assert_conf_error(&k, NULL, NULL, "-X security.protocol=CARRIER_PIGEON: librdkafka says: ", NULL);
    /* An unknown property's value may be a secret (a Java client property,
     * a mistyped secret name): masked. */
    k.props[0][0] = "no.such.property", k.props[0][1] = "1";
    assert_conf_error(&k, NULL, NULL, "-X no.such.property=***: librdkafka says: ", NULL);
    assert_conf_error(&k, NULL, NULL, "check the spelling", NULL);
    /* From the environment: the variable is named. */
    sw_kafka_opts e = {.brokers = "h:1"};
    assert_conf_error(&e, "SESSIONWATCH_KAFKA_NO_SUCH_THING", "x1",
                      "environment SESSIONWATCH_KAFKA_NO_SUCH_THING: no.such.thing=***", "x1");
}

static void test_conf_secrets_masked(void **state) {
    (void)state;
    /* sasl.username is librdkafka's own sensitive property (it was printed
     * before); sasl.jaas.config (Java's, holding a password) and the OIDC
     * extensions were printed in run's start-up error. */
    const char *secret[] = {"sasl.password", "ssl.key.password", "ssl.keystore.password", "ssl.key.pem",
                            "sasl.oauthbearer.client.secret", "sasl.oauthbearer.config",
                            "sasl.oauthbearer.token.endpoint.url", "SASL.PASSWORD", "ssl.keystore.location",
                            "sasl.username", "sasl.jaas.config", "sasl.oauthbearer.extensions", "ssl.ca.pem",
                            "ssl.key.location", "sasl.kerberos.keytab", "no.such.property"};
    const char *plain[] = {"bootstrap.servers", "client.id", "sasl.mechanism", "security.protocol", "linger.ms",
                           "session.timeout.ms", "auto.offset.reset", "ssl.ca.location", "acks"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        if (!sw_kafka_prop_is_secret(secret[i])) fail_msg("%s is not masked", secret[i]);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        if (sw_kafka_prop_is_secret(plain[i])) fail_msg("%s is masked", plain[i]);

    /* A mistyped secret property, from -X or the environment: named, its
     * value never shown. */
    sw_kafka_opts k = {.brokers = "h:1", .n_props = 1};
    k.props[0][0] = "sasl.passwordd", k.props[0][1] = "hunter2";
    assert_conf_error(&k, NULL, NULL, "-X sasl.passwordd=***", "hunter2");
    sw_kafka_opts e = {.brokers = "h:1"};
    assert_conf_error(&e, "SESSIONWATCH_KAFKA_SSL_KEYSTORE_PASSWORDX", "hunter3", "ssl.keystore.passwordx=***",
                      "hunter3");
    /* Properties librdkafka refuses whose value holds a credential. */
    k.props[0][0] = "sasl.jaas.config";
    k.props[0][1] = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" "
                    "password=\"hunter4\";";
    assert_conf_error(&k, NULL, NULL, "-X sasl.jaas.config=***", "hunter4");
    k.props[0][0] = "sasl.oauthbearer.extensions", k.props[0][1] = "apikey=hunter5";
    assert_conf_error(&k, NULL, NULL, "-X sasl.oauthbearer.extensions=***", "hunter5");

    /* Through the binary: the same, on stderr, and -X without '=' too. */
    const char *argv[] = {"replay", "--brokers", "127.0.0.1:1", "--topic", "t", "-X", "sasl.passwordd=hunter2", NULL};
    expect_exit(argv, 1, "sasl.passwordd=***", "hunter2");
    const char *argv2[] = {"replay", "--topic", "t", "-X", "sasl.password:hunter2", NULL};
    expect_exit(argv2, 2, "KEY=VALUE", "hunter2");
    /* run's start-up errors (the alert producer's configuration first). */
    const char *argv3[] = {"run", "--brokers", "127.0.0.1:1", "-X", "sasl.jaas.config=password=hunter6", NULL};
    expect_exit(argv3, 1, "sasl.jaas.config=***", "hunter6");
    const char *argv4[] = {"run", "--brokers", "127.0.0.1:1", "-X", "sasl.oauthbearer.extensions=k=hunter7", NULL};
    expect_exit(argv4, 1, "sasl.oauthbearer.extensions=***", "hunter7");
}

/* librdkafka's own list of sensitive properties, read from the installed
 * library: a client created with debug=conf logs its configuration with
 * each sensitive value as "[redacted]".  Every property of the table is set
 * alone (to the first of a few values librdkafka accepts) on a client of
 * its kind; every one the library redacts must be masked by sessionwatch.
 * Properties this build cannot set (OIDC without libcurl) are covered by
 * the list in kafka_props.c, taken from librdkafka's source. */
static char redacted[64][64];
static size_t n_redacted;

static void on_conf_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    (void)rk, (void)level, (void)fac;
    const char *end = strstr(buf, " = [redacted]"), *start = strstr(buf, "]:");
    if (!end || !start || n_redacted == 64) return;
    for (start += 2; *start == ' '; start++) {}
    if (end > start && (size_t)(end - start) < sizeof redacted[0])
        snprintf(redacted[n_redacted++], sizeof redacted[0], "%.*s", (int)(end - start), start);
}

static void test_secret_list_covers_librdkafkas(void **state) {
    (void)state;
    static const char *const values[] = {"x", "1", "true", "a=b"};
    size_t tried = 0;
    sw_prop_scope scope;
    const char *name;
    for (size_t i = 0; (name = sw_kafka_prop_at(i, &scope)) != NULL; i++) {
        char err[512];
        rd_kafka_conf_t *c = NULL;
        for (size_t v = 0; v < sizeof values / sizeof values[0] && !c; v++) {
            c = rd_kafka_conf_new();
            if (rd_kafka_conf_set(c, name, values[v], err, sizeof err) != RD_KAFKA_CONF_OK) {
                rd_kafka_conf_destroy(c);
                c = NULL;
            }
        }
        if (!c) continue; /* a callback, internal, or not in this build */
        rd_kafka_conf_set(c, "debug", "conf", err, sizeof err);
        rd_kafka_conf_set_log_cb(c, on_conf_log);
        rd_kafka_t *rk = rd_kafka_new(scope == SW_PROP_CONSUMER ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, c, err,
                                      sizeof err);
        if (!rk) {
            rd_kafka_conf_destroy(c);
            continue;
        }
        rd_kafka_destroy(rk);
        tried++;
    }
    /* The extraction works: the table was read, and librdkafka 2.0.2
     * redacts at least its 8 settable sensitive properties. */
    assert_true(tried > 100);
    if (n_redacted < 8) fail_msg("only %zu redacted properties found", n_redacted);
    for (size_t i = 0; i < n_redacted; i++)
        if (!sw_kafka_prop_is_secret(redacted[i]))
            fail_msg("librdkafka redacts %s, sessionwatch does not mask it", redacted[i]);
}

/* Each client gets the properties of its kind, by librdkafka's table. */
static void test_props_by_client_type(void **state) {
    (void)state;
    assert_int_equal(sw_kafka_prop_scope("session.timeout.ms"), SW_PROP_CONSUMER);
    assert_int_equal(sw_kafka_prop_scope("auto.offset.reset"), SW_PROP_CONSUMER); /* a topic property */
    assert_int_equal(sw_kafka_prop_scope("acks"), SW_PROP_PRODUCER);
    assert_int_equal(sw_kafka_prop_scope("bootstrap.servers"), SW_PROP_ANY);
    assert_int_equal(sw_kafka_prop_scope("no.such.property"), SW_PROP_UNKNOWN);
    assert_false(sw_kafka_prop_applies("session.timeout.ms", RD_KAFKA_PRODUCER));
    assert_false(sw_kafka_prop_applies("linger.ms", RD_KAFKA_CONSUMER));
    assert_true(sw_kafka_prop_applies("no.such.property", RD_KAFKA_PRODUCER));

    char err[1024];
    setenv("SESSIONWATCH_KAFKA_HEARTBEAT_INTERVAL_MS", "1500", 1);
    sw_kafka_opts k = {.brokers = "h:1", .n_props = 3};
    k.props[0][0] = "session.timeout.ms", k.props[0][1] = "6000";
    k.props[1][0] = "linger.ms", k.props[1][1] = "7";
    k.props[2][0] = "socket.timeout.ms", k.props[2][1] = "12345";
    rd_kafka_conf_t *c = sw_kafka_conf(&k, RD_KAFKA_CONSUMER, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(conf_get(c, "session.timeout.ms"), "6000");
    assert_string_equal(conf_get(c, "heartbeat.interval.ms"), "1500");
    assert_string_equal(conf_get(c, "socket.timeout.ms"), "12345");
    assert_string_equal(conf_get(c, "linger.ms"), "5"); /* librdkafka's default */
    rd_kafka_conf_destroy(c);
    c = sw_kafka_conf(&k, RD_KAFKA_PRODUCER, err, sizeof err);
    assert_non_null(c);
    assert_string_equal(conf_get(c, "session.timeout.ms"), "45000");
    assert_string_equal(conf_get(c, "heartbeat.interval.ms"), "3000");
    assert_string_equal(conf_get(c, "socket.timeout.ms"), "12345");
    assert_string_equal(conf_get(c, "linger.ms"), "7");
    rd_kafka_conf_destroy(c);
    /* A bad value is still refused by the client it applies to. */
    k.props[0][1] = "nope";
    assert_null(sw_kafka_conf(&k, RD_KAFKA_CONSUMER, err, sizeof err));
    assert_contains(err, "-X session.timeout.ms=nope");
}

/* The start-up check's decision on one topic of a metadata reply. */
static void test_topic_state(void **state) {
    (void)state;
    rd_kafka_metadata_partition_t part = {.id = 0};
    rd_kafka_metadata_topic_t topics[] = {
        {.topic = (char *)"ok", .partition_cnt = 1, .partitions = &part},
        {.topic = (char *)"gone", .err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART},
        {.topic = (char *)"locked", .err = RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED},
        {.topic = (char *)"electing", .err = RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE},
    };
    struct rd_kafka_metadata md = {.topic_cnt = 4, .topics = topics};
    assert_int_equal(sw_kafka_topic_state(&md, "ok"), SW_TOPIC_EXISTS);
    assert_int_equal(sw_kafka_topic_state(&md, "gone"), SW_TOPIC_MISSING);
    assert_int_equal(sw_kafka_topic_state(&md, "locked"), SW_TOPIC_UNDECIDED);
    assert_int_equal(sw_kafka_topic_state(&md, "electing"), SW_TOPIC_UNDECIDED);
    assert_int_equal(sw_kafka_topic_state(&md, "not-asked"), SW_TOPIC_UNDECIDED);
    assert_int_equal(sw_kafka_topic_state(NULL, "ok"), SW_TOPIC_UNDECIDED);
}

/* run refuses to start (exit 2, saying to create it) when the brokers
 * report the alerts or the dead-letter topic unknown.  The mock creates
 * any topic it is asked about, so the test makes it answer "unknown topic"
 * as a broker without auto-creation does. */
static void test_run_missing_output_topic(void **state) {
    (void)state;
    sw_mockcluster *m = start_events_and_alerts(1, 1);
    rd_kafka_mock_topic_set_error(sw_mockcluster_handle(m), "alerts-gone", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    rd_kafka_mock_topic_set_error(sw_mockcluster_handle(m), "dlq-gone", RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
    const char *brokers = sw_mockcluster_bootstraps(m);
    const char *run1[] = {"run", "--brokers", brokers, "--topic", "events", "--alerts-topic", "alerts-gone",
                          "--threads", "1", "--exit-at-end", "--status-interval", "0", NULL};
    expect_exit(run1, 2, "topic alerts-gone does not exist and the brokers do not create it: create it", NULL);
    const char *run2[] = {"run", "--brokers", brokers, "--topic", "events", "--alerts-topic", "alerts",
                          "--dlq-topic", "dlq-gone", "--threads", "1", "--exit-at-end", "--status-interval", "0", NULL};
    expect_exit(run2, 2, "topic dlq-gone does not exist", NULL);
    sw_mockcluster_stop(m);
}

/* The command line: consumer properties with -X start run (its
 * consumers and its alert producer) without a configuration warning. */
static void test_run_without_confwarn(void **state) {
    (void)state;
    sw_mockcluster *m = start_events_and_alerts(2, 1);
    const char *run[] = {"run", "--brokers", sw_mockcluster_bootstraps(m), "--topic", "events", "--alerts-topic",
                         "alerts", "--group", "confwarn", "--threads", "1", "--exit-at-end", "--status-interval", "0",
                         "-X", "session.timeout.ms=6000", "-X", "auto.offset.reset=earliest", "-X", "linger.ms=5",
                         NULL};
    tu_result r = run_ok(run);
    assert_lacks(r.err, "CONFWARN");
    assert_lacks(r.err, "will be ignored");
    tu_result_free(&r);
    sw_mockcluster_stop(m);
}

static void test_user_key_bytes(void **state) {
    (void)state;
    sw_buf b = {0};
    sw_user_key(&b, "acme", 4, "00u1", 4);
    assert_int_equal(b.len, 9);
    assert_memory_equal(b.p, "acme\x1f" "00u1", 9);
    sw_buf_reset(&b);
    sw_user_key(&b, "", 0, "00u1", 4);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.p, "\x1f" "00u1", 5);
    /* Appends, and keeps every byte (NUL included). */
    sw_user_key(&b, "t", 1, "a\0b", 3);
    assert_int_equal(b.len, 10);
    assert_memory_equal(b.p, "\x1f" "00u1" "t\x1f" "a\0b", 10);
    sw_buf_free(&b);
}

/* ------------------------------------------------------------------ */
/* mock-broker                                                          */

static void test_mock_broker_command(void **state) {
    (void)state;
    const char *flags[] = {"--brokers N", "--topic NAME[:PARTITIONS]", "--help", "5 MB", "no CreateTopics API",
                           "--internal-partitions"};
    expect_help("mock-broker", flags, 6);
    const char *bad[] = {"mock-broker", "--topic", "bad/name", NULL};
    expect_exit(bad, 2, "a Kafka topic name", NULL);
    const char *bad2[] = {"mock-broker", "--topic", "t:0", NULL};
    expect_exit(bad2, 2, "1 to 10000 partitions", NULL);

    const char *argv[] = {"mock-broker", "--brokers", "2", "--topic", "events:3", "--topic", "alerts", NULL};
    int out;
    pid_t pid = spawn(argv, 1, &out);
    char line[256];
    size_t n = 0;
    for (double deadline = sw_mono_s() + 20; n < sizeof line - 1 && sw_mono_s() < deadline;) {
        struct pollfd p = {out, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0) continue;
        ssize_t got = read(out, line + n, 1);
        if (got <= 0 || line[n] == '\n') break;
        n++;
    }
    line[n] = '\0';
    close(out);
    assert_true(n > 0);
    assert_non_null(strstr(line, "127.0.0.1:"));
    assert_non_null(strchr(line, ',')); /* two brokers */

    /* A librdkafka client can use it: both topics exist as asked. */
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, client_conf(line), err, sizeof err);
    assert_non_null(rk);
    const struct rd_kafka_metadata *md = NULL;
    assert_int_equal(rd_kafka_metadata(rk, 1, NULL, &md, 10000), 0);
    assert_int_equal(md->broker_cnt, 2);
    int seen = 0;
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, "events") == 0) seen++, assert_int_equal(md->topics[i].partition_cnt, 3);
        if (strcmp(md->topics[i].topic, "alerts") == 0) seen++, assert_int_equal(md->topics[i].partition_cnt, 4);
    }
    assert_int_equal(seen, 2);
    rd_kafka_metadata_destroy(md);
    rd_kafka_destroy(rk);

    assert_int_equal(terminate(pid), 0);
}

/* ------------------------------------------------------------------ */
/* replay                                                               */

#define EV(seq, actor)                                                                              \
    "{\"seq\":" #seq ",\"eventType\":\"user.session.start\",\"organization\":{\"id\":\"acme\"},"      \
    "\"actor\":{\"id\":\"" actor "\"},\"authenticationContext\":{\"externalSessionId\":\"s" #seq "\"}," \
    "\"published\":\"2026-01-05T08:00:00.000Z\"}"

static void test_replay_keys_and_order(void **state) {
    (void)state;
    sw_mockcluster *m = start_mock("raw", 4);
    const char *brokers = sw_mockcluster_bootstraps(m);

    /* The array elements are separated the way Okta's API pages are not
     * (spaces), so that the split is seen to copy each element's own text. */
    const char *garbage = "this is {not json";
    const char *no_actor = "{\"seq\":9,\"eventType\":\"user.session.start\"}";
    const char *num_actor = "{\"seq\":10,\"actor\":{\"id\":42}}";
    const char *no_tenant = "{\"seq\":11,\"actor\":{\"id\":\"00u3\"}}";
    size_t big_len = 5000;
    char *big = malloc(big_len + 1);
    memset(big, 'x', big_len);
    const char *big_head = "{\"seq\":99,\"actor\":{\"id\":\"00u1\"},\"pad\":\"";
    memcpy(big, big_head, strlen(big_head));
    memcpy(big + big_len - 2, "\"}", 2);
    big[big_len] = '\0';
    sw_buf in = {0};
    sw_buf_puts(&in, "[ " EV(1, "00u1") " , " EV(2, "00u2") "," EV(3, "00u3") " ]\n");
    sw_buf_puts(&in, EV(4, "00u1") "\n");
    sw_buf_puts(&in, garbage);
    sw_buf_puts(&in, "\n" EV(5, "00u2") "\r\n");
    sw_buf_puts(&in, big);
    sw_buf_puts(&in, "\n\n" EV(6, "00u1") "\n" EV(7, "00u3") "\n");
    sw_buf_puts(&in, no_actor);
    sw_buf_putc(&in, '\n');
    sw_buf_puts(&in, num_actor);
    sw_buf_putc(&in, '\n');
    sw_buf_puts(&in, EV(8, "00u2") "\n");
    sw_buf_puts(&in, no_tenant); /* the last line needs no newline */
    const char *file = tu_write_temp(in.p, in.len);
    assert_non_null(file);

    const char *argv[] = {"replay", "--brokers", brokers, "--topic", "raw", "--tenant-field", "organization.id",
                          "--max-record-bytes", "4k", "--summary", "json", file, NULL};
    tu_result r = run_ok(argv);
    /* 11 records (the blank line is none), 11 events in the 9 that parse;
     * everything produced but the big one, 3 records without a key. */
    expect_counts(r.err, "records=11 events=11 produced=12 delivered=12 failed=0 unkeyed=3");
    assert_contains(r.err, "\"unkeyed_by\":{\"not_session_start\":0,\"wrong_dataset\":0,\"no_session_id\":0,"
                           "\"no_actor_id\":1,");
    assert_contains(r.err, "\"malformed_json\":1,\"too_large\":0,\"wrong_type\":1,");
    assert_contains(r.err, "\"rejected\":{\"malformed_json\":0,\"too_large\":1,");
    tu_result_free(&r);

    krecs k = consume_all(brokers, "raw");
    assert_int_equal(k.n, 12);
    /* Each user's records: one partition, file order, the element's own text. */
    long u1[] = {1, 4, 6}, u2[] = {2, 5, 8}, u3[] = {3, 7};
    assert_user(&k, "acme\x1f" "00u1", 9, u1, 3);
    assert_user(&k, "acme\x1f" "00u2", 9, u2, 3);
    assert_user(&k, "acme\x1f" "00u3", 9, u3, 2);
    long u3_no_tenant[] = {11};
    assert_user(&k, "\x1f" "00u3", 5, u3_no_tenant, 1);
    assert_non_null(find_value(&k, EV(1, "00u1")));
    assert_non_null(find_value(&k, EV(2, "00u2")));
    assert_non_null(find_value(&k, EV(3, "00u3")));
    assert_non_null(find_value(&k, EV(5, "00u2"))); /* CR dropped */
    /* The unkeyable records, whole and with a NULL key. */
    const char *unkeyed[] = {garbage, no_actor, num_actor};
    for (size_t i = 0; i < 3; i++) {
        const krec *g = find_value(&k, unkeyed[i]);
        assert_non_null(g);
        assert_false(g->has_key);
    }
    size_t keyless = 0;
    for (size_t i = 0; i < k.n; i++) keyless += !k.r[i].has_key;
    assert_int_equal(keyless, 3);
    /* The too-large record was not produced. */
    assert_int_equal(count_values(&k, "\"seq\":99"), 0);
    krecs_free(&k);

    /* The text summary says the same for people. */
    const char *argv2[] = {"replay", "--brokers", brokers, "--topic", "raw2", "--max-record-bytes", "4k", file, NULL};
    r = tu_run(argv2, NULL, 0);
    assert_int_equal(r.status, 0);
    assert_contains(r.err, "11 records read (11 events)");
    assert_contains(r.err, "12 produced to raw2, 12 delivered, 0 failed");
    assert_contains(r.err, "unkeyed 3 (produced with a NULL key): no_actor_id=1 malformed_json=1 wrong_type=1");
    assert_contains(r.err, "rejected too_large=1");
    tu_result_free(&r);

    sw_buf_free(&in);
    free(big);
    sw_mockcluster_stop(m);
}

/* An API page with elements that are not objects: replay produces each
 * element as a record of its own, the non-objects with a NULL key (counted
 * as unkeyed wrong_type), and the object keyed by its user. */
static void test_replay_non_object_elements(void **state) {
    (void)state;
    sw_mockcluster *m = start_mock("raw", 2);
    const char *brokers = sw_mockcluster_bootstraps(m);
    const char *file = tu_write_temp("[null, " EV(1, "00u1") " ,7]\n", strlen("[null, " EV(1, "00u1") " ,7]\n"));
    assert_non_null(file);
    const char *argv[] = {"replay", "--brokers", brokers, "--topic", "raw", "--tenant-field", "organization.id",
                          "--summary", "json", file, NULL};
    tu_result r = run_ok(argv);
    assert_int_equal(json_count(r.err, "records"), 1);
    assert_int_equal(json_count(r.err, "events"), 3);
    assert_int_equal(json_count(r.err, "produced"), 3);
    assert_int_equal(json_count(r.err, "unkeyed"), 2);
    assert_contains(r.err, "\"malformed_json\":0,\"too_large\":0,\"wrong_type\":2,");
    tu_result_free(&r);
    krecs k = consume_all(brokers, "raw");
    assert_int_equal(k.n, 3);
    const krec *a = find_value(&k, "null"), *b = find_value(&k, "7"), *c = find_value(&k, EV(1, "00u1"));
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_false(a->has_key);
    assert_false(b->has_key);
    assert_true(c->has_key);
    krecs_free(&k);
    sw_mockcluster_stop(m);
}

static void test_replay_usage_errors(void **state) {
    (void)state;
    const char *flags[] = {"--brokers", "-X KEY=VALUE", "--topic", "--tenant-field", "--tenant NAME", "--rate",
                           "--max-record-bytes", "--summary", "--help", "SESSIONWATCH_KAFKA_"};
    expect_help("replay", flags, sizeof flags / sizeof flags[0]);

    const char *cases[][8] = {
        {"replay", "--brokers", "h:1", NULL},                                   /* no --topic */
        {"replay", "--brokers", "h:1", "--topic", "t", "--rate", "0", NULL},    /* bad rate */
        {"replay", "--brokers", "h:1", "--topic", "t", "--window", "5m", NULL}, /* not a replay flag */
        {"replay", "--brokers", "h:1", "--topic", "t", "--summary", "xml", NULL},
    };
    const char *want[] = {"--topic is required", "--rate", "unknown option '--window'", "--summary"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_exit(cases[i], 2, want[i], NULL);
    const char *badtopic[] = {"replay", "--brokers", "h:1", "--topic", "no spaces", NULL};
    expect_exit(badtopic, 2, "--topic: 'no spaces' is not a Kafka topic name", NULL);
    const char *nofile[] = {"replay", "--brokers", "h:1", "--topic", "t", "/nonexistent/file", NULL};
    expect_exit(nofile, 1, "cannot open /nonexistent/file", NULL);
    const char *tenants[] = {"replay", "--brokers", "h:1", "--topic", "t", "--tenant=a", "--tenant-field=o", NULL};
    expect_exit(tenants, 2, "--tenant a and --tenant-field o exclude each other", NULL);
}

static void test_replay_rate_and_message_size(void **state) {
    (void)state;
    sw_mockcluster *m = start_mock("paced", 1);
    sw_buf in = {0};
    for (int i = 0; i < 20; i++) sw_buf_puts(&in, EV(1, "00u1") "\n");
    const char *file = tu_write_temp(in.p, in.len);
    const char *argv[] = {"replay", "--brokers", sw_mockcluster_bootstraps(m), "--topic", "paced", "--rate", "50",
                          "--summary", "json", file, NULL};
    tu_result r = run_ok(argv);
    /* Paced, every record is still produced and delivered, none lost.  (How
     * long pacing takes is timing, which tests never assert.) */
    assert_int_equal(json_count(r.err, "produced"), 20);
    assert_int_equal(json_count(r.err, "delivered"), 20);
    assert_int_equal(json_count(r.err, "failed"), 0);
    tu_result_free(&r);

    /* A record over message.max.bytes is rejected as too_large, not failed. */
    sw_buf_reset(&in);
    sw_buf_puts(&in, EV(1, "00u1") "\n{\"seq\":2,\"pad\":\"");
    for (int i = 0; i < 1500; i++) sw_buf_putc(&in, 'x');
    sw_buf_puts(&in, "\"}\n" EV(3, "00u1") "\n");
    file = tu_write_temp(in.p, in.len);
    const char *small[] = {"replay", "--brokers", sw_mockcluster_bootstraps(m), "--topic", "paced", "-X",
                           "message.max.bytes=1000", "--summary", "json", file, NULL};
    r = run_ok(small);
    assert_int_equal(json_count(r.err, "produced"), 2);
    assert_int_equal(json_count(r.err, "failed"), 0);
    assert_contains(r.err, "\"too_large\":1");
    assert_contains(r.err, "over message.max.bytes");
    tu_result_free(&r);
    sw_buf_free(&in);
    sw_mockcluster_stop(m);
}

static void test_replay_dead_broker_fails(void **state) {
    (void)state;
    const char *in = EV(1, "00u1") "\n" EV(2, "00u2") "\n";
    const char *argv[] = {"replay", "--brokers", "127.0.0.1:1", "--topic", "raw", "-X", "message.timeout.ms=1500",
                          "-X", "log_level=0", "--summary", "json", NULL};
    tu_result r = tu_run(argv, in, strlen(in)); /* gives up after message.timeout.ms (a hang: CTest's timeout) */
    assert_int_equal(r.status, 1);
    assert_int_equal(json_count(r.err, "produced"), 2);
    assert_int_equal(json_count(r.err, "delivered"), 0);
    assert_int_equal(json_count(r.err, "failed"), 2);
    assert_contains(r.err, "not delivered");
    assert_contains(r.err, "--brokers");
    tu_result_free(&r);
}

/* ------------------------------------------------------------------ */
/* gen --brokers                                                        */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_gen_to_kafka_matches_file(void **state) {
    (void)state;
    sw_mockcluster *m = start_mock("gen", 3);
    const char *brokers = sw_mockcluster_bootstraps(m);
    char out[64], truth1[64], truth2[64];
    snprintf(out, sizeof out, "%s", tu_write_temp("", 0));
    snprintf(truth1, sizeof truth1, "%s", tu_write_temp("", 0));
    snprintf(truth2, sizeof truth2, "%s", tu_write_temp("", 0));
    const char *common[] = {"--seed", "7", "--users", "40", "--tenants", "2", "--records", "600", "--attack-rate", "0.2"};
    const char *a1[16] = {"gen"}, *a2[20] = {"gen"};
    size_t n1 = 1, n2 = 1;
    for (size_t i = 0; i < 10; i++) a1[n1++] = a2[n2++] = common[i];
    a1[n1++] = "--out", a1[n1++] = out, a1[n1++] = "--truth", a1[n1++] = truth1;
    a2[n2++] = "--brokers", a2[n2++] = brokers, a2[n2++] = "--topic", a2[n2++] = "gen";
    a2[n2++] = "--truth", a2[n2++] = truth2, a2[n2++] = "--rate", a2[n2++] = "100000";
    tu_result r = tu_run(a1, NULL, 0);
    assert_int_equal(r.status, 0);
    tu_result_free(&r);
    r = run_ok(a2);
    assert_contains(r.err, "600 records");
    assert_contains(r.err, "600 produced to gen, 600 delivered, 0 failed");
    tu_result_free(&r);

    size_t flen = 0, t1len = 0, t2len = 0;
    char *file = tu_read_file(out, &flen), *t1 = tu_read_file(truth1, &t1len), *t2 = tu_read_file(truth2, &t2len);
    assert_non_null(file);
    assert_true(t1len > 0);
    assert_int_equal(t1len, t2len);
    assert_memory_equal(t1, t2, t1len);

    char **lines = calloc(700, sizeof *lines);
    size_t nl = 0;
    for (char *save = NULL, *l = strtok_r(file, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        assert_true(nl < 700);
        lines[nl++] = l;
    }
    assert_int_equal(nl, 600);
    krecs k = consume_all(brokers, "gen");
    assert_int_equal(k.n, nl);
    char **vals = calloc(k.n, sizeof *vals);
    for (size_t i = 0; i < k.n; i++) vals[i] = k.r[i].value;
    qsort(lines, nl, sizeof *lines, cmp_str);
    qsort(vals, k.n, sizeof *vals, cmp_str);
    for (size_t i = 0; i < nl; i++) assert_string_equal(vals[i], lines[i]);

    /* Every record is keyed tenant 0x1F actor id, read back from its value. */
    sw_parser *p = sw_parser_new(1 << 20);
    sw_event ev;
    for (size_t i = 0; i < k.n; i++) {
        size_t n = 0;
        assert_int_equal(sw_parser_extract(p, k.r[i].value, k.r[i].len, k.r[i].len, "tenant", &ev, 1, &n), SW_X_OK);
        assert_int_equal(ev.f[SW_F_TENANT].type, SW_STRING);
        assert_int_equal(ev.f[SW_F_ACTOR_ID].type, SW_STRING);
        sw_buf key = {0};
        sw_user_key(&key, ev.f[SW_F_TENANT].p, ev.f[SW_F_TENANT].n, ev.f[SW_F_ACTOR_ID].p, ev.f[SW_F_ACTOR_ID].n);
        assert_true(k.r[i].has_key);
        assert_int_equal(k.r[i].key_len, key.len);
        assert_memory_equal(k.r[i].key, key.p, key.len);
        sw_buf_free(&key);
    }
    sw_parser_free(p);
    free(vals);
    free(lines);
    krecs_free(&k);
    free(file);
    free(t1);
    free(t2);

    const char *conflict[] = {"gen", "--topic", "gen", "--out", out, NULL};
    expect_exit(conflict, 2, "exclude each other", NULL);
    const char *notopic[] = {"gen", "--brokers", brokers, NULL};
    expect_exit(notopic, 2, "need --topic", NULL);
    const char *flags[] = {"--topic TOPIC", "--rate N", "--brokers", "-X KEY=VALUE", "--out FILE", "--truth FILE"};
    expect_help("gen", flags, sizeof flags / sizeof flags[0]);
    sw_mockcluster_stop(m);
}

/* ------------------------------------------------------------------ */
/* repartition                                                          */

/* An eligible raw session start; seq is one digit (it is also the second). */
#define SS(seq, actor, result)                                                                         \
    "{\"seq\":" #seq ",\"eventType\":\"user.session.start\",\"actor\":{\"id\":\"" actor "\"},"          \
    "\"authenticationContext\":{\"externalSessionId\":\"s" #seq "\"},\"published\":\"2026-01-05T08:00:0" \
    #seq ".000Z\",\"outcome\":{\"result\":\"" result "\"}}"

/* gen's traffic and its truth into fresh temporary files (64 bytes each):
 * the traffic's text (to free). */
static char *gen_files(const char *seed, const char *users, const char *hours, const char *attack_rate, char *file,
                       char *truth) {
    snprintf(file, 64, "%s", tu_write_temp("", 0));
    snprintf(truth, 64, "%s", tu_write_temp("", 0));
    const char *gen[] = {"gen", "--seed", seed, "--users", users, "--hours", hours, "--attack-rate", attack_rate,
                         "--out", file, "--truth", truth, NULL};
    tu_result r = run_ok(gen);
    tu_result_free(&r);
    size_t len = 0;
    char *data = tu_read_file(file, &len);
    assert_non_null(data);
    return data;
}

/* `replay` file into topic "events", then one `run` member (consumer group
 * group, and the extra flags) to the end of it, alerts to "alerts": run's
 * result (exit 0, its --summary json on stderr; to free). */
static tu_result replay_then_run(const char *brokers, const char *file, const char *group, const char *const *extra) {
    const char *replay[] = {"replay", "--brokers", brokers, "--topic", "events", file, NULL};
    tu_result r = run_ok(replay);
    tu_result_free(&r);
    const char *argv[24] = {"run", "--brokers", brokers, "--topic", "events", "--alerts-topic", "alerts",
                            "--group", group, "--threads", "1", "--exit-at-end", "--status-interval", "0",
                            "--summary", "json"};
    size_t n = 16;
    for (; extra && *extra && n < 23; extra++) argv[n++] = *extra;
    assert_null(extra ? *extra : NULL);
    argv[n] = NULL;
    return run_ok(argv);
}

/* The alert ids of sc's alerts and of the alerts topic are the same set,
 * each once: how many. */
static size_t assert_same_ids(const char *brokers, const char *scan_out) {
    krecs k = consume_all(brokers, "alerts");
    size_t expect = tu_count(scan_out, "\"alert_id\"");
    if (k.n != expect) fail_msg("%zu alerts on the topic, scan printed %zu", k.n, expect);
    for (size_t i = 0; i < k.n; i++) {
        const char *id = strstr(k.r[i].value, "\"alert_id\":\"");
        assert_non_null(id);
        char want[64];
        snprintf(want, sizeof want, "\"alert_id\":\"%.32s\"", id + 12);
        assert_int_equal(tu_count(scan_out, want), 1);
        for (size_t j = 0; j < i; j++) assert_lacks(k.r[j].value, want);
    }
    krecs_free(&k);
    return expect;
}

/* The first end-to-end check: a scenario replayed into a topic (an
 * Okta API page among the lines, so replay splits it), consumed by `run`
 * worker, gives on the alerts topic exactly the alert_ids `scan` gives for
 * the same file: none missing, none extra.  (One member: a second one
 * joining while the first consumes would move partitions, and their
 * in-memory windows, mid-stream on a busy machine; test_run covers
 * several members, joined before the input arrives.) */
static void test_replay_then_run_equals_scan(void **state) {
    (void)state;
    sw_mockcluster *m = start_events_and_alerts(6, 2);
    const char *brokers = sw_mockcluster_bootstraps(m);
    char file[64], truth[64];
    char *data = gen_files("11", "200", "0.5", "0.1", file, truth);
    /* One more line: a page of the first two session starts of the file. */
    char *first = strstr(data, "\"eventType\":\"user.session.start\"");
    assert_non_null(first);
    while (first > data && first[-1] != '\n') first--;
    char *end1 = strchr(first, '\n');
    char *second = strstr(end1, "\"eventType\":\"user.session.start\"");
    assert_non_null(second);
    while (second[-1] != '\n') second--;
    char *end2 = strchr(second, '\n');
    FILE *f = fopen(file, "a");
    assert_non_null(f);
    fprintf(f, "[%.*s,%.*s]\n", (int)(end1 - first), first, (int)(end2 - second), second);
    fclose(f);
    free(data);

    const char *scan[] = {"scan", file, NULL};
    tu_result sc = run_ok(scan);
    tu_result r = replay_then_run(brokers, file, "e2e", NULL);
    long alerts = json_count(r.err, "alerts");
    tu_result_free(&r);

    /* Set equality of alert ids (each alert once: nothing was re-sent). */
    size_t expect = tu_count(sc.out, "\"alert_id\"");
    assert_true(expect >= 10);
    assert_int_equal(alerts, (long)expect);
    assert_int_equal(assert_same_ids(brokers, sc.out), expect);
    tu_result_free(&sc);
    sw_mockcluster_stop(m);
}

/* Issue 12.6: run judges lateness and the alert cap per (tenant,
 * partition), one engine per partition; scan --partitions N emulates that
 * exactly.  A generated file with its first sixth repeated at the end
 * (late events) and --max-alerts 1 (the cap bites): replayed into 6
 * partitions and consumed by run, it gives exactly scan --partitions 6's
 * alert ids, and more alerts than scan's per-tenant default. */
static void test_partitions_scan_equals_run(void **state) {
    (void)state;
    sw_mockcluster *m = start_events_and_alerts(6, 2);
    const char *brokers = sw_mockcluster_bootstraps(m);
    char file[64], truth[64];
    char *data = gen_files("21", "60", "2", "0.5", file, truth);
    size_t lines = tu_count(data, "\n"), cut = 0;
    for (size_t i = 0; i < lines / 6; i++) cut = (size_t)(strchr(data + cut, '\n') - data) + 1;
    FILE *f = fopen(file, "a");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, cut, f), cut);
    fclose(f);
    free(data);

    const char *scan6[] = {"scan", "--partitions", "6", "--max-alerts", "1", "--summary", "json", file, NULL};
    tu_result sc = run_ok(scan6);
    const char *scan1[] = {"scan", "--max-alerts", "1", "--summary", "json", file, NULL};
    tu_result sc1 = run_ok(scan1);
    long late = json_count(sc.err, "too_late"), alerts6 = json_count(sc.err, "alerts");
    assert_true(late > 20);
    assert_true(json_count(sc.err, "alerts_capped") > 20);
    assert_int_equal(json_count(sc1.err, "too_late"), late);
    assert_true(alerts6 > json_count(sc1.err, "alerts")); /* the cap is per partition in run */

    const char *max_alerts_1[] = {"--max-alerts", "1", NULL};
    tu_result r = replay_then_run(brokers, file, "parts", max_alerts_1);
    assert_int_equal(json_count(r.err, "alerts"), alerts6);
    assert_int_equal(json_count(r.err, "too_late"), late);
    assert_int_equal(json_count(r.err, "alerts_capped"), json_count(sc.err, "alerts_capped"));
    tu_result_free(&r);
    assert_same_ids(brokers, sc.out);
    tu_result_free(&sc);
    tu_result_free(&sc1);
    unlink(file);
    unlink(truth);
    sw_mockcluster_stop(m);
}

/* Issue 11.1 / 12.2 in run: three actors' records dated 9999-12-31 are
 * rejected too_early (never counted); three more dated an hour ahead of
 * the stream are eligible but cannot move the watermark (fewer than
 * SW_WM_ACTORS actors); the attack after them is found with the alert id
 * scan gives without any of them. */
static void test_run_future_records(void **state) {
    (void)state;
    sw_mockcluster *m = start_events_and_alerts(1, 1);
    const char *brokers = sw_mockcluster_bootstraps(m);
    static char clean[65536], forged[65536];
    size_t nc = 0, nf = 0;
    char line[1024], time[64];
    for (int mnt = 40; mnt <= 100; mnt += 10) /* background: 5 actors, 07:40 .. 08:40 */
        for (int a = 0; a < 5; a++) {
            char actor[16];
            snprintf(actor, sizeof actor, "00uB%d", a);
            snprintf(time, sizeof time, "2026-01-05T%02d:%02d:%02d.000Z", 7 + mnt / 60, mnt % 60, a);
            size_t k = tu_session_start(line, sizeof line, actor, "bg", time);
            memcpy(clean + nc, line, k), nc += k;
            memcpy(forged + nf, line, k), nf += k;
        }
    for (int a = 0; a < 3; a++) {
        char actor[16];
        snprintf(actor, sizeof actor, "00uF%d", a);
        size_t k = tu_session_start(line, sizeof line, actor, "f", "9999-12-31T23:59:59.999Z");
        memcpy(forged + nf, line, k), nf += k;
        snprintf(actor, sizeof actor, "00uH%d", a);
        k = tu_session_start(line, sizeof line, actor, "h", "2026-01-05T09:40:00.000Z");
        memcpy(forged + nf, line, k), nf += k;
    }
    const char *attack[] = {"2026-01-05T08:30:00.000Z", "2026-01-05T08:35:00.000Z", "2026-01-05T08:40:00.000Z"};
    for (int i = 0; i < 3; i++) {
        char sid[8];
        snprintf(sid, sizeof sid, "v%d", i);
        size_t k = tu_session_start(line, sizeof line, "00uV", sid, attack[i]);
        memcpy(clean + nc, line, k), nc += k;
        memcpy(forged + nf, line, k), nf += k;
    }
    char cfile[64], ffile[64];
    snprintf(cfile, sizeof cfile, "%s", tu_write_temp(clean, nc));
    snprintf(ffile, sizeof ffile, "%s", tu_write_temp(forged, nf));
    const char *scan[] = {"scan", cfile, NULL};
    tu_result sc = run_ok(scan);
    assert_int_equal(tu_count(sc.out, "\"alert_id\""), 1);

    tu_result r = replay_then_run(brokers, ffile, "future", NULL);
    expect_counts(r.err, "too_early=3 too_late=0 alerts=1");
    tu_result_free(&r);
    assert_same_ids(brokers, sc.out);
    tu_result_free(&sc);
    unlink(cfile);
    unlink(ffile);
    sw_mockcluster_stop(m);
}

/* The README's run command: `demo` finds every injected attack, alerts on
 * no one else, and every alert it printed reached the alerts topic. */
static void test_demo_finds_every_attack(void **state) {
    (void)state;
    const char *demo[] = {"demo", "--users", "300", "--attack-rate", "0.05", "--seed", "3", NULL};
    tu_result r = run_ok(demo);
    const char *sum = strstr(r.out, "sessionwatch demo: ");
    if (!sum) fail_msg("no closing summary in:\n%s", r.out);
    long records = 0, alerts = 0, on_topic = 0, found = 0, attacks = 0, missed = -1, extra = -1;
    assert_int_equal(sscanf(sum, "sessionwatch demo: %ld records, %ld alerts (%ld on topic okta-alerts), "
                                 "injected attacks found %ld of %ld, missed %ld; alerts on users not attacked: %ld",
                            &records, &alerts, &on_topic, &found, &attacks, &missed, &extra),
                     7);
    assert_int_equal(records, 12000);
    assert_int_equal(attacks, 15);
    assert_int_equal(found, attacks);
    assert_int_equal(missed, 0);
    assert_int_equal(extra, 0);
    assert_true(alerts >= attacks);
    assert_int_equal(on_topic, alerts);
    assert_int_equal((long)tu_count(r.out, "ALERT "), alerts);
    tu_result_free(&r);
}

/* A rule's summary line of demo --rules: its alerts, after checking that
 * its one positive case alerted and its one near miss did not. */
static long demo_rule_alerts(const char *per_rule, const char *name) {
    char want[200];
    snprintf(want, sizeof want, "\n  rule %s: ", name);
    const char *line = strstr(per_rule, want);
    if (!line) fail_msg("no summary line of %s in:\n%s", name, per_rule);
    long alerts = -1, found = -1, pos = -1, near_alerted = -1, near = -1;
    assert_int_equal(sscanf(line + strlen(want), "%ld alerts; positive cases found %ld of %ld, near misses "
                            "alerted %ld of %ld", &alerts, &found, &pos, &near_alerted, &near), 5);
    assert_true(alerts >= 1);
    assert_int_equal(pos, 1);
    assert_int_equal(found, 1);
    assert_int_equal(near, 1);
    assert_int_equal(near_alerted, 0);
    return alerts;
}

/* A key family's summary line of demo --rules (routed through its internal
 * topic <group>-by-<family> of 16 partitions; group NULL: any, as with
 * --state redis:// the run has a group of its own): its alerts; at least
 * one record went through the topic. */
static long demo_family_alerts(const char *out, const char *family, const char *group) {
    char want[400], tail[400];
    snprintf(want, sizeof want, "\n  family %s: internal topic ", family);
    snprintf(tail, sizeof tail, "-by-%s, 16 partitions, ", family);
    const char *line = strstr(out, want);
    if (!line) fail_msg("no summary line of family %s in:\n%s", family, out);
    const char *name = line + strlen(want), *end = strstr(name, tail);
    assert_non_null(end);
    assert_null(memchr(name, '\n', (size_t)(end - name)));
    if (group) {
        assert_int_equal(end - name, (long)strlen(group));
        assert_memory_equal(name, group, strlen(group));
    }
    long routed = -1, alerts = -1;
    assert_int_equal(sscanf(end + strlen(tail), "%ld records routed through it; %ld alerts", &routed, &alerts), 2);
    assert_true(routed >= 1);
    return alerts;
}

/* demo --rules with the project's example rules runs issue 15's whole
 * pipeline: every rule runs, the threshold rules of the three key families
 * (okta.actor.id, okta.actor.alternate_id, the device token hash) through
 * their internal topics, and each finds its positive case and not its
 * near miss; per key family, its alerts are its rules'.  state: --state;
 * group: the internal topics' prefix (NULL: any). */
static void demo_rules_case(const char *state, const char *group) {
    const char *demo[] = {"demo", "--rules", "deploy/rules", "--users", "200", "--hours", "0.5", "--seed", "3",
                          "--state", state, NULL};
    tu_result r = run_ok(demo);
    const char *per_rule = strstr(r.out, "sessionwatch demo: per rule");
    if (!per_rule) fail_msg("no per-rule summary in:\n%s", r.out);
    const char *const query[] = {"sessionwatch example: Okta MFA Factor Removed or Reset",
                                 "sessionwatch example: Okta Session Started Behind a Proxy"};
    /* The threshold rules, one per key family (families[i]). */
    const char *const threshold[] = {"Multiple Okta Sessions Detected for a Single User",
                                     "sessionwatch example: Repeated Okta Authentication Failures for a User",
                                     "sessionwatch example: Many Okta Users on One Device Token"};
    const char *const families[] = {"okta.actor.id", "okta.actor.alternate_id",
                                    "okta.debug_context.debug_data.dt_hash"};
    char alert[200];
    long query_alerts = 0;
    for (size_t i = 0; i < 2; i++) {
        long alerts = demo_rule_alerts(per_rule, query[i]);
        snprintf(alert, sizeof alert, "ALERT [%s] ", query[i]);
        assert_int_equal((long)tu_count(r.out, alert), alerts);
        query_alerts += alerts;
    }
    for (size_t i = 0; i < 3; i++) {
        long alerts = demo_rule_alerts(per_rule, threshold[i]);
        snprintf(alert, sizeof alert, "ALERT [%s] ", threshold[i]);
        assert_int_equal((long)tu_count(r.out, alert), alerts);
        assert_int_equal(demo_family_alerts(per_rule, families[i], group), alerts);
    }
    assert_int_equal(tu_count(per_rule, "\n  rule "), 5);
    assert_int_equal(tu_count(per_rule, "\n  family "), 3);
    char want[80];
    snprintf(want, sizeof want, "\n  query rules: read where the records arrive; %ld alerts\n", query_alerts);
    assert_contains(per_rule, want);
    assert_lacks(r.err, "rule refused");
    assert_non_null(strstr(r.out, "missed 0; alerts on users not attacked: 0"));
    tu_result_free(&r);
}

static void test_demo_rules(void **state) {
    (void)state;
    demo_rules_case("memory", "sessionwatch-demo");
}

/* The same with Redis state: the run has a group of its own, and the
 * demo waits for that group's commits (not the memory run's group). */
static void test_demo_rules_redis(void **state) {
    (void)state;
    tu_redis redis = {0};
    if (tu_redis_start(&redis, 0) != 0) {
        tu_redis_destroy(&redis);
        skip();
    }
    demo_rules_case(redis.url, NULL);
    tu_redis_destroy(&redis);
}

/* demo --rules --key-field okta.actor.id: that family is read where it
 * arrives (the demo's topic is keyed by it), the two others still go
 * through their internal topics; every rule finds its positive case. */
static void test_demo_rules_keyed(void **state) {
    (void)state;
    const char *demo[] = {"demo", "--rules", "deploy/rules", "--key-field", "okta.actor.id", "--users", "200",
                          "--hours", "0.5", "--seed", "3", NULL};
    tu_result r = run_ok(demo);
    const char *per_rule = strstr(r.out, "sessionwatch demo: per rule");
    if (!per_rule) fail_msg("no per-rule summary in:\n%s", r.out);
    long seed = demo_rule_alerts(per_rule, "Multiple Okta Sessions Detected for a Single User");
    char want[200];
    snprintf(want, sizeof want, "\n  family okta.actor.id: read where it arrives (the topic is keyed by "
             "--key-field); %ld alerts\n", seed);
    assert_contains(per_rule, want);
    const char *failures = "sessionwatch example: Repeated Okta Authentication Failures for a User";
    const char *tokens = "sessionwatch example: Many Okta Users on One Device Token";
    assert_int_equal(demo_family_alerts(per_rule, "okta.actor.alternate_id", "sessionwatch-demo"),
                     demo_rule_alerts(per_rule, failures));
    assert_int_equal(demo_family_alerts(per_rule, "okta.debug_context.debug_data.dt_hash", "sessionwatch-demo"),
                     demo_rule_alerts(per_rule, tokens));
    assert_int_equal(tu_count(per_rule, "\n  rule "), 5);
    assert_non_null(strstr(r.out, "missed 0; alerts on users not attacked: 0"));
    tu_result_free(&r);
}

static void test_repartition_keeps_eligible(void **state) {
    (void)state;
    /* All input in partition 0 (a defined order); partition 1 stays empty,
     * and --exit-at-end must still see the end of it. */
    sw_mockcluster *m = start_mock("okta-raw", 2);
    const char *brokers = sw_mockcluster_bootstraps(m);
    char err[256];
    assert_int_equal(sw_mockcluster_topic(m, "okta-events", 3, err, sizeof err), 0);
    const char *raw[] = {
        SS(1, "00u1", "SUCCESS"),                                                     /* eligible */
        "[" SS(2, "00u2", "SUCCESS") ","                                              /* an API page: eligible, */
        "{\"seq\":3,\"eventType\":\"user.authentication.sso\",\"actor\":{\"id\":\"00u2\"}},"  /* another type, */
        SS(4, "00u3", "SUCCESS") "," SS(5, "oktasystem", "SUCCESS") "]",              /* eligible, excluded */
        "{\"seq\":6,\"eventType\":\"policy.evaluate_sign_on\",\"actor\":{\"id\":\"00u1\"}}", /* prefiltered */
        "{\"eventType\":\"user.session.start\", broken",                               /* malformed */
        "{\"seq\":7,\"eventType\":\"user.session.start\",\"actor\":{\"id\":\"00u1\"},"
        "\"authenticationContext\":{\"externalSessionId\":\"s7\"},\"published\":\"yesterday\"}", /* bad time */
        "{\"seq\":8,\"eventType\":\"user.session.start\",\"actor\":{\"id\":\"00u1\"}}",    /* no session id */
        "{\"seq\":10,\"eventType\":\"user.session.start\",\"actor\":{\"id\":9},"
        "\"authenticationContext\":{\"externalSessionId\":\"s10\"}}",                     /* wrong type */
        SS(9, "00u1", "FAILURE"),                                                     /* eligible (seed) */
        "",                                                                           /* a tombstone */
    };
    produce_raw(brokers, "okta-raw", raw, sizeof raw / sizeof raw[0]);

    /* The mock makes a group that a member left wait session.timeout.ms - 1 s
     * before the next join; keep the rerun below quick. */
    const char *argv[] = {"repartition", "--brokers", brokers, "--topic", "okta-raw", "--output-topic",
                          "okta-events", "--exit-at-end", "--summary", "json", "-X", "session.timeout.ms=3000",
                          NULL};
    tu_result r = run_ok(argv);
    assert_int_equal(json_count(r.err, "records"), 9);
    assert_int_equal(json_count(r.err, "produced"), 4);
    assert_int_equal(json_count(r.err, "delivered"), 4);
    assert_int_equal(json_count(r.err, "unkeyed"), 0);
    assert_contains(r.err, "\"filtered\":{\"not_session_start\":3,\"wrong_dataset\":0,\"no_session_id\":1,"
                           "\"no_actor_id\":0,\"excluded_actor\":1,");
    assert_contains(r.err, "\"rejected\":{\"malformed_json\":1,\"too_large\":0,\"wrong_type\":1,"
                           "\"duplicate_key\":0,\"bad_time\":1,");
    tu_result_free(&r);

    krecs k = consume_all(brokers, "okta-events");
    assert_int_equal(k.n, 4);
    long u1[] = {1, 9}, u2[] = {2}, u3[] = {4};
    assert_user(&k, "\x1f" "00u1", 5, u1, 2);
    assert_user(&k, "\x1f" "00u2", 5, u2, 1);
    assert_user(&k, "\x1f" "00u3", 5, u3, 1);
    assert_non_null(find_value(&k, SS(2, "00u2", "SUCCESS")));
    assert_non_null(find_value(&k, SS(4, "00u3", "SUCCESS")));
    krecs_free(&k);

    /* The offsets were committed: the same group reads nothing again, and
     * the hardening flags apply (--require-success drops seq 9). */
    expect_exit(argv, 0, "\"records\":0,", NULL);
    const char *strict[] = {"repartition", "--brokers", brokers, "--topic", "okta-raw", "--output-topic",
                            "okta-strict", "--group", "strict", "--require-success", "--exit-at-end",
                            "--summary", "json", NULL};
    r = run_ok(strict);
    assert_int_equal(json_count(r.err, "produced"), 3);
    /* seq 7 has no outcome: not_success comes before its bad time. */
    assert_contains(r.err, "\"not_success\":2");
    assert_contains(r.err, "\"bad_time\":0");
    tu_result_free(&r);
    sw_mockcluster_stop(m);
}

static void test_repartition_usage(void **state) {
    (void)state;
    const char *flags[] = {"--brokers", "-X KEY=VALUE", "--topic RAW", "--output-topic", "--group",
                           "--exit-at-end", "--summary", "--help", "--require-success", "--time-field", "kafka"};
    expect_help("repartition", flags, sizeof flags / sizeof flags[0]);
    const char *same[] = {"repartition", "--brokers", "h:1", "--topic", "a", "--output-topic", "a", NULL};
    expect_exit(same, 2, "must differ", NULL);
    const char *missing[] = {"repartition", "--brokers", "h:1", "--topic", "a", NULL};
    expect_exit(missing, 2, "--output-topic are required", NULL);
    const char *group[] = {"repartition", "--topic", "a", "--output-topic", "b", "--group=", NULL};
    expect_exit(group, 2, "--group: a consumer group name cannot be empty", NULL);
    const char *tenants[] = {"repartition", "--brokers", "h:1", "--topic", "a", "--output-topic", "b",
                             "--tenant-field", "o", "--tenant", "a", NULL};
    expect_exit(tenants, 2, "exclude each other", NULL);
}

static void test_repartition_stops_on_sigterm(void **state) {
    (void)state;
    sw_mockcluster *m = start_mock("in", 1);
    const char *brokers = sw_mockcluster_bootstraps(m);
    char errs[256];
    assert_int_equal(sw_mockcluster_topic(m, "out", 1, errs, sizeof errs), 0);
    const char *argv[] = {"repartition", "--brokers", brokers, "--topic", "in", "--output-topic", "out", NULL};
    int err_fd;
    pid_t pid = spawn(argv, 2, &err_fd);
    /* It produces what arrives while it runs. */
    const char *ev[] = {SS(1, "00u1", "SUCCESS")};
    produce_raw(brokers, "in", ev, 1);
    rd_kafka_t *rk = NULL;
    assert_non_null(rk = rd_kafka_new(RD_KAFKA_PRODUCER, client_conf(brokers), errs, sizeof errs));
    int64_t lo = 0, hi = 0;
    for (double deadline = sw_mono_s() + 30; sw_mono_s() < deadline; usleep(100000))
        if (rd_kafka_query_watermark_offsets(rk, "out", 0, &lo, &hi, 1000) == 0 && hi >= 1) break;
    rd_kafka_destroy(rk);
    /* Its stderr is small (no debug logs), so the pipe cannot fill up. */
    assert_int_equal(terminate(pid), 0);
    char buf[16384];
    size_t n = 0;
    for (ssize_t got; n < sizeof buf - 1 && (got = read(err_fd, buf + n, sizeof buf - 1 - n)) > 0;) n += (size_t)got;
    close(err_fd);
    buf[n] = '\0';
    assert_int_equal(hi, 1);
    assert_contains(buf, "SIGTERM, stopped");
    assert_contains(buf, "1 produced to out, 1 delivered, 0 failed");
    sw_mockcluster_stop(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kafka_option_forms),
        cmocka_unit_test_teardown(test_conf_precedence, unset_env),
        cmocka_unit_test_teardown(test_conf_bad_property, unset_env),
        cmocka_unit_test_teardown(test_conf_secrets_masked, unset_env),
        cmocka_unit_test(test_secret_list_covers_librdkafkas),
        cmocka_unit_test_teardown(test_props_by_client_type, unset_env),
        cmocka_unit_test(test_run_without_confwarn),
        cmocka_unit_test(test_topic_state),
        cmocka_unit_test(test_run_missing_output_topic),
        cmocka_unit_test(test_user_key_bytes),
        cmocka_unit_test_teardown(test_mock_broker_command, kill_child),
        cmocka_unit_test(test_replay_usage_errors),
        cmocka_unit_test(test_replay_keys_and_order),
        cmocka_unit_test(test_replay_non_object_elements),
        cmocka_unit_test(test_replay_rate_and_message_size),
        cmocka_unit_test(test_replay_dead_broker_fails),
        cmocka_unit_test(test_gen_to_kafka_matches_file),
        cmocka_unit_test(test_replay_then_run_equals_scan),
        cmocka_unit_test(test_partitions_scan_equals_run),
        cmocka_unit_test(test_run_future_records),
        cmocka_unit_test(test_demo_finds_every_attack), cmocka_unit_test(test_demo_rules),
        cmocka_unit_test(test_demo_rules_keyed), cmocka_unit_test(test_demo_rules_redis),
        cmocka_unit_test(test_repartition_usage),
        cmocka_unit_test(test_repartition_keeps_eligible),
        cmocka_unit_test_teardown(test_repartition_stops_on_sigterm, kill_child),
    };
    if (getenv("SW_TEST_FILTER")) cmocka_set_test_filter(getenv("SW_TEST_FILTER")); /* one test, as test_run */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
