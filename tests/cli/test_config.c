/* test_config.c -- pins where run's settings come from (stream/ops/settings.c,
 * `sessionwatch config print`): flag > environment > --config file >
 * default, each value's origin shown, switches from every source, the
 * [kafka] section as -X, secrets masked, and invalid values failing at
 * start with a message naming the setting and where it came from; and
 * that repartition, the other long-running command, has the same: its
 * settings from the environment and a [repartition] section (one file may
 * serve both commands), JSON logs, and /metrics, /healthz, /readyz on
 * --metrics-addr.  Black box: the binary, with the environment and files
 * the test sets up (and a mock Kafka cluster in this process). */
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
#include <unistd.h>

#include "mockcluster.h"
#include "testutil.h"

static const char *const VARS[] = {"SESSIONWATCH_TOPIC", "SESSIONWATCH_THREADS", "SESSIONWATCH_EXIT_AT_END",
                                   "SESSIONWATCH_BROKERS", "SESSIONWATCH_CONFIG", "SESSIONWATCH_KAFKA_SASL_PASSWORD",
                                   "SESSIONWATCH_KAFKA_SECURITY_PROTOCOL", "SESSIONWATCH_STATE",
                                   "SESSIONWATCH_REDIS_PASSWORD", "SESSIONWATCH_WINDOW", "SESSIONWATCH_TENANT",
                                   "SESSIONWATCH_TENANT_FIELD", "SESSIONWATCH_METRICS_ADDR",
                                   "SESSIONWATCH_LOG_FORMAT", "SESSIONWATCH_OUTPUT_TOPIC", "SESSIONWATCH_GROUP",
                                   NULL};

static int clean_env(void **state) {
    (void)state;
    for (const char *const *v = VARS; *v; v++) unsetenv(*v);
    return 0;
}

/* The line of `config print` output for key (from "key " to the newline). */
static char *line_of(const char *out, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\n%s ", key);
    const char *p = strstr(out, pat);
    if (!p) fail_msg("no line for %s in:\n%s", key, out);
    p++;
    const char *nl = strchr(p, '\n');
    size_t n = nl ? (size_t)(nl - p) : strlen(p);
    char *l = malloc(n + 1);
    memcpy(l, p, n);
    l[n] = '\0';
    return l;
}

/* The value and origin of key: "value ; origin" with the padding squeezed. */
static void expect_setting(const char *out, const char *key, const char *value, const char *origin) {
    char *l = line_of(out, key);
    char want_v[128], want_o[256];
    snprintf(want_v, sizeof want_v, "= %s ", value);
    snprintf(want_o, sizeof want_o, "; %s", origin);
    if (!strstr(l, want_v) || !strstr(l, want_o) || strcmp(strstr(l, want_o), want_o) != 0)
        fail_msg("%s: got '%s', want value '%s' from '%s'", key, l, value, origin);
    free(l);
}

static tu_result print(const char *const *argv) {
    tu_result r = tu_run(argv, NULL, 0);
    return r;
}

static void test_precedence(void **state) {
    (void)state;
    const char ini[] = "; a deployment's settings\n"
                       "[run]\n"
                       "topic = from-file\n"
                       "group = file-group\n"
                       "threads = 3\n"
                       "window = 40m\n"
                       "exit-at-end = yes\n"
                       "[kafka]\n"
                       "security.protocol = SSL\n"
                       "socket.timeout.ms = 9000\n";
    const char *path = tu_write_temp(ini, sizeof ini - 1);
    char file[64];
    snprintf(file, sizeof file, "%s", path);
    setenv("SESSIONWATCH_TOPIC", "from-env", 1);
    setenv("SESSIONWATCH_THREADS", "2", 1);
    setenv("SESSIONWATCH_BROKERS", "env-broker:9092", 1);
    setenv("SESSIONWATCH_KAFKA_SECURITY_PROTOCOL", "SASL_SSL", 1);
    const char *argv[] = {"config", "print", "--config", file, "--threads", "4", NULL};
    tu_result r = print(argv);
    if (r.status != 0) fail_msg("config print exited %d: %s", r.status, r.err);
    char origin[96];
    snprintf(origin, sizeof origin, "%s:3", file);
    expect_setting(r.out, "topic", "from-env", "SESSIONWATCH_TOPIC");  /* env beats file */
    expect_setting(r.out, "threads", "4", "flag");                      /* flag beats env and file */
    snprintf(origin, sizeof origin, "%s:4", file);
    expect_setting(r.out, "group", "file-group", origin);               /* file beats default */
    snprintf(origin, sizeof origin, "%s:6", file);
    expect_setting(r.out, "window", "40m", origin);
    snprintf(origin, sizeof origin, "%s:7", file);
    expect_setting(r.out, "exit-at-end", "true", origin);               /* a switch from the file */
    expect_setting(r.out, "alerts-topic", "okta-alerts", "default");
    expect_setting(r.out, "brokers", "env-broker:9092", "SESSIONWATCH_BROKERS");
    /* [kafka]: the file's property is kept unless the environment sets it. */
    assert_non_null(strstr(r.out, "socket.timeout.ms        = 9000                           ; for every client\n"));
    assert_null(strstr(r.out, "= SSL "));
    assert_non_null(strstr(r.out, "security.protocol        = SASL_SSL"));
    tu_result_free(&r);

    /* SESSIONWATCH_CONFIG names the file when --config is absent. */
    setenv("SESSIONWATCH_CONFIG", file, 1);
    unsetenv("SESSIONWATCH_TOPIC");
    const char *argv2[] = {"config", "print", NULL};
    r = print(argv2);
    assert_int_equal(r.status, 0);
    snprintf(origin, sizeof origin, "%s:3", file);
    expect_setting(r.out, "topic", "from-file", origin);
    tu_result_free(&r);
}

/* A switch set false outranks a lower source that set it true, and
 * config print says where the false came from; a flag still wins. */
static void test_switch_off(void **state) {
    (void)state;
    const char ini[] = "[run]\n"
                       "exit-at-end = yes\n"
                       "exit-at-end = on\n" /* twice in a row: both are dropped */
                       "no-prefilter = off\n"
                       "group = --exit-at-end\n"; /* a value that looks like the switch is still a value */
    const char *path = tu_write_temp(ini, sizeof ini - 1);
    char file[64], origin[96];
    snprintf(file, sizeof file, "%s", path);
    setenv("SESSIONWATCH_EXIT_AT_END", "false", 1);
    const char *argv[] = {"config", "print", "--brokers", "b:1", "--config", file, NULL};
    tu_result r = print(argv);
    if (r.status != 0) fail_msg("config print exited %d: %s", r.status, r.err);
    expect_setting(r.out, "exit-at-end", "false", "SESSIONWATCH_EXIT_AT_END"); /* env false beats file true */
    snprintf(origin, sizeof origin, "%s:4", file);
    expect_setting(r.out, "no-prefilter", "false", origin);
    snprintf(origin, sizeof origin, "%s:5", file);
    expect_setting(r.out, "group", "--exit-at-end", origin);
    tu_result_free(&r);

    const char *argv2[] = {"config", "print", "--brokers", "b:1", "--config", file, "--exit-at-end", NULL};
    r = print(argv2);
    assert_int_equal(r.status, 0);
    expect_setting(r.out, "exit-at-end", "true", "flag"); /* the flag beats the environment's false */
    tu_result_free(&r);

    setenv("SESSIONWATCH_EXIT_AT_END", "1", 1); /* env true over the file's true: the env is named */
    const char *argv3[] = {"config", "print", "--brokers", "b:1", "--config", file, NULL};
    r = print(argv3);
    assert_int_equal(r.status, 0);
    expect_setting(r.out, "exit-at-end", "true", "SESSIONWATCH_EXIT_AT_END");
    tu_result_free(&r);
}

static void test_secrets_masked(void **state) {
    (void)state;
    setenv("SESSIONWATCH_KAFKA_SASL_PASSWORD", "hunter2-kafka", 1);
    const char *argv[] = {"config", "print", "--brokers", "b:1", "--state", "redis://alice:hunter2-redis@cache:6380/1",
                          "-X", "ssl.key.password=hunter2-x", "-X", "sasl.jaas.config=password=hunter2-jaas",
                          "-X", "sasl.username=hunter2-user", "-X", "sasl.oauthbearer.extensions=k=hunter2-ext",
                          "-X", "security.protocol=SASL_SSL", NULL};
    tu_result r = print(argv);
    assert_int_equal(r.status, 0);
    assert_null(strstr(r.out, "hunter2"));
    assert_null(strstr(r.err, "hunter2"));
    expect_setting(r.out, "state", "redis://alice:***@cache:6380/1", "flag");
    assert_non_null(strstr(r.out, "sasl.password            = ***"));
    assert_non_null(strstr(r.out, "ssl.key.password         = ***"));
    assert_non_null(strstr(r.out, "sasl.jaas.config         = ***"));
    assert_non_null(strstr(r.out, "sasl.username            = ***"));
    assert_non_null(strstr(r.out, "sasl.oauthbearer.extensions = ***"));
    assert_non_null(strstr(r.out, "security.protocol        = SASL_SSL")); /* not a secret: shown */
    /* Which client each property goes to. */
    assert_non_null(strstr(r.out, "security.protocol        = SASL_SSL                       ; for every client"));
    assert_non_null(strstr(r.out, "sasl.jaas.config         = ***                            ; for every client "
                                  "(librdkafka does not list it)"));
    assert_non_null(strstr(r.out, "; redis password: set (masked)"));
    tu_result_free(&r);
}

/* Invalid values fail at start (exit 2) naming the setting and its origin. */
static void test_invalid_values(void **state) {
    (void)state;
    struct {
        const char *env, *env_value, *file;
        const char *const argv[8];
        const char *want[3];
    } cases[] = {
        {"SESSIONWATCH_THREADS", "lots", NULL, {"config", "print", "--brokers", "b:1", NULL},
         {"--threads: 'lots' is not a count", "(that value comes from SESSIONWATCH_THREADS)", NULL}},
        {"SESSIONWATCH_EXIT_AT_END", "maybe", NULL, {"config", "print", "--brokers", "b:1", NULL},
         {"SESSIONWATCH_EXIT_AT_END='maybe' is not true or false", NULL, NULL}},
        {NULL, NULL, "[run]\ncheckpoint-interval = soon\n", {"config", "print", "--brokers", "b:1", NULL},
         {"--checkpoint-interval: 'soon' is not a duration", ":2)", NULL}},
        {NULL, NULL, "[run]\nwindow = 3q\n", {"run", "--brokers", "b:1", NULL},
         {"--window: '3q'", ":2)", NULL}},
        {NULL, NULL, "[run]\ncolour = blue\n", {"config", "print", NULL},
         {":2: 'colour' is not a setting of run", NULL, NULL}},
        {NULL, NULL, "[scan]\ntopic = x\n", {"config", "print", NULL},
         {"section [scan] is not [run] or [kafka]", NULL, NULL}},
        {NULL, NULL, "[run]\nthis line is not INI\n", {"config", "print", NULL}, {"not INI", NULL, NULL}},
        {NULL, NULL, NULL, {"config", "print", "--brokers", "b:1", "--log-format", "yaml", NULL},
         {"--log-format: 'yaml' is not text or json", NULL, NULL}},
        {NULL, NULL, NULL, {"config", "print", "--brokers", "b:1", "--metrics-addr", "9400", NULL},
         {"--metrics-addr: '9400' is not HOST:PORT", NULL, NULL}},
        {NULL, NULL, NULL, {"config", "print", "--config", "/nonexistent/sw.ini", NULL},
         {"--config: cannot read /nonexistent/sw.ini", NULL, NULL}},
        {NULL, NULL, NULL, {"config", "frobnicate", NULL}, {"unknown subcommand 'frobnicate'", NULL, NULL}},
        /* --tenant and --tenant-field together, from any mix of sources:
         * refused, naming where each came from. */
        {NULL, NULL, NULL, {"run", "--brokers", "b:1", "--tenant", "acme", "--tenant-field", "org.id", NULL},
         {"--tenant acme and --tenant-field org.id exclude each other", "not both", NULL}},
        {"SESSIONWATCH_TENANT", "acme", NULL, {"config", "print", "--brokers", "b:1", "--tenant-field", "org.id", NULL},
         {"exclude each other", "(that value comes from SESSIONWATCH_TENANT)", NULL}},
        {"SESSIONWATCH_TENANT_FIELD", "org.id", "[run]\ntenant = acme\n", {"run", "--brokers", "b:1", NULL},
         {"exclude each other", ":2)", "(that value comes from SESSIONWATCH_TENANT_FIELD)"}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clean_env(NULL);
        if (cases[i].env) setenv(cases[i].env, cases[i].env_value, 1);
        const char *argv[12];
        size_t n = 0;
        for (; cases[i].argv[n]; n++) argv[n] = cases[i].argv[n];
        char file[64];
        if (cases[i].file) {
            snprintf(file, sizeof file, "%s", tu_write_temp(cases[i].file, strlen(cases[i].file)));
            argv[n++] = "--config";
            argv[n++] = file;
        }
        argv[n] = NULL;
        tu_result r = tu_run(argv, NULL, 0);
        if (r.status != 2) fail_msg("case %zu: exit %d, want 2; stderr: %s", i, r.status, r.err);
        for (int k = 0; k < 3 && cases[i].want[k]; k++)
            if (!strstr(r.err, cases[i].want[k]))
                fail_msg("case %zu: no '%s' in stderr:\n%s", i, cases[i].want[k], r.err);
        assert_int_equal(r.out_len, 0);
        tu_result_free(&r);
    }
}

/* run --help documents the new flags and the environment convention. */
static void test_help(void **state) {
    (void)state;
    const char *argv[] = {"run", "--help", NULL};
    tu_result r = tu_run(argv, NULL, 0);
    assert_int_equal(r.status, 0);
    const char *want[] = {"--metrics-addr HOST:PORT", "--log-format text|json", "--log-level L", "--config FILE",
                          "SESSIONWATCH_<FLAG>", "Precedence: flag > environment > --config file > default"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(r.out, want[i])) fail_msg("run --help lacks '%s'", want[i]);
    tu_result_free(&r);
}


/* ---- repartition ----------------------------------------------------------- */

/* repartition reads the environment and its own section of a file that
 * also holds run's; config print repartition shows where each came from. */
static void test_repartition_settings(void **state) {
    (void)state;
    const char ini[] = "[run]\n"
                       "topic = okta-events\n"
                       "[repartition]\n"
                       "topic = okta-raw\n"
                       "output-topic = from-file\n"
                       "log-format = json\n"
                       "exclude-prefix = svc-\n"
                       "[kafka]\n"
                       "socket.timeout.ms = 9000\n";
    char file[64], origin[192];
    snprintf(file, sizeof file, "%s", tu_write_temp(ini, sizeof ini - 1));
    setenv("SESSIONWATCH_OUTPUT_TOPIC", "okta-events", 1);
    setenv("SESSIONWATCH_METRICS_ADDR", "0.0.0.0:9401", 1);
    const char *argv[] = {"config", "print", "repartition", "--config", file, "--brokers", "b:1",
                          "--exclude-prefix", "bot-", NULL};
    tu_result r = print(argv);
    if (r.status != 0) fail_msg("config print repartition exited %d: %s", r.status, r.err);
    assert_non_null(strstr(r.out, "[repartition]\n"));
    snprintf(origin, sizeof origin, "%s:4", file);
    expect_setting(r.out, "topic", "okta-raw", origin);                           /* not [run]'s */
    expect_setting(r.out, "output-topic", "okta-events", "SESSIONWATCH_OUTPUT_TOPIC"); /* env beats file */
    expect_setting(r.out, "metrics-addr", "0.0.0.0:9401", "SESSIONWATCH_METRICS_ADDR");
    snprintf(origin, sizeof origin, "%s:6", file);
    expect_setting(r.out, "log-format", "json", origin);
    expect_setting(r.out, "group", "sessionwatch-repartition", "default");
    expect_setting(r.out, "brokers", "b:1", "flag");
    /* Repeatable: the file's prefix and the flag's accumulate. */
    snprintf(origin, sizeof origin, "exclude-prefix           = svc-                           ; %s:7\n", file);
    assert_non_null(strstr(r.out, origin));
    assert_non_null(strstr(r.out, "exclude-prefix           = bot-                           ; flag\n"));
    assert_non_null(strstr(r.out, "socket.timeout.ms        = 9000"));
    tu_result_free(&r);

    /* The same file serves run, which skips [repartition]. */
    const char *run_argv[] = {"config", "print", "--config", file, "--brokers", "b:1", NULL};
    r = print(run_argv);
    if (r.status != 0) fail_msg("config print exited %d: %s", r.status, r.err);
    snprintf(origin, sizeof origin, "%s:2", file);
    expect_setting(r.out, "topic", "okta-events", origin);
    tu_result_free(&r);
}

/* repartition's invalid values fail at start (exit 2) naming the origin. */
static void test_repartition_invalid_values(void **state) {
    (void)state;
    struct {
        const char *env, *env_value;
        const char *const argv[10];
        const char *want[2];
    } cases[] = {
        {"SESSIONWATCH_LOG_FORMAT", "yaml", {"repartition", "--topic", "a", "--output-topic", "b", NULL},
         {"--log-format: 'yaml' is not text or json", "(that value comes from SESSIONWATCH_LOG_FORMAT)"}},
        {NULL, NULL, {"repartition", "--topic", "a", "--output-topic", "b", "--metrics-addr", "9400", NULL},
         {"--metrics-addr: '9400' is not HOST:PORT", NULL}},
        {"SESSIONWATCH_GROUP", "", {"repartition", "--topic", "a", "--output-topic", "b", NULL},
         {"--group: a consumer group name cannot be empty", "(that value comes from SESSIONWATCH_GROUP)"}},
        {"SESSIONWATCH_OUTPUT_TOPIC", "a b", {"repartition", "--topic", "a", NULL},
         {"--output-topic: 'a b' is not a Kafka topic name", "(that value comes from SESSIONWATCH_OUTPUT_TOPIC)"}},
        {NULL, NULL, {"config", "print", "repartition", "--output-topic", "b", NULL},
         {"--topic and --output-topic are required", NULL}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        clean_env(NULL);
        if (cases[i].env) setenv(cases[i].env, cases[i].env_value, 1);
        tu_result r = tu_run(cases[i].argv, NULL, 0);
        if (r.status != 2) fail_msg("case %zu: exit %d, want 2; stderr: %s", i, r.status, r.err);
        for (int k = 0; k < 2 && cases[i].want[k]; k++)
            if (!strstr(r.err, cases[i].want[k]))
                fail_msg("case %zu: no '%s' in stderr:\n%s", i, cases[i].want[k], r.err);
        tu_result_free(&r);
    }
}

static pid_t child;

static int kill_child(void **state) {
    (void)state;
    if (child > 0) {
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        child = 0;
    }
    return clean_env(NULL);
}

/* Starts the binary with argv (without argv[0]), its stderr on *err_fd
 * (non-blocking). */
static pid_t spawn_err(const char *const *argv, int *err_fd) {
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        const char *args[32] = {SW_BINARY};
        for (size_t i = 0; argv[i] && i < 30; i++) args[i + 1] = argv[i];
        execv(SW_BINARY, (char *const *)args);
        _exit(127);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    *err_fd = p[0];
    return child = pid;
}

/* Appends what fd has to buf (NUL-terminated) until it holds needle (at
 * most 60 s): the position of needle, or NULL. */
static const char *read_until(int fd, char *buf, size_t cap, size_t *len, const char *needle) {
    for (int i = 0; i < 600; i++) {
        const char *at = strstr(buf, needle);
        if (at) return at;
        struct pollfd pf = {fd, POLLIN, 0};
        if (poll(&pf, 1, 100) > 0) {
            ssize_t n = read(fd, buf + *len, cap - 1 - *len);
            if (n > 0) *len += (size_t)n;
            buf[*len] = '\0';
        }
    }
    return NULL;
}

/* repartition as a service: settings from the environment, JSON logs,
 * /metrics counting what it read, produced and dropped, /healthz, /readyz
 * once it has joined, and a clean stop on SIGTERM. */
static void test_repartition_metrics_and_health(void **state) {
    (void)state;
    char err[256];
    sw_mockcluster *m = sw_mockcluster_start(1, err, sizeof err);
    if (!m) fail_msg("%s", err);
    assert_int_equal(sw_mockcluster_topic(m, "rp-in", 2, err, sizeof err), 0);
    assert_int_equal(sw_mockcluster_topic(m, "rp-out", 2, err, sizeof err), 0);
    const char *brokers = sw_mockcluster_bootstraps(m);
    const char input[] =
        "{\"eventType\":\"user.session.start\",\"actor\":{\"id\":\"00u1\"},"
        "\"authenticationContext\":{\"externalSessionId\":\"s1\"},\"published\":\"2024-01-01T00:00:00Z\"}\n"
        "{\"eventType\":\"user.authentication.sso\",\"actor\":{\"id\":\"00u2\"}}\n"
        "{\"eventType\":\"user.session.start\", broken}\n";
    const char *replay[] = {"replay", "--brokers", brokers, "--topic", "rp-in", NULL};
    tu_result r = tu_run(replay, input, sizeof input - 1);
    if (r.status != 0) fail_msg("replay exited %d: %s", r.status, r.err);
    tu_result_free(&r);

    setenv("SESSIONWATCH_METRICS_ADDR", "127.0.0.1:0", 1);
    setenv("SESSIONWATCH_LOG_FORMAT", "json", 1);
    setenv("SESSIONWATCH_OUTPUT_TOPIC", "rp-out", 1);
    const char *argv[] = {"repartition", "--brokers", brokers, "--topic", "rp-in", "-X", "session.timeout.ms=6000",
                          NULL};
    int fd;
    pid_t pid = spawn_err(argv, &fd);
    static char log[65536];
    size_t len = 0;
    log[0] = '\0';
    const char *at = read_until(fd, log, sizeof log, &len, "\"msg\":\"metrics and health on port ");
    if (!at) fail_msg("no port in the log:\n%s", log);
    assert_true(strncmp(log, "{\"ts\":\"", 7) == 0); /* JSON lines from the first */
    int port = atoi(at + strlen("\"msg\":\"metrics and health on port "));
    assert_true(port > 0);

    free(tu_http_get_until(port, "/healthz", 200, "ok"));
    free(tu_http_get_until(port, "/readyz", 200, "ready"));
    /* The copy is published after each batch is flushed: once it counts
     * every record, it counts their deliveries too. */
    char *body = tu_http_get_until(port, "/metrics", 200, "\nsessionwatch_repartition_records_total 3\n");
    assert_contains_all(body,
                        "# TYPE sessionwatch_repartition_records_total counter\n",
                        "\nsessionwatch_repartition_delivered_total 1\n",
                        "\nsessionwatch_repartition_produced_total 1\n",
                        "\nsessionwatch_repartition_produce_errors_total 0\n",
                        "\nsessionwatch_repartition_filtered_total{reason=\"not_session_start\"} 1\n",
                        "\nsessionwatch_repartition_rejected_total{reason=\"malformed_json\"} 1\n",
                        "\nsessionwatch_repartition_assigned_partitions 2\n");
    free(body);
    free(tu_http_get_until(port, "/nope", 404, "not found"));

    assert_int_equal(kill(pid, SIGTERM), 0);
    int st = 0;
    for (int i = 0; i < 600 && waitpid(pid, &st, WNOHANG) == 0; i++) usleep(50000);
    child = 0;
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    read_until(fd, log, sizeof log, &len, "\"msg\":\"SIGTERM, stopped\"");
    assert_non_null(strstr(log, "{\"ts\":\""));
    assert_non_null(strstr(log, "\"level\":\"info\",\"cmd\":\"repartition\",\"msg\":\"SIGTERM, stopped\"}"));
    close(fd);
    sw_mockcluster_stop(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_precedence, clean_env),
        cmocka_unit_test_setup(test_switch_off, clean_env),
        cmocka_unit_test_setup(test_secrets_masked, clean_env),
        cmocka_unit_test_setup(test_invalid_values, clean_env),
        cmocka_unit_test_setup(test_help, clean_env),
        cmocka_unit_test_setup(test_repartition_settings, clean_env),
        cmocka_unit_test_setup(test_repartition_invalid_values, clean_env),
        cmocka_unit_test_setup_teardown(test_repartition_metrics_and_health, clean_env, kill_child),
    };
    return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
