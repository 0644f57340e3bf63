// The logins, vhost permissions and topic permissions of the RabbitMQ `snet up` starts
// (cli/rabbitmq_accounts.hpp), attacked with real clients: raw AMQP (rabbitmq-c) and raw MQTT
// on the MQTT plugin. RabbitMQ refuses loudly, so no test waits for nothing: a forbidden AMQP
// publish or declaration closes the channel (403 ACCESS_REFUSED, seen on the next synchronous
// call), a forbidden MQTT publish closes the connection before its PUBACK.
#include <doctest/doctest.h>

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <fstream>

#include "harness.hpp"
#include "mqtt_packets.hpp"
#include "snet/broker_credentials.hpp"
#include "snet/topics.hpp"
#include "snet_up.hpp"

using namespace snet;
using namespace snet::test;

namespace {

constexpr int kAccessRefused = 403;

// A bare AMQP 0-9-1 connection to vhost "snet" as `user`; each operation answers the reply code
// the broker closed the channel with (0: it went through), and opens a fresh channel after one.
class Amqp {
 public:
  Amqp(int port, const std::string& user, const std::string& password)
      : conn_(amqp_new_connection()) {
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    REQUIRE(amqp_socket_open(socket, "127.0.0.1", port) == AMQP_STATUS_OK);
    logged_in_ = amqp_login(conn_, "snet", 0, AMQP_DEFAULT_FRAME_SIZE, 0, AMQP_SASL_METHOD_PLAIN,
                            user.c_str(), password.c_str())
                     .reply_type == AMQP_RESPONSE_NORMAL;
    if (logged_in_) open_channel();
  }
  ~Amqp() {
    if (logged_in_) {
      amqp_channel_close(conn_, channel_, AMQP_REPLY_SUCCESS);
      amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
    }
    amqp_destroy_connection(conn_);
  }
  Amqp(const Amqp&) = delete;
  Amqp& operator=(const Amqp&) = delete;
  bool logged_in() const { return logged_in_; }

  // A publish has no answer: basic.qos after it is a synchronous call that meets the close.
  int publish(const std::string& exchange, const std::string& key, const std::string& body) {
    const amqp_bytes_t bytes{body.size(), const_cast<char*>(body.data())};
    amqp_basic_publish(conn_, channel_, amqp_cstring_bytes(exchange.c_str()),
                       amqp_cstring_bytes(key.c_str()), 0, 0, nullptr, bytes);
    amqp_basic_qos(conn_, channel_, 0, 10, 0);
    return code();
  }
  int declare_queue(const std::string& name) {
    amqp_queue_declare(conn_, channel_, amqp_cstring_bytes(name.c_str()), 0, 1, 0, 0,
                       amqp_empty_table);
    return code();
  }
  int delete_queue(const std::string& name) {
    amqp_queue_delete(conn_, channel_, amqp_cstring_bytes(name.c_str()), 0, 0);
    return code();
  }
  int declare_exchange(const std::string& name, const std::string& type) {
    amqp_exchange_declare(conn_, channel_, amqp_cstring_bytes(name.c_str()),
                          amqp_cstring_bytes(type.c_str()), 0, 1, 0, 0, amqp_empty_table);
    return code();
  }
  int delete_exchange(const std::string& name) {
    amqp_exchange_delete(conn_, channel_, amqp_cstring_bytes(name.c_str()), 0);
    return code();
  }
  int bind(const std::string& queue, const std::string& exchange, const std::string& key) {
    amqp_queue_bind(conn_, channel_, amqp_cstring_bytes(queue.c_str()),
                    amqp_cstring_bytes(exchange.c_str()), amqp_cstring_bytes(key.c_str()),
                    amqp_empty_table);
    return code();
  }

 private:
  void open_channel() {
    amqp_channel_open(conn_, ++channel_);
    REQUIRE(amqp_get_rpc_reply(conn_).reply_type == AMQP_RESPONSE_NORMAL);
  }
  int code() {
    const amqp_rpc_reply_t reply = amqp_get_rpc_reply(conn_);
    if (reply.reply_type == AMQP_RESPONSE_NORMAL) return 0;
    if (reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION &&
        reply.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
      const auto* close = static_cast<amqp_channel_close_t*>(reply.reply.decoded);
      const int reply_code = close->reply_code;
      amqp_channel_close_ok_t ok{};
      amqp_send_method(conn_, channel_, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
      open_channel();
      return reply_code;
    }
    return -1;  // the connection itself went
  }

  amqp_connection_state_t conn_;
  amqp_channel_t channel_ = 0;
  bool logged_in_ = false;
};

// A raw MQTT 3.1.1 client of the plugin: CONNACK's code, then publishes and subscriptions whose
// answer (PUBACK, SUBACK) tells whether the broker took them.
class Mqtt {
 public:
  Mqtt(int port, const std::string& client_id, const std::string& user,
       const std::string& password) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    send(detail::mqtt::encode_connect(client_id, 30, std::nullopt, true, user, password));
    const std::string answer = read(4);
    connack_ = answer.size() == 4 && static_cast<unsigned char>(answer[0]) == 0x20
                   ? static_cast<unsigned char>(answer[3])
                   : -1;
  }
  ~Mqtt() { ::close(fd_); }
  Mqtt(const Mqtt&) = delete;
  Mqtt& operator=(const Mqtt&) = delete;
  int connack() const { return connack_; }

  /// QoS 1: whether the broker acknowledged it (false: it closed the connection instead).
  bool publish(const std::string& topic, const std::string& payload) {
    send(detail::mqtt::encode_publish(topic, payload, 1, false, ++id_));
    const std::string answer = read(4);
    return answer.size() == 4 && static_cast<unsigned char>(answer[0]) == 0x40;
  }
  /// The granted QoS (0x80: refused; -1: no SUBACK, the connection closed).
  int subscribe(const std::string& filter) {
    send(detail::mqtt::encode_subscribe(++id_, {{filter, 1}}));
    // Retained messages may come first; the SUBACK (0x90, length 3) is what we wait for.
    while (true) {
      const std::string head = read(2);
      if (head.size() != 2) return -1;
      const auto type = static_cast<unsigned char>(head[0]);
      std::size_t length = static_cast<unsigned char>(head[1]);
      if (length & 0x80) {  // small test packets; a second length byte at most
        const std::string more = read(1);
        if (more.size() != 1) return -1;
        length = (length & 0x7f) + 128 * static_cast<unsigned char>(more[0]);
      }
      const std::string body = read(length);
      if (body.size() != length) return -1;
      if (type == 0x90 && length == 3) return static_cast<unsigned char>(body[2]);
    }
  }

 private:
  void send(const std::string& packet) { ::send(fd_, packet.data(), packet.size(), MSG_NOSIGNAL); }
  std::string read(std::size_t n) {
    std::string out(n, '\0');
    std::size_t got = 0;
    while (got < n) {
      const ssize_t r = ::recv(fd_, out.data() + got, n - got, 0);
      if (r <= 0) break;
      got += static_cast<std::size_t>(r);
    }
    out.resize(got);
    return out;
  }
  int fd_ = -1;
  int connack_ = -1;
  std::uint16_t id_ = 0;
};

mode_t mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 0777;
}

bool received(Recorder& recorder, const std::string& needle) {
  for (const auto& m : recorder.messages()) {
    if (m.payload.find(needle) != std::string::npos) return true;
  }
  return false;
}

SnetUp::Options mixed() {
  SnetUp::Options options;
  options.topology = "topology/mixed.json";  // AMQP and MQTT-plugin devices
  options.topology_name = "mixed";
  options.ready_timeout = std::chrono::seconds(120);
  return options;
}

}  // namespace

TEST_CASE("snet up's RabbitMQ: per-data-dir logins, guest, anonymous AMQP, wrong passwords out") {
  SnetUp up(mixed());
  const std::string creds = up.data_dir() + "/credentials";
  CHECK(mode_of(creds) == 0700);
  const auto devices = read_credentials_file(creds + "/devices.credentials");
  CHECK(devices.size() == 6);
  const std::string& password = devices.at("amqp-switch");
  // The node gets hashes only, in a file only its owner reads; no password in any argv or output.
  const std::string definitions = up.data_dir() + "/rabbitmq/definitions.json";
  CHECK(mode_of(definitions) == 0600);
  const std::string text = read_text(definitions);
  CHECK(text.find("\"amqp-switch\"") != std::string::npos);
  CHECK(text.find(password) == std::string::npos);
  CHECK(text.find("administrator") == std::string::npos);
  CHECK(up.output().find(password) == std::string::npos);
  for (const auto& [pid, name] : descendants_of(up.pid())) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline");
    const std::string cmdline((std::istreambuf_iterator<char>(in)), {});
    CAPTURE(cmdline);
    CHECK(cmdline.find(password) == std::string::npos);
    CHECK(cmdline.find(read_secret_file(creds + "/snet.relayer.password")) == std::string::npos);
  }

  CHECK(Amqp(up.amqp_port(), "amqp-switch", password).logged_in());
  CHECK_FALSE(Amqp(up.amqp_port(), "amqp-switch", "wrong").logged_in());
  CHECK_FALSE(Amqp(up.amqp_port(), "amqp-switch", devices.at("amqp-lamp")).logged_in());
  CHECK_FALSE(Amqp(up.amqp_port(), "guest", "guest").logged_in());
  CHECK_FALSE(Amqp(up.amqp_port(), "snet", "snet").logged_in());  // the development login
  CHECK_FALSE(Amqp(up.amqp_port(), "", "").logged_in());
  CHECK(Mqtt(up.mqtt_port(), "probe-1", "mqtt-switch", devices.at("mqtt-switch")).connack() == 0);
  for (const auto& [user, pass] : std::vector<std::pair<std::string, std::string>>{
           {"mqtt-switch", "wrong"}, {"guest", "guest"}, {"snet", "snet"}, {"intruder", "x"}}) {
    CAPTURE(user);
    const int code = Mqtt(up.mqtt_port(), "probe-2", user, pass).connack();
    CHECK((code == 4 || code == 5));  // bad user name or password / not authorised
  }
}

TEST_CASE("snet up's RabbitMQ: each login held to its own routing keys, AMQP and MQTT alike") {
  SnetUp up(mixed());
  const auto devices = read_credentials_file(up.data_dir() + "/credentials/devices.credentials");
  const std::string t = "mixed";
  auto key = [&](topics::Kind kind, const std::string& id) {
    std::string out = topics::make(t, kind, id);
    for (char& c : out) c = c == '/' ? '.' : c;
    return out;
  };
  // The operator reads everything that is delivered.
  Recorder spy(up.amqp_url(), {"snet/" + t + "/#"});
  REQUIRE(spy.bus().wait_connected(10s));

  SUBCASE("an AMQP button: its own press goes all the way; others', states, commands refused") {
    Amqp button(up.amqp_port(), "amqp-switch", devices.at("amqp-switch"));
    REQUIRE(button.logged_in());
    CHECK(button.publish("amq.topic", key(topics::Kind::press, "mqtt-switch"),
                         R"({"id":"forged-press"})") == kAccessRefused);
    CHECK(button.publish(
              "amq.topic", key(topics::Kind::state, "mqtt-fan"),
              R"({"device":"mqtt-fan","on":true,"applied_ts":1,"press_id":"forged-state"})") ==
          kAccessRefused);
    CHECK(button.publish("amq.topic", key(topics::Kind::cmd, "mqtt-fan"),
                         R"({"on":true,"press_id":"forged-cmd"})") == kAccessRefused);
    CHECK(button.publish("amq.topic", key(topics::Kind::status, "relayer"), R"({"x":1})") ==
          kAccessRefused);
    // Exchanges topic permissions do not cover (headers, fanout) are not its to write either.
    CHECK(button.publish("snet.headers", "x", R"({"press_id":"forged-headers"})") ==
          kAccessRefused);
    CHECK(button.publish("", "snet-bus-snet-mixed-relayer", R"({"id":"forged-direct"})") ==
          kAccessRefused);
    CHECK(button.publish("amq.topic", key(topics::Kind::press, "amqp-switch"),
                         R"({"id":"own-amqp-press"})") == 0);
    // amqp-switch -> mqtt-fan: relayer, command, MQTT actuator, state.
    CHECK(spy.wait_for(topics::make(t, topics::Kind::state, "mqtt-fan"), "own-amqp-press", 20s));
    for (const auto* forged :
         {"forged-press", "forged-state", "forged-cmd", "forged-headers", "forged-direct"}) {
      CAPTURE(forged);
      CHECK_FALSE(received(spy, forged));
    }
  }

  SUBCASE("an MQTT button on the plugin: its own press only; it reads no one's commands") {
    {
      Mqtt forger(up.mqtt_port(), "forger-1", "mqtt-switch", devices.at("mqtt-switch"));
      REQUIRE(forger.connack() == 0);
      CHECK_FALSE(forger.publish(topics::make(t, topics::Kind::press, "amqp-switch"),
                                 R"({"id":"forged-mqtt-press"})"));
    }
    {
      Mqtt forger(up.mqtt_port(), "forger-2", "mqtt-switch", devices.at("mqtt-switch"));
      REQUIRE(forger.connack() == 0);
      CHECK_FALSE(
          forger.publish(topics::make(t, topics::Kind::state, "amqp-lamp"),
                         R"({"device":"amqp-lamp","on":true,"press_id":"forged-mqtt-state"})"));
    }
    {
      Mqtt forger(up.mqtt_port(), "forger-3", "mqtt-switch", devices.at("mqtt-switch"));
      REQUIRE(forger.connack() == 0);
      CHECK_FALSE(forger.publish(topics::make(t, topics::Kind::cmd, "amqp-lamp"),
                                 R"({"on":true,"press_id":"forged-mqtt-cmd"})"));
    }
    {
      // Its own client id, so its own subscription queue: only the topic is not its to read.
      Mqtt spyer(up.mqtt_port(), "snet-mixed-mqtt-switch", "mqtt-switch",
                 devices.at("mqtt-switch"));
      REQUIRE(spyer.connack() == 0);
      const int granted = spyer.subscribe("#");
      CHECK((granted == 0x80 || granted == -1));
    }
    Mqtt button(up.mqtt_port(), "own-1", "mqtt-switch", devices.at("mqtt-switch"));
    REQUIRE(button.connack() == 0);
    CHECK(button.publish(topics::make(t, topics::Kind::press, "mqtt-switch"),
                         R"({"id":"own-mqtt-press"})"));
    // mqtt-switch -> 1/lamp: the AMQP and the MQTT lamp.
    CHECK(spy.wait_for(topics::make(t, topics::Kind::state, "amqp-lamp"), "own-mqtt-press", 20s));
    CHECK(spy.wait_for(topics::make(t, topics::Kind::state, "mqtt-lamp"), "own-mqtt-press", 20s));
    for (const auto* forged : {"forged-mqtt-press", "forged-mqtt-state", "forged-mqtt-cmd"}) {
      CAPTURE(forged);
      CHECK_FALSE(received(spy, forged));
    }
  }

  SUBCASE("an actuator publishes its own state only and reads only its own commands") {
    // Its own client id (the emulated lamp reconnects after this takes its session over).
    Mqtt lamp(up.mqtt_port(), "snet-mixed-mqtt-lamp", "mqtt-lamp", devices.at("mqtt-lamp"));
    REQUIRE(lamp.connack() == 0);
    CHECK(lamp.subscribe(topics::make(t, topics::Kind::cmd, "mqtt-lamp")) == 1);
    CHECK(
        lamp.publish(topics::make(t, topics::Kind::state, "mqtt-lamp"),
                     R"({"device":"mqtt-lamp","on":false,"applied_ts":1,"press_id":"own-state"})"));
    const int granted = lamp.subscribe(topics::make(t, topics::Kind::cmd, "mqtt-fan"));
    CHECK((granted == 0x80 || granted == -1));
    Amqp amqp_lamp(up.amqp_port(), "amqp-lamp", devices.at("amqp-lamp"));
    REQUIRE(amqp_lamp.logged_in());
    CHECK(amqp_lamp.bind("snet-bus-snet-mixed-amqp-lamp", "amq.topic",
                         key(topics::Kind::cmd, "amqp-lamp")) == 0);
    CHECK(amqp_lamp.bind("snet-bus-snet-mixed-amqp-lamp", "amq.topic", "#") == kAccessRefused);
    CHECK(amqp_lamp.bind("snet-bus-snet-mixed-amqp-lamp", "amq.topic",
                         key(topics::Kind::cmd, "mqtt-fan")) == kAccessRefused);
    CHECK(amqp_lamp.publish("amq.topic", key(topics::Kind::cmd, "mqtt-fan"),
                            R"({"on":true,"press_id":"forged-lamp-cmd"})") == kAccessRefused);
    CHECK(spy.wait_for(topics::make(t, topics::Kind::state, "mqtt-lamp"), "own-state", 10s));
  }

  SUBCASE("anonymous MQTT clients (loopback) press and read states, nothing else") {
    Mqtt anon(up.mqtt_port(), "anon-1", "", "");
    REQUIRE(anon.connack() == 0);
    CHECK(anon.subscribe(topics::all(t, topics::Kind::state)) == 1);
    const int everything = anon.subscribe("#");
    CHECK((everything == 0x80 || everything == -1));
    Mqtt anon2(up.mqtt_port(), "anon-2", "", "");
    REQUIRE(anon2.connack() == 0);
    CHECK_FALSE(anon2.publish(topics::make(t, topics::Kind::cmd, "amqp-lamp"),
                              R"({"on":true,"press_id":"forged-anon-cmd"})"));
    // The README's way of pressing.
    CHECK(mosquitto_pub(up.mqtt_port(), topics::make(t, topics::Kind::press, "amqp-switch"),
                        R"({"id":"anon-press"})") == 0);
    CHECK(spy.wait_for(topics::make(t, topics::Kind::state, "mqtt-fan"), "anon-press", 20s));
    CHECK_FALSE(received(spy, "forged-anon-cmd"));
  }
}

TEST_CASE(
    "snet up's RabbitMQ: a device cannot declare or delete the services' queues and exchanges") {
  SnetUp up(mixed());
  const auto devices = read_credentials_file(up.data_dir() + "/credentials/devices.credentials");
  Amqp lamp(up.amqp_port(), "amqp-lamp", devices.at("amqp-lamp"));
  REQUIRE(lamp.logged_in());
  CHECK(lamp.delete_queue("snet-bus-snet-mixed-relayer") == kAccessRefused);
  CHECK(lamp.delete_queue("snet-bus-snet-mixed-state") == kAccessRefused);
  CHECK(lamp.delete_queue("snet-bus-snet-mixed-amqp-switch") == kAccessRefused);
  CHECK(lamp.declare_queue("snet-bus-snet-mixed-relayer") == kAccessRefused);
  CHECK(lamp.declare_queue("snet-bus-snet-mixed-evil") == kAccessRefused);
  CHECK(lamp.delete_exchange("snet.headers") == kAccessRefused);
  CHECK(lamp.delete_exchange("snet.fanout") == kAccessRefused);
  CHECK(lamp.declare_exchange("snet.mixed.group.evil", "fanout") == kAccessRefused);
  CHECK(lamp.bind("snet-bus-snet-mixed-amqp-lamp", "snet.headers", "") == kAccessRefused);
  // The services' queues are still there: the press path works.
  CHECK_FALSE(up.press_until_applied("amqp-switch", "mqtt-fan", "after-attack", 30s).empty());
}

TEST_CASE("snet up's RabbitMQ: fanout and headers routing work with the devices' own logins") {
  struct Case {
    const char *file, *name, *button, *actuator;
  };
  // AMQP and MQTT buttons; AMQP actuators bound to a group's or the headers exchange, an MQTT
  // one reading its group's key on amq.topic.
  for (const Case& c : {Case{"topology/fanout.json", "fanout", "porch-switch", "porch-lamp"},
                        Case{"topology/headers.json", "headers", "north-lamps", "north-lamp-1"}}) {
    CAPTURE(c.file);
    SnetUp::Options options;
    options.topology = c.file;
    options.topology_name = c.name;
    options.ready_timeout = std::chrono::seconds(120);
    SnetUp up(options);
    CHECK_FALSE(up.press_until_applied(c.button, c.actuator, "routed", 30s).empty());
    if (std::string(c.name) == "fanout") {
      CHECK_FALSE(up.press_until_applied("hall-switch", "hall-lamp-2", "routed-amqp", 30s).empty());
    } else {
      CHECK_FALSE(
          up.press_until_applied("heat-or-south", "south-heater", "routed-any", 30s).empty());
    }
  }
}
