/* config.h -- the rule's parameters, shared read-only by every worker.
 *
 * Defaults are the seed rule's (Elastic rule 621e92b6-7e54-11ee-bdc0-
 * f661ea17fbcd v207): 3 distinct sessions within 35 minutes, 100 alerts per
 * 30-minute execution, no hardening.  Everything else is opt-in. */
#ifndef SW_CONFIG_H
#define SW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A number as a string literal, for usage texts and JSON built at compile
 * time from the one definition of a limit (SW_STR(SW_MAX_THREADS)). */
#define SW_STR_(x) #x
#define SW_STR(x) SW_STR_(x)

#define SW_MAX_PREFIXES 16
/* Upper limits of --window and --allowed-lateness: tenant and key state
 * is judged against W + L, and nothing real needs more than a week. */
#define SW_MAX_WINDOW_MS (7LL * 86400 * 1000)
#define SW_MAX_LATENESS_MS (7LL * 86400 * 1000)
/* run's --max-clock-skew: default and limits. */
#define SW_DEFAULT_CLOCK_SKEW_MS (5LL * 60 * 1000)
#define SW_MIN_CLOCK_SKEW_MS 1000LL
#define SW_MAX_CLOCK_SKEW_MS (24LL * 3600 * 1000)
/* run's --threads: group members in one process, at most this many. */
#define SW_MAX_THREADS 256
/* The TTL of a partition's state in Redis (checkpoint.h), refreshed by
 * every checkpoint: the window and the lateness it is judged against, and
 * an hour's margin for a worker that is slow to take over. */
#define SW_STATE_TTL_MARGIN_MS (3600LL * 1000)

typedef enum {
    SW_TIME_AUTO = 0,   /* raw: published; ECS: @timestamp */
    SW_TIME_INGESTED,   /* ECS event.ingested (the seed's timestamp override), else auto */
    SW_TIME_KAFKA       /* the Kafka message timestamp (stream only) */
} sw_time_field;

typedef struct {
    int64_t window_ms;         /* W: --window, 35m */
    uint32_t min_sessions;     /* N: --min-sessions, 3 */
    int64_t lateness_ms;       /* L: --allowed-lateness, 10m */
    uint32_t max_alerts;       /* per tenant per 30 min of event time; 0 = unlimited */
    sw_time_field time_field;
    const char *tenant_field;  /* dotted path, or NULL */
    const char *tenant;        /* fixed tenant, or NULL (then "" or the field) */
    const char *exclude_prefix[SW_MAX_PREFIXES];
    size_t n_exclude_prefix;   /* default: {"okta"} */
    bool exclude_prefix_given; /* the command line replaced the default list */
    bool exclude_case_insensitive;
    bool require_success;      /* hardening: outcome.result must be SUCCESS */
    bool exclude_unknown_actor;/* hardening: actor id "unknown" is not a user */
    size_t max_record_bytes;   /* 8 MiB: a 1000-event API page of events up to ~8 KB */
    uint64_t max_tracked_users;/* --max-tracked-users: per process; 0 = no limit */
    uint64_t max_tenants;      /* --max-tenants: per process; 0 = no limit */
    int64_t max_clock_skew_ms; /* run: events after clock + this are too_early; 0 = no bound (scan) */

    bool prefilter;            /* skip records that cannot be session starts */
} sw_config;

void sw_config_defaults(sw_config *c);

/* The default --state-ttl: W + L + SW_STATE_TTL_MARGIN_MS. */
static inline int64_t sw_state_ttl_default_ms(const sw_config *c) {
    return c->window_ms + c->lateness_ms + SW_STATE_TTL_MARGIN_MS;
}

#endif
