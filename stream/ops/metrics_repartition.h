/* metrics_repartition.h -- what `repartition` exposes to Prometheus on
 * --metrics-addr, and when it is ready.  The command's loop publishes a
 * copy of these numbers after every batch (under its own mutex); the HTTP
 * thread renders the copy.  Names follow run's conventions (metrics.h):
 * sessionwatch_repartition_ prefix, _total for counters. */
#ifndef SW_METRICS_REPARTITION_H
#define SW_METRICS_REPARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "jsonw.h"
#include "rule.h"

typedef struct {
    uint64_t records;   /* input records consumed */
    uint64_t events;    /* events in the records that parsed */
    uint64_t produced;  /* events handed to the producer */
    uint64_t delivered; /* acknowledged by the brokers */
    uint64_t failed;    /* produce errors: refused or not delivered */
    uint64_t dropped[SW_VERDICT_COUNT]; /* not produced, by reason (filtered, rejected) */
    uint32_t assigned;  /* partitions held */
    bool joined;        /* the group has given this member an assignment (possibly empty) */
    bool producer_ok;   /* no fatal producer error, no record lost */
} sw_repartition_metrics;

/* Appends the Prometheus text exposition. */
void sw_repartition_metrics_render(sw_buf *out, const sw_repartition_metrics *m);
/* /readyz: ready once joined with a healthy producer; else why not in
 * *why.  200 or 503. */
int sw_repartition_ready(const sw_repartition_metrics *m, const char **why);

#endif
