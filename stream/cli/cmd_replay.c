/* cmd_replay.c -- `sessionwatch replay`: NDJSON files into a Kafka topic,
 * one record per Okta event keyed by user, so that `run` sees a file the
 * way it would see live traffic.  Flags and the exit status only: the
 * produce path is keyed_producer.c, shared with `gen --brokers` and
 * `repartition`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "commands.h"
#include "kafka.h"
#include "keyed_producer.h"

static void usage(FILE *out) {
    fputs("Usage: sessionwatch replay --brokers HOST:PORT --topic TOPIC [OPTIONS] [FILE...]\n"
          "\n"
          "Produces NDJSON Okta records (raw LogEvents, ECS documents, EventBridge envelopes or\n"
          "JSON arrays of them, one per line) read from FILEs in order, or stdin when none is\n"
          "given or FILE is '-', to TOPIC: one Kafka record per event, keyed by user (tenant,\n"
          "0x1F, actor id) so that each user's events share a partition and keep the file's\n"
          "order.  An array line (an Okta API page) becomes one record per element.  A record\n"
          "that cannot be keyed (not JSON, no actor id string) is still produced, with no key,\n"
          "and counted.  A summary goes to stderr.\n"
          "\n"
          "  --topic TOPIC             topic to produce to (required)\n"
          "  --tenant-field PATH       dotted path of the tenant in each record, part of the key\n"
          "                            (e.g. organization.id); a missing tenant is \"\"\n"
          "  --tenant NAME             every record belongs to tenant NAME\n"
          "  --rate N                  produce at most about N records per second (default: as\n"
          "                            fast as the brokers take them)\n"
          "  --max-record-bytes SIZE   longer lines are rejected as too_large and not produced\n"
          "                            (default 1M, as scan; arrays over 1000 events too)\n"
          "  --summary text|json       summary format on stderr (default text)\n"
          "  -h, --help                this help\n"
          "\n", out);
    sw_cli_kafka_help(out);
    fputs("\nExit status: 0 when every input was read and every produced record was\n"
          "acknowledged (rejected and unkeyed records do not change it), 1 when an input\n"
          "cannot be read or any record failed, 2 on a usage error.\n", out);
}

/* The rule flags that mean something here. */
static int is_replay_rule_flag(const char *arg) {
    static const char *const names[] = {"--tenant-field", "--tenant", "--max-record-bytes"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(arg, names[i], n) == 0 && (arg[n] == '\0' || arg[n] == '=')) return 1;
    }
    return 0;
}

int sw_cmd_replay(int argc, char **argv) {
    sw_config cfg;
    sw_config_defaults(&cfg);
    sw_kafka_opts k = {0};
    sw_args a = {argc, argv, 1, "replay"};
    const char *topic = NULL, *summary = "text", *v;
    uint64_t rate = 0;
    int nfiles = 0, r;
    char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return 1;
    int status = 2;
    while (a.i < argc) {
        const char *arg = argv[a.i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            usage(stdout);
            status = 0;
            goto out;
        }
        if (is_replay_rule_flag(arg)) {
            if (sw_cli_rule_option(&cfg, &a, false) < 0) goto out;
        } else if ((r = sw_cli_kafka_option(&k, &a)) || (r = sw_cli_topic_option(&a, "--topic", &topic)) ||
                   (r = sw_arg_value(&a, "--summary", &summary))) {
            if (r < 0) goto out;
        } else if ((r = sw_arg_value(&a, "--rate", &v))) {
            if (r < 0) goto out;
            if (sw_parse_u64(v, 1, 1000000000, &rate) != 0) {
                sw_cli_error(a.cmd, "--rate: '%s' is not a count of records per second (1 to 10^9)", v);
                goto out;
            }
        } else if (arg[0] == '-' && arg[1] != '\0') {
            sw_cli_error(a.cmd, "unknown option '%s'", arg);
            goto out;
        } else {
            files[nfiles++] = argv[a.i++];
        }
    }
    if (sw_cli_rule_check(a.cmd, &cfg)) goto out;
    if (!topic) {
        sw_cli_error(a.cmd, "--topic is required: the topic to produce to");
        goto out;
    }
    if (strcmp(summary, "text") != 0 && strcmp(summary, "json") != 0) {
        sw_cli_error(a.cmd, "--summary: '%s' is not text or json", summary);
        goto out;
    }
    if (nfiles == 0) files[nfiles++] = "-";

    char err[1024];
    sw_kp *kp = sw_kp_new(&k, topic, &cfg, SW_KP_EVERY_EVENT, a.cmd, err, sizeof err);
    if (!kp) {
        fprintf(stderr, "sessionwatch replay: %s\n", err);
        status = 1;
        goto out;
    }
    sw_kp_set_rate(kp, rate);
    double t0 = sw_mono_s();
    status = 0;
    for (int i = 0; i < nfiles; i++) {
        int fd = sw_cli_open_input("replay", files[i]);
        if (fd < 0) {
            status = 1;
            continue;
        }
        int rc = sw_kp_lines(kp, fd);
        if (rc == -1) fprintf(stderr, "sessionwatch replay: cannot read %s: %s\n", files[i], strerror(errno));
        sw_cli_close_input(files[i], fd);
        if (rc != 0) status = 1;
        if (rc == -2) break; /* the producer failed fatally: said why already */
    }
    status = sw_kp_finish(kp, strcmp(summary, "json") == 0, t0, status);
out:
    free(files);
    return status;
}
