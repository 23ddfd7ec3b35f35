/*
 * What the files of the mqtt_test compartment share: mqtt_test.c holds
 * its connection, callbacks and steps, mqtt_aliases.c the steps that
 * count a series of publishes on the wire, mqtt_swap.c a session for
 * one server presented with another's capability.
 */
#ifndef SEALNET_TESTS_MQTT_TEST_H
#define SEALNET_TESTS_MQTT_TEST_H

#include <sealnet/sealnet.h>

#define T (10 * SEALNET_SECOND)

/* QoS 1 and 2 publishes the broker acknowledged, and QoS 0 publishes
 * sent ahead that MQTT did not take after all (on_ack). */
extern unsigned acks, ahead_refused;

/* "ok", or what the negative errno rc means. */
const char *said(int rc);

/* Publishes "<n>" to sealnet/test/NAME/qQOS, running the connection
 * while the messages kept here are at their bound. */
int publish_one(sealnet_mqtt_connection c, const char *name, int qos,
		unsigned n);

/* 500 QoS 0 publishes to one long topic, then 800 to topics whose
 * aliases change hands, each series' bytes left for the capture to count
 * (mqtt_aliases.c). */
void aliases(sealnet_mqtt_connection c);

/* Hands MQTT a TLS session made for another server and connects over it
 * with the credentialed capability `broker` (mqtt_swap.c). */
void swapped_session(const struct sealnet_declaration *broker);

#endif
