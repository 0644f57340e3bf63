// Fuzz target: the state service's HTTP handler, fed raw bytes as a client sends them: Beast's
// request parser (the server's limits), the request as the application sees it
// (to_request), the request guard (Host, Origin, bearer token: http_guard.hpp, every rule on),
// and the state service's whole API (make_api with the control, link and
// scenario routes, a SQLite store, a bus that accepts every publish), as HttpSession does it,
// without sockets. Up to 4 pipelined requests per input. Every request gets an answer: a parse
// error's 400/413/431 or the router's response, which has a valid status and, when it says
// JSON, a JSON body (an error: an object). A handler that throws is a finding (the server would
// answer 500).
#include <unistd.h>

#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api.hpp"
#include "control_api.hpp"
#include "fuzz_support.hpp"
#include "http_server_internal.hpp"
#include "link_table.hpp"
#include "live_feed.hpp"
#include "scenario_tracker.hpp"
#include "snet/http_guard.hpp"
#include "snet/log.hpp"
#include "snet/metrics.hpp"
#include "sqlite_store.hpp"
#include "supervisor_client.hpp"

namespace {

namespace bhttp = boost::beast::http;
namespace beast = boost::beast;
using snet::http::Request;
using snet::http::Response;

constexpr std::size_t kBodyLimit = 64 * 1024;  // ServerOptions' default, as snet-state uses it
constexpr const char* kToken = "fuzz-token";

// Accepts every publish at once (the broker "acknowledged" it), so asynchronous routes answer
// before dispatch() returns.
class AcceptingBus final : public snet::Bus {
 public:
  void on_message(snet::MessageHandler) override {}
  void on_connection_change(std::function<void(bool)>) override {}
  void subscribe(const std::string&, snet::Qos) override {}
  void subscribe_shared(const std::string&, const std::string&, snet::Qos) override {}
  void publish(snet::Message, snet::Qos, snet::PublishDone done) override {
    if (done) done(true, "");
  }
  void start() override {}
  bool wait_connected(std::chrono::milliseconds) override { return true; }
  bool connected() const override { return true; }
  void stop() override {}
};

std::string temp_dir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "snet-fuzz-http.XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) std::abort();
  return pattern;
}

// The state service's parts as StateService::Parts wires them (no writer, ingest or threads of
// its own besides the live feed's).
struct StateApi {
  std::string dir = temp_dir();
  snet::Topology topology = snet::load_topology(SNET_SOURCE_DIR "/tests/topology/links.json");
  snet::Metrics registry;
  snet::state::StateMetrics metrics{registry};
  snet::state::SqliteStore store{dir + "/state.db", topology.name};
  snet::state::LiveFeed feed{topology, metrics, [] { return nlohmann::json::object(); },
                             std::chrono::milliseconds(50)};
  AcceptingBus bus;
  snet::state::SupervisorClient supervisor{""};
  snet::state::LinkTable links{topology, metrics, &feed};
  snet::state::ScenarioTracker scenario{topology, metrics, &feed};
  snet::state::ControlContext control{topology, store, feed, metrics, bus, supervisor, &links};
  // Every rule on: reachable from other hosts (so a token is required), a proxy's host name
  // and one more origin allowed.
  snet::http::RequestGuard guard{snet::http::GuardOptions{
      "0.0.0.0", {"proxy.example"}, {"https://dash.example"}, kToken, true}};
  snet::state::ApiContext context{topology,
                                  feed,
                                  store,
                                  metrics,
                                  bus,
                                  [] {
                                    return nlohmann::json{{"services", nlohmann::json::object()}};
                                  },
                                  [] { return std::vector<std::string>{}; },
                                  [] { return std::vector<std::string>{"no relayer is online"}; },
                                  [this] { return registry.prometheus(); },
                                  SNET_SOURCE_DIR "/dashboard",
                                  &control,
                                  &scenario,
                                  &guard};
  snet::http::Router router = snet::state::make_api(context);

  StateApi() {
    std::atexit([] { std::filesystem::remove_all(instance().dir); });
  }
  // Never destroyed: the live feed's thread runs until the process exits.
  static StateApi& instance() {
    static StateApi* api = new StateApi;
    return *api;
  }
};

void check_response(const Response& response) {
  SNET_FUZZ_CHECK(response.status >= 100 && response.status <= 599);
  if (response.content_type != "application/json") return;
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  SNET_FUZZ_CHECK(!body.is_discarded());
  if (response.status >= 400) SNET_FUZZ_CHECK(body.is_object());
}

// "Authorization: Bearer <token>": the scheme in any case (RFC 7235), white space around the
// token allowed, the token itself exact.
bool carries_token(const Request& request) {
  std::string value = request.header("authorization");
  if (value.size() < 7) return false;
  for (std::size_t i = 0; i < 7; ++i) {
    value[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(value[i])));
  }
  if (value.compare(0, 7, "bearer ") != 0) return false;
  const auto first = value.find_first_not_of(" \t", 7);
  const auto last = value.find_last_not_of(" \t");
  return first != std::string::npos && value.substr(first, last - first + 1) == kToken;
}

// One request from the front of `bytes`, answered as HttpSession would. Returns whether the
// connection stays open for another one.
bool serve_one(std::string_view& bytes) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.body_limit(kBodyLimit);
  parser.eager(true);
  beast::error_code ec;
  while (!parser.is_done()) {
    const std::size_t used = parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    bytes.remove_prefix(used);
    if (ec == bhttp::error::need_more || (!ec && used == 0)) {
      ec = {};
      parser.put_eof(ec);  // all there is: the client closed its side
      break;
    }
    if (ec) break;
  }
  if (ec == bhttp::error::end_of_stream) return false;
  if (ec) return false;  // answered 413, 431 or 400 ("malformed HTTP request") and closed
  SNET_FUZZ_CHECK(parser.is_done());

  bhttp::request<bhttp::string_body> raw = parser.release();
  const bool upgrade = boost::beast::websocket::is_upgrade(raw);
  const bool keep_alive = raw.keep_alive();
  Request request;
  try {
    request = snet::http::detail::to_request(raw, "127.0.0.1:40000");
  } catch (const std::invalid_argument&) {
    return keep_alive && !upgrade;  // 400 naming the problem
  }
  // The server's guard first (ServerOptions::guard, as snet-state sets it): a refusal is the
  // answer. A state-changing request it lets through carries the token, whatever else it has.
  StateApi& api = StateApi::instance();
  if (auto refusal = api.guard.check(request)) {
    SNET_FUZZ_CHECK(refusal->response.status >= 400 && !refusal->reason.empty());
    check_response(refusal->response);
    return keep_alive && !upgrade;
  }
  if (snet::http::is_mutating(request.method)) SNET_FUZZ_CHECK(carries_token(request));
  if (upgrade) return false;  // a WebSocket session, or 404
  std::optional<Response> response;
  api.router.dispatch(std::move(request), [&response](Response r) { response = std::move(r); });
  SNET_FUZZ_CHECK(response.has_value());
  check_response(*response);
  return keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = [] {
    snet::log::set_level(snet::log::Level::error);
    return true;
  }();
  (void)quiet;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (int i = 0; i < 4 && !bytes.empty(); ++i) {
    if (!serve_one(bytes)) break;
  }
  return 0;
}
