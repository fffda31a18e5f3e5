/* main.c -- `sessionwatch SUBCOMMAND ...`: dispatch only, in the style of
 * kcat and redis-cli.  Each subcommand lives in its own cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "commands.h"

#define SW_VERSION "0.1.0"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"demo", sw_cmd_demo, "the whole pipeline on an embedded mock Kafka, with injected attacks"},
    {"scan", sw_cmd_scan, "run the rule over NDJSON files or stdin; alerts to stdout"},
    {"gen", sw_cmd_gen, "write deterministic synthetic Okta traffic with a ground-truth file"},
    {"run", sw_cmd_run, "run the rule as a Kafka consumer group; alerts to a topic"},
    {"mock-broker", sw_cmd_mock_broker, "run an in-memory Kafka (librdkafka's mock cluster) for demos and tests"},
    {"replay", sw_cmd_replay, "produce NDJSON files to a Kafka topic, one record per event keyed by user"},
    {"repartition", sw_cmd_repartition, "copy the events the rule can count from any topic, keyed by user"},
    {"state", sw_cmd_state, "inspect the window state checkpointed to Redis (state inspect)"},
    {"rules", sw_cmd_rules, "load Elastic rule TOML files and list each rule, loaded or refused (rules list)"},
    {"config", sw_cmd_config, "print run's effective settings: flags, environment, config file (config print)"},
};

static void usage(FILE *out) {
    fputs("sessionwatch " SW_VERSION " -- streaming detector of stolen Okta sessions\n"
          "(Elastic rule \"Multiple Okta Sessions Detected for a Single User\", T1550.004)\n\n"
          "Usage: sessionwatch COMMAND [OPTIONS]\n\nCommands:\n", out);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fputs("  version      print the version\n\n"
          "'sessionwatch COMMAND --help' documents every flag of a command.\n", out);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        puts("sessionwatch " SW_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "sessionwatch: unknown command '%s' (try 'sessionwatch --help')\n", cmd);
    return 2;
}
