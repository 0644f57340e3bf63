// The AMQP bus's pure parts, no broker: topic <-> routing key mapping (as RabbitMQ's MQTT plugin
// does it), filter and topic checks, URL parsing, and rabbitmq-c replies -> AmqpError text.
#include <doctest/doctest.h>

#include <amqp.h>
#include <amqp_framing.h>

#include "amqp_endpoint.hpp"
#include "amqp_error.hpp"
#include "amqp_topics.hpp"

using namespace snet::detail;
using namespace std::chrono_literals;

TEST_CASE("MQTT topics and filters map to amq.topic routing and binding keys and back") {
  struct Row {
    const char* mqtt;
    const char* amqp;
  };
  const Row topics[] = {
      {"snet/t/cmd/lamp", "snet.t.cmd.lamp"}, {"a", "a"}, {"a//b", "a..b"}, {"/lead", ".lead"}};
  for (const auto& row : topics) {
    CAPTURE(row.mqtt);
    CHECK(routing_key_for_topic(row.mqtt) == row.amqp);
    CHECK(topic_for_routing_key(row.amqp) == row.mqtt);
  }
  const Row filters[] = {{"snet/t/cmd/+", "snet.t.cmd.*"},
                         {"snet/#", "snet.#"},
                         {"#", "#"},
                         {"+/+/state/+", "*.*.state.*"},
                         {"snet/t/cmd/lamp", "snet.t.cmd.lamp"}};
  for (const auto& row : filters) {
    CAPTURE(row.mqtt);
    CHECK(binding_key_for_filter(row.mqtt) == row.amqp);
  }
}

TEST_CASE("topics and filters the AMQP bus refuses, with the reason") {
  CHECK_FALSE(publish_topic_problem("snet/t/press/b"));
  CHECK(publish_topic_problem("")->find("empty") != std::string::npos);
  CHECK(publish_topic_problem("snet/+/press/b")->find("wildcard") != std::string::npos);
  CHECK(publish_topic_problem("snet/#")->find("wildcard") != std::string::npos);
  CHECK(publish_topic_problem(std::string(256, 'a'))->find("255") != std::string::npos);
  CHECK_FALSE(publish_topic_problem(std::string(255, 'a')));

  for (const char* ok : {"#", "+", "snet/+/cmd/#", "a/b", "+/+"}) {
    CAPTURE(ok);
    CHECK_FALSE(filter_problem(ok));
  }
  for (const char* bad : {"", "a/#/b", "a/b#", "a+/b", "snet/la+mp", "##"}) {
    CAPTURE(bad);
    CHECK(filter_problem(bad));
  }
  CHECK(filter_problem("a/#/b")->find("last level") != std::string::npos);
}

TEST_CASE("AMQP URLs: credentials, vhost, port and heartbeat") {
  const auto full = parse_amqp_url("amqp://snet:s%40cret@127.0.0.1:5999/snet?heartbeat=2", 20s);
  CHECK(full.host == "127.0.0.1");
  CHECK(full.port == 5999);
  CHECK(full.user == "snet");
  CHECK(full.password == "s@cret");
  CHECK(full.vhost == "snet");
  CHECK(full.heartbeat == 2s);
  CHECK(full.persistent);
  CHECK_FALSE(parse_amqp_url("amqp://h/v?heartbeat=5&persistent=false", 1s).persistent);
  CHECK(parse_amqp_url("amqp://h/v?persistent=1", 1s).persistent);
  CHECK_THROWS_WITH_AS(parse_amqp_url("amqp://h/v?persistent=maybe", 1s),
                       doctest::Contains("persistent 'maybe'"), std::invalid_argument);
  CHECK_FALSE(full.quorum_queues);
  CHECK(parse_amqp_url("amqp://h1:1,h2:2/v?queue-type=quorum", 1s).quorum_queues);
  CHECK_FALSE(parse_amqp_url("amqp://h/v?queue-type=classic", 1s).quorum_queues);
  CHECK_THROWS_WITH_AS(parse_amqp_url("amqp://h/v?queue-type=stream", 1s),
                       doctest::Contains("queue-type 'stream'"), std::invalid_argument);

  const auto plain = parse_amqp_url("amqp://localhost", 7s);
  CHECK(plain.port == 5672);
  CHECK(plain.user == "guest");
  CHECK(plain.password == "guest");
  CHECK(plain.vhost == "/");
  CHECK(plain.heartbeat == 7s);
  CHECK(parse_amqp_url("amqp://h/%2F", 1s).vhost == "/");
  CHECK(parse_amqp_url("amqp://h:1/", 1s).vhost == "/");
  CHECK(parse_amqp_url("amqp://h?heartbeat=0", 9s).heartbeat == 0s);

  CHECK_THROWS_WITH_AS(parse_amqp_url("amqp://h/v?heartbeat=soon", 1s),
                       doctest::Contains("heartbeat 'soon'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_amqp_url("amqp://h/v?frame=1", 1s),
                       doctest::Contains("unknown option 'frame'"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(parse_amqp_url("amqp://h/%zz", 1s), doctest::Contains("%-escape"),
                       std::invalid_argument);
  const auto secure = parse_amqp_url("amqps://h", 1s);  // TLS, on AMQPS's port
  CHECK(secure.tls);
  CHECK(secure.port == 5671);
  CHECK_FALSE(parse_amqp_url("amqp://h", 1s).tls);
  CHECK_THROWS_AS(parse_amqp_url("amqpx://h", 1s), std::invalid_argument);
  CHECK_THROWS_AS(parse_amqp_url("amqp://h:99999", 1s), std::invalid_argument);
}

TEST_CASE("every kind of rabbitmq-c reply becomes one AmqpError with readable text") {
  SUBCASE("library exception") {
    amqp_rpc_reply_t reply{};
    reply.reply_type = AMQP_RESPONSE_LIBRARY_EXCEPTION;
    reply.library_error = AMQP_STATUS_SOCKET_ERROR;
    const AmqpError e = amqp_error(reply, "connect to 127.0.0.1:1");
    CHECK(e.origin() == AmqpError::Origin::library);
    CHECK(e.code() == AMQP_STATUS_SOCKET_ERROR);
    CHECK(std::string(e.what()).find("connect to 127.0.0.1:1: ") == 0);
    CHECK(std::string(e.what()).find("socket error") != std::string::npos);
  }
  SUBCASE("server closes the connection") {
    amqp_connection_close_t close{};
    close.reply_code = 403;
    close.reply_text = amqp_cstring_bytes("ACCESS_REFUSED - Login was refused");
    close.class_id = 10;
    close.method_id = 11;  // connection.start-ok
    amqp_rpc_reply_t reply{};
    reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
    reply.reply.id = AMQP_CONNECTION_CLOSE_METHOD;
    reply.reply.decoded = &close;
    const AmqpError e = amqp_error(reply, "log in");
    CHECK(e.origin() == AmqpError::Origin::connection_closed);
    CHECK(e.code() == 403);
    CHECK(std::string(e.what()) ==
          "log in: the broker closed the connection: 403 ACCESS_REFUSED - Login was refused "
          "(in AMQP_CONNECTION_START_OK_METHOD)");
  }
  SUBCASE("server closes the channel") {
    amqp_channel_close_t close{};
    close.reply_code = 404;
    close.reply_text = amqp_cstring_bytes("NOT_FOUND - no exchange 'x' in vhost 'snet'");
    close.class_id = 60;
    close.method_id = 40;  // basic.publish
    amqp_rpc_reply_t reply{};
    reply.reply_type = AMQP_RESPONSE_SERVER_EXCEPTION;
    reply.reply.id = AMQP_CHANNEL_CLOSE_METHOD;
    reply.reply.decoded = &close;
    const AmqpError e = amqp_error(reply, "publish");
    CHECK(e.origin() == AmqpError::Origin::channel_closed);
    CHECK(e.code() == 404);
    CHECK(std::string(e.what()).find("closed the channel: 404 NOT_FOUND") != std::string::npos);
    CHECK(std::string(e.what()).find("AMQP_BASIC_PUBLISH_METHOD") != std::string::npos);
  }
  SUBCASE("no reply at all") {
    amqp_rpc_reply_t reply{};
    reply.reply_type = AMQP_RESPONSE_NONE;
    const AmqpError e = amqp_error(reply, "queue.bind");
    CHECK(e.origin() == AmqpError::Origin::no_reply);
    CHECK(std::string(e.what()).find("queue.bind: no reply") == 0);
  }
  SUBCASE("plain status codes, e.g. a missed heartbeat") {
    const AmqpError e = amqp_status_error(AMQP_STATUS_HEARTBEAT_TIMEOUT, "read from the broker");
    CHECK(e.origin() == AmqpError::Origin::library);
    CHECK(std::string(e.what()).find("heartbeat") != std::string::npos);
  }
}
