#include "state_service.hpp"

#include <filesystem>

#include "api.hpp"
#include "control_api.hpp"
#include "http_access.hpp"
#include "ingest.hpp"
#include "link_table.hpp"
#include "live_feed.hpp"
#include "readiness.hpp"
#include "scenario_tracker.hpp"
#include "service_health.hpp"
#include "snet/bus.hpp"
#include "snet/bus_loop.hpp"
#include "snet/http_server.hpp"
#include "snet/log.hpp"
#include "snet/metrics.hpp"
#include "snet/net.hpp"
#include "snet/process.hpp"
#include "snet/status.hpp"
#include "snet/topics.hpp"
#include "snet/topology.hpp"
#include "sqlite_store.hpp"
#include "state_metrics.hpp"
#include "supervisor_client.hpp"
#include "writer.hpp"

namespace snet::state {
namespace fs = std::filesystem;

std::string default_dashboard_dir() {
  const fs::path installed = fs::path(self_dir()) / "../share/serverlessnet/dashboard";
  if (fs::exists(installed)) return fs::canonical(installed).string();
  return SNET_SOURCE_DIR "/dashboard";
}

namespace {

std::unique_ptr<SqliteStore> open_store(const std::string& data_dir, const std::string& topology) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) throw StoreError("cannot create the data directory " + data_dir + ": " + ec.message());
  return std::make_unique<SqliteStore>((fs::path(data_dir) / "state.db").string(), topology);
}

std::unique_ptr<Bus> make_state_bus(BusLoop& loop, const StateOptions& o, const Topology& topology,
                                    Metrics& registry) {
  BusOptions bus;
  bus.metrics = &registry;  // the bus's own counters (AMQP) in GET /metrics
  bus.url = o.broker_url;
  bus.password = o.broker_password;
  bus.client_id = o.client_id.empty() ? "snet-" + topology.name + "-state" : o.client_id;
  bus.will = status_will(topology.name, "state");
  // Acknowledged after the commit, kept by the broker while we are away: a killed state service
  // loses no state report, press error or status.
  bus.persistent_session = true;
  bus.manual_ack = true;
  return loop.make_bus(bus);
}

}  // namespace

// Declared in dependency order; stop() tears down in the reverse order explicitly.
struct StateService::Parts {
  explicit Parts(StateOptions o)
      : options(std::move(o)),
        topology(load_topology(options.topology_path)),
        guard(guard_options(options)),
        metrics(registry),
        store(open_store(options.data_dir, topology.name)),
        bus(make_state_bus(loop, options, topology, registry)),
        feed(
            topology, metrics, [this] { return health_view(); }, options.flush_interval),
        ingest(topology, metrics),
        writer(*store, ingest, feed, services, metrics, options.retention,
               options.readings_retention),
        supervisor(options.supervisor_url),
        links(topology, metrics, &feed),
        scenario(topology, metrics, &feed),
        control{topology, *store, feed, metrics, *bus, supervisor, &links},
        api{topology,
            feed,
            *store,
            metrics,
            *bus,
            [this] { return health_view(); },
            [this] { return problems(); },
            [this] {
              auto unready = problems();
              for (auto& p : press_path_problems(services.services()))
                unready.push_back(std::move(p));
              return unready;
            },
            [this] { return metrics_text(); },
            options.dashboard_dir.empty() ? default_dashboard_dir() : options.dashboard_dir,
            &control,
            &scenario,
            &guard} {
    try {
      start();
    } catch (...) {
      halt();  // the threads already started must stop before the members go
      throw;
    }
  }

  void start() {
    feed.load(store->current_states());
    for (const auto& d : topology.devices) feed.load_readings(store->latest_readings(d.id));
    bus->on_message([this](const Message& m) {
      // Links and presence are kept in memory (the broker retains them): handled at once.
      if (links.observe(m) || scenario.observe(m)) {
        if (m.ack) m.ack();
        return;
      }
      writer.enqueue(m);
    });
    bus->on_connection_change([this](bool connected) {
      if (connected) {
        log::info("connected to ", redacted_url(options.broker_url));
      } else {
        metrics.connection_losses.add();
        log::warn("lost the connection to ", redacted_url(options.broker_url), "; reconnecting");
      }
      feed.health_changed();
    });
    for (auto kind :
         {topics::Kind::state, topics::Kind::event, topics::Kind::status, topics::Kind::reading}) {
      bus->subscribe(topics::all(topology.name, kind), Qos::at_least_once);
    }
    for (const auto& filter : links.subscriptions()) bus->subscribe(filter, Qos::at_least_once);
    bus->subscribe(scenario.topic(), Qos::at_least_once);
    http::ServerOptions http;
    http.bind_address = options.http_bind;
    http.port = options.http_port;
    http.threads = options.http_threads;
    http.websocket_path = "/ws";
    http.handler_timeout = std::chrono::seconds(10);
    http.max_connections = options.http_max_connections;
    // Before any handler and any WebSocket handshake: a refused request is counted, and a
    // refused WebSocket never receives the snapshot.
    http.guard = [this](const http::Request& request) -> std::optional<http::Response> {
      auto refusal = guard.check(request);
      if (!refusal) return std::nullopt;
      metrics.http_refused(refusal->reason).add();
      log::debug("http: refused a request from ", request.remote, ": ", refusal->reason);
      return std::move(refusal->response);
    };
    server = std::make_unique<http::Server>(
        http, make_api(api),
        http::WebSocketCallbacks{[this](const auto& c) { feed.open(c); }, nullptr,
                                 [this](const auto& c) { feed.close(c); }});
    server->start();
    if (!fs::is_directory(api.dashboard_dir)) {
      log::warn("no dashboard at ", api.dashboard_dir, " (set --dashboard-dir)");
    }
    bus->start();
    reporter = std::make_unique<StatusReporter>(*bus, topology.name, "state", registry,
                                                options.status_interval);
  }

  void halt() {
    if (stopped) return;
    stopped = true;
    if (server) server->stop();  // no more requests; WebSocket clients are told "going away"
    supervisor.stop();           // no reply is given after the server stopped
    reporter.reset();            // publishes "offline" while the bus still runs
    writer.stop();               // stores what was queued and acknowledges it
    bus->stop();                 // sends those acks, then disconnects
    feed.stop();
  }

  nlohmann::json health_view() const {
    const std::string store_error = writer.problem();
    // Shown to every page and client: never the broker's password.
    return {
        {"broker", {{"connected", bus->connected()}, {"url", redacted_url(options.broker_url)}}},
        {"store", {{"ok", store_error.empty()}, {"error", store_error}}},
        {"services", services.services()},
        {"supervisor",
         supervisor.configured() ? nlohmann::json{{"url", supervisor.url()}} : nlohmann::json()}};
  }

  std::vector<std::string> problems() {
    std::vector<std::string> out;
    if (!bus->connected()) {
      out.push_back("message bus not connected (" + redacted_url(options.broker_url) + ")");
    }
    try {
      store->check();
    } catch (const std::exception& e) {
      out.push_back(std::string("store cannot be read: ") + e.what());
    }
    if (const std::string p = writer.problem(); !p.empty())
      out.push_back("store write failing: " + p);
    return out;
  }

  std::string metrics_text() {
    metrics.queue_depth.set(static_cast<std::int64_t>(writer.depth()));
    metrics.ws_clients.set(static_cast<std::int64_t>(server->websocket_clients()));
    metrics.ws_dropped.set(static_cast<std::int64_t>(server->websockets_dropped()));
    metrics.http_connections_refused.set(static_cast<std::int64_t>(server->connections_refused()));
    metrics.http_accept_failures.set(static_cast<std::int64_t>(server->accept_failures()));
    return services.prometheus("state", registry.prometheus());
  }

  StateOptions options;
  Topology topology;
  http::RequestGuard guard;
  Metrics registry;
  StateMetrics metrics;
  ServiceHealth services;
  std::unique_ptr<SqliteStore> store;
  BusLoop loop;  // carries the bus; outlives it
  std::unique_ptr<Bus> bus;
  LiveFeed feed;
  Ingest ingest;
  StateWriter writer;
  SupervisorClient supervisor;
  LinkTable links;
  ScenarioTracker scenario;
  ControlContext control;
  ApiContext api;
  std::unique_ptr<http::Server> server;
  std::unique_ptr<StatusReporter> reporter;
  bool stopped = false;
};

StateService::StateService(StateOptions options)
    : parts_(std::make_unique<Parts>(std::move(options))) {
  const RetentionOptions& kept = parts_->options.retention;
  const RetentionOptions& readings = parts_->options.readings_retention;
  log::info(
      "topology '", parts_->topology.name, "' (", parts_->topology.devices.size(),
      " devices); store ", parts_->options.data_dir, "/state.db (history: ",
      kept.max_rows > 0 ? std::to_string(kept.max_rows) + " rows" : "any number of rows", ", ",
      kept.max_age.count() > 0 ? std::to_string(kept.max_age.count()) + " s" : "any age",
      "; readings: ",
      readings.max_rows > 0 ? std::to_string(readings.max_rows) + " rows" : "any number", ", ",
      readings.max_age.count() > 0 ? std::to_string(readings.max_age.count()) + " s" : "any age",
      "); listening on http://", parts_->options.http_bind, ":", http_port(), "/ (dashboard from ",
      parts_->api.dashboard_dir, ")");
}

StateService::~StateService() {
  stop();
}

int StateService::http_port() const {
  return parts_->server->port();
}

void StateService::stop() {
  parts_->halt();
}

}  // namespace snet::state
