/* cmd_mock_broker.c -- `sessionwatch mock-broker`: librdkafka's mock
 * cluster as a throwaway Kafka for demos and tests, no JVM needed.  It
 * creates only the --topic topics: `run --rules` creates its internal
 * topics itself, through the mock's first-use creation (itopics.h), so
 * that mock-broker needs to know no group or rule.  The
 * bootstrap address is the first line of stdout so that a script can read
 * it (`read -r BROKERS < <(sessionwatch mock-broker ...)`); everything for
 * people goes to stderr.  SIGINT and SIGTERM are blocked before librdkafka
 * starts its threads (they inherit the mask) and taken with sigwait(), so
 * no handler runs on a librdkafka thread and no signal is lost. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "kafka.h"
#include "mockcluster.h"

#define DEFAULT_PARTITIONS 4

static void usage(FILE *out) {
    fputs("Usage: sessionwatch mock-broker [--brokers N] [--topic NAME[:PARTITIONS] ...]\n"
          "\n"
          "Runs librdkafka's built-in mock Kafka cluster on 127.0.0.1 until SIGINT or SIGTERM\n"
          "(then exits 0).  The first line of stdout is the bootstrap address to pass to\n"
          "--brokers; a line for people goes to stderr.  Consumer groups, offset commits and\n"
          "the idempotent producer work; data lives in memory only.\n"
          "\n"
          "  --brokers N               number of brokers, 1 to 64 (default 1)\n"
          "  --topic NAME[:PARTITIONS] create topic NAME with PARTITIONS partitions (default 4);\n"
          "                            repeatable.  Topics a client asks for are also created on\n"
          "                            first use, with 4 partitions\n"
          "  -h, --help                this help\n"
          "\n"
          "The mock has no CreateTopics API: `run --rules` gets its internal topics\n"
          "(GROUP-by-FIELD[-FIELD..]) through that first-use creation, so with 4 partitions,\n"
          "and keeps that count unless --internal-partitions asks for another.  To choose the\n"
          "count, create them here first, e.g. --topic G-by-okta.actor.id:8.\n"
          "\n"
          "Limits: the mock keeps only about 5 MB per partition and deletes older records;\n"
          "pace big producers (replay --rate) or use more partitions.  Once a member has left a\n"
          "consumer group, the next join waits the members' session.timeout.ms minus 1 s (45 s\n"
          "by default): give consumers -X session.timeout.ms=6000 for quick restarts.\n"
          "Not for production.\n", out);
}

typedef struct {
    char name[256];
    int partitions;
} topic_spec;

static int parse_topic(const char *v, topic_spec *t) {
    const char *colon = strchr(v, ':');
    size_t n = colon ? (size_t)(colon - v) : strlen(v);
    uint64_t parts = DEFAULT_PARTITIONS;
    if (n == 0 || n >= sizeof t->name) return -1;
    if (colon && sw_parse_u64(colon + 1, 1, 10000, &parts) != 0) return -1;
    memcpy(t->name, v, n);
    t->name[n] = '\0';
    if (!sw_kafka_topic_name_ok(t->name)) return -1;
    t->partitions = (int)parts;
    return 0;
}

int sw_cmd_mock_broker(int argc, char **argv) {
    sw_args a = {argc, argv, 1, "mock-broker"};
    uint64_t brokers = 1;
    topic_spec *topics = calloc((size_t)argc, sizeof *topics);
    size_t ntopics = 0;
    if (!topics) return 1;
    int status = 2;
    while (a.i < argc) {
        const char *arg = argv[a.i], *v;
        int r;
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            free(topics);
            return 0;
        }
        if ((r = sw_arg_value(&a, "--brokers", &v))) {
            if (r < 0) goto out;
            if (sw_parse_u64(v, 1, 64, &brokers) != 0) {
                sw_cli_error(a.cmd, "--brokers: '%s' is not a count from 1 to 64", v);
                goto out;
            }
        } else if ((r = sw_arg_value(&a, "--topic", &v))) {
            if (r < 0) goto out;
            if (parse_topic(v, &topics[ntopics]) != 0) {
                sw_cli_error(a.cmd, "--topic: '%s' is not NAME or NAME:PARTITIONS (a Kafka topic name: 1 to 249 "
                             "of A-Z a-z 0-9 . _ -; 1 to 10000 partitions)", v);
                goto out;
            }
            ntopics++;
        } else {
            sw_cli_error(a.cmd, "unknown argument '%s'", arg);
            goto out;
        }
    }

    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);

    status = 1;
    char err[512];
    sw_mockcluster *m = sw_mockcluster_start((int)brokers, err, sizeof err);
    if (!m) {
        fprintf(stderr, "sessionwatch mock-broker: %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < ntopics; i++) {
        if (sw_mockcluster_topic(m, topics[i].name, topics[i].partitions, err, sizeof err) != 0) {
            fprintf(stderr, "sessionwatch mock-broker: --topic: %s\n", err);
            sw_mockcluster_stop(m);
            goto out;
        }
    }
    const char *boot = sw_mockcluster_bootstraps(m);
    if (printf("%s\n", boot) < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "sessionwatch mock-broker: cannot write the bootstrap address to stdout\n");
        sw_mockcluster_stop(m);
        goto out;
    }
    fprintf(stderr, "sessionwatch mock-broker: %d broker%s at %s, %zu topic%s created; "
            "about 5 MB kept per partition; Ctrl-C or SIGTERM stops it\n",
            (int)brokers, brokers == 1 ? "" : "s", boot, ntopics, ntopics == 1 ? "" : "s");
    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    fprintf(stderr, "sessionwatch mock-broker: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sw_mockcluster_stop(m);
    status = 0;
out:
    free(topics);
    return status;
}
