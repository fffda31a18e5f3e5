/* mockcluster.c -- see mockcluster.h.  Owns the mock cluster and the
 * producer handle librdkafka needs to host it.  That handle never produces:
 * it only keeps the cluster's bookkeeping, so it gets an empty configuration
 * with its log level lowered (it would otherwise warn that it has no
 * bootstrap servers).  Topic names are checked with Kafka's own rule,
 * because the mock accepts any bytes and a real broker would not. */
#include "mockcluster.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"

struct sw_mockcluster {
    rd_kafka_t *rk;
    rd_kafka_mock_cluster_t *mc;
};

sw_mockcluster *sw_mockcluster_start(int brokers, char *err, size_t errlen) {
    if (brokers < 1 || brokers > 64) {
        snprintf(err, errlen, "a mock cluster has 1 to 64 brokers, not %d", brokers);
        return NULL;
    }
    sw_mockcluster *m = calloc(1, sizeof *m);
    if (!m) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char why[512];
    if (rd_kafka_conf_set(conf, "log_level", "3", why, sizeof why) != RD_KAFKA_CONF_OK ||
        !(m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, why, sizeof why))) {
        snprintf(err, errlen, "cannot create the mock cluster's handle: librdkafka says: %s", why);
        rd_kafka_conf_destroy(conf);
        free(m);
        return NULL;
    }
    if (!(m->mc = rd_kafka_mock_cluster_new(m->rk, brokers))) {
        snprintf(err, errlen, "cannot start the mock cluster (no free loopback port or thread?)");
        rd_kafka_destroy(m->rk);
        free(m);
        return NULL;
    }
    return m;
}

int sw_mockcluster_topic(sw_mockcluster *m, const char *topic, int partitions, char *err, size_t errlen) {
    if (!sw_kafka_topic_name_ok(topic)) {
        snprintf(err, errlen, "'%.300s' is not a Kafka topic name (1 to 249 of A-Z a-z 0-9 . _ -)", topic);
        return -1;
    }
    if (partitions < 1 || partitions > 10000) {
        snprintf(err, errlen, "topic %s: %d partitions is not 1 to 10000", topic, partitions);
        return -1;
    }
    rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(m->mc, topic, partitions, 1);
    if (e) {
        snprintf(err, errlen, "cannot create topic %s: %s", topic, rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

const char *sw_mockcluster_bootstraps(const sw_mockcluster *m) {
    return rd_kafka_mock_cluster_bootstraps(m->mc);
}

rd_kafka_mock_cluster_t *sw_mockcluster_handle(sw_mockcluster *m) { return m->mc; }

void sw_mockcluster_stop(sw_mockcluster *m) {
    if (!m) return;
    rd_kafka_mock_cluster_destroy(m->mc);
    rd_kafka_destroy(m->rk);
    free(m);
}
