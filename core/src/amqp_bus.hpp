// Private: the rabbitmq-c-backed Bus (AMQP 0-9-1, RabbitMQ). Only make_bus() constructs it; no
// rabbitmq-c type leaks out. How it maps the Bus contract onto AMQP:
// - Topics are routing keys on amq.topic, mapped as RabbitMQ's MQTT plugin maps them (see
//   amqp_topics.hpp), so AMQP and MQTT-plugin clients interoperate.
// - One network thread owns the connection (rabbitmq-c is not thread-safe per connection);
//   publish()/subscribe() queue work for it and wake it through an eventfd it polls together
//   with the socket. It services heartbeats while idle and reconnects with back-off (100 ms up to
//   2 s), re-declaring its queue, bindings and consumer.
// - Publisher confirms: PublishDone fires on the broker's ack (ok) or nack. QoS 1 messages are
//   persistent (unless the URL says ?persistent=false: see amqp_endpoint.hpp for the latency
//   this costs on durable queues) and, if unconfirmed when a connection drops, sent again after
//   reconnecting (at least once); unconfirmed QoS 0 ones are reported failed. Buffered messages
//   survive reconnects. Rejected up front (PublishDone false, nothing sent): wildcard or over-long
//   topics, payloads over 1 MiB (broker-config/rabbitmq's max_message_size), oversized headers.
// - Deliveries are acknowledged only after the handler returned (at-least-once; a handler that
//   throws gets its message dropped with an error log rather than redelivered forever), in
//   batches (one basic.ack "multiple"). With BusOptions::manual_ack the handler's Message::ack
//   does it instead, from any thread: it leaves the delivery tag, stamped with the connection's
//   generation, in an inbox the network thread drains (amqp_acks.hpp); a tag of an earlier
//   connection names nothing and is dropped, so a late or second ack does nothing. Unacked
//   deliveries go back to the queue when the connection ends. Prefetch: 1,000 per consumer.
// - Queue: with a client id chosen by the caller (stable across restarts) the bus consumes from
//   the durable queue "snet-bus-<client id>", which keeps QoS 1 messages while the client is away
//   or the broker restarts (it expires after 24 h without a consumer, as the MQTT plugin's
//   mqtt-subscription-<id>qos1 queues do; two buses with the same id share it). That is what
//   BusOptions::persistent_session asks for (without a client id it cannot: warned, temporary
//   queue). Without a client id, a server-named exclusive queue that dies with the connection.
// - subscribe_shared(group, filter): the durable queue "snet-group-<group>" (not exclusive, same
//   24 h expiry), bound with the filter's key to amq.topic and consumed by every member on the
//   same channel as the own queue: the broker gives each message to one member and hands what a
//   vanished member had not acknowledged to another. All filters of a group bind that one queue.
// - Visible: connection losses, reconnects and consumer cancels (basic.cancel: queue deleted;
//   the bus reconnects, which declares it again) are logged at info/warn; dropped messages (the
//   handler threw, a delivery without a topic: published straight into a queue or with an empty
//   routing key, a publish refused as invalid or because the buffer is full) at warn/error. All
//   are counted as snet_bus_* in BusOptions::metrics (or in a registry of the bus's own).
// - Message.headers travel as AMQP headers (string values); scalar headers are read back as
//   text. Retained flags and the last will are MQTT features and have no effect here.
// - Routing modes: declare_exchange() makes a durable fanout or headers exchange (optionally
//   bound to amq.topic, so MQTT-plugin subscribers get its messages too), bind() binds the queue
//   to it with arguments (a headers match), publish_to() publishes there; all of it re-made after
//   a reconnect. publish_to() refuses an exchange this bus did not declare (amq.* excepted):
//   publishing to a missing exchange would close the channel.
// - BusOptions::report_unroutable: publishes are mandatory and carry their sequence number as
//   message-id, so a basic.return fails exactly that publish ("unroutable: ...").
#pragma once

#include <memory>

#include "snet/bus.hpp"

namespace snet::detail {

/// `stable_client_id`: options.client_id was chosen by the caller (not generated), so the bus
/// keeps a durable queue named after it. Throws std::invalid_argument on a bad URL.
std::unique_ptr<Bus> make_amqp_bus(const BusOptions& options, bool stable_client_id);

}  // namespace snet::detail
