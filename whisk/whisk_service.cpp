#include "whisk_service.hpp"

#include <stdlib.h>
#include <filesystem>
#include <future>
#include <stdexcept>

#include "snet/log.hpp"
#include "snet/process.hpp"

namespace snet::whisk {
namespace fs = std::filesystem;

std::string find_worker_script(const std::string& configured) {
  if (!configured.empty()) {
    if (!fs::is_regular_file(configured)) {
      throw std::runtime_error("worker runtime " + configured + " not found (--runtime)");
    }
    return fs::absolute(configured).string();
  }
  const std::vector<fs::path> candidates = {
      fs::path(self_dir()) / "snet-whisk-worker.js",
      fs::path(self_dir()) / ".." / "share" / "serverlessnet" / "whisk" / "worker.js",
      fs::path(SNET_SOURCE_DIR) / "whisk" / "runtime" / "worker.js",
  };
  std::string looked;
  for (const auto& path : candidates) {
    if (fs::is_regular_file(path)) return fs::canonical(path).string();
    looked += (looked.empty() ? "" : ", ") + path.string();
  }
  throw std::runtime_error("worker runtime not found (looked at " + looked + "); use --runtime");
}

std::string find_runtime_modules(const std::string& script) {
  const std::vector<fs::path> candidates = {
      fs::path(script).parent_path() / "node_modules",
      fs::path(self_dir()) / ".." / "share" / "serverlessnet" / "whisk" / "node_modules",
      fs::path(SNET_SOURCE_DIR) / "whisk" / "runtime" / "node_modules",
  };
  for (const auto& path : candidates) {
    if (fs::is_directory(path / "openwhisk")) return fs::canonical(path).string();
  }
  return "";
}

WhiskService::WhiskService(WhiskOptions options, Metrics& metrics)
    : options_(std::move(options)),
      triggers_(options_.rest.ns),
      activations_(options_.activations_kept) {
  if (options_.data_dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "snet-whisk-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot create a temporary directory for snet-whisk");
    }
    temporary_dir_ = pattern;
    options_.data_dir = pattern;
  }
  fs::create_directories(fs::path(options_.data_dir) / "actions");
  // Workers (maybe another user) read the unpacked actions under it.
  fs::permissions(options_.data_dir,
                  fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec);
  fs::permissions(fs::path(options_.data_dir) / "actions",
                  fs::perms::owner_all | fs::perms::others_exec | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::group_read);
  options_.rest.work_dir = options_.data_dir;
  if (temporary_dir_.empty()) {
    // Unpacked zips of an earlier run (left behind when it was killed): nothing uses them now,
    // and the actions kept are unpacked anew below.
    std::error_code ignored;
    for (const auto& old :
         fs::directory_iterator(fs::path(options_.data_dir) / "actions", ignored)) {
      fs::remove_all(old.path(), ignored);
    }
    files_ = std::make_unique<EntityFiles>((fs::path(options_.data_dir) / "entities").string());
    load_entities();
    actions_.set_sink(files_.get());
    triggers_.set_sink(files_.get());
  }
  auto& launch = options_.invoker.launch;
  if (launch.modules.empty()) launch.modules = find_runtime_modules(launch.script);
  launch.readable = {fs::path(launch.script).parent_path().string(),
                     (fs::path(options_.data_dir) / "actions").string()};
  if (!launch.modules.empty()) launch.readable.push_back(launch.modules);
  invoker_ = std::make_unique<Invoker>(options_.invoker, activations_, metrics);
  http::ServerOptions server;
  server.bind_address = options_.bind_address;
  server.port = options_.port;
  server.threads = 1;
  server.body_limit = options_.max_body_bytes;
  // A blocking invocation holds its request for up to the blocking wait.
  server.handler_timeout = options_.rest.blocking_wait + std::chrono::seconds(10);
  server.read_timeout = std::chrono::seconds(30);
  server.server_name = "snet-whisk";
  // The key authenticates; the guard keeps browsers out: a page of another site (or a name of
  // its own rebound to 127.0.0.1) gets 421/403 before any handler, and the refusal is counted.
  http::GuardOptions guard;
  guard.bind_address = options_.bind_address;
  guard.allowed_hosts = options_.allowed_hosts;
  guard.allowed_origins = options_.allowed_origins;
  server.guard = [checker = std::make_shared<http::RequestGuard>(std::move(guard)),
                  &metrics](const http::Request& request) -> std::optional<http::Response> {
    auto refusal = checker->check(request);
    if (!refusal) return std::nullopt;
    metrics
        .counter("snet_whisk_http_refused_total", "HTTP requests refused: foreign Host or Origin",
                 "reason=\"" + refusal->reason + "\"")
        .add();
    return std::move(refusal->response);
  };
  server_ = std::make_unique<http::Server>(
      server, make_router(options_.rest, actions_, activations_, *invoker_, metrics, triggers_));
}

WhiskService::~WhiskService() {
  server_->stop();             // no new requests; open ones are answered or dropped
  invoker_.reset();            // fails what still runs and stops the workers
  actions_.set_sink(nullptr);  // files_ goes before the stores
  triggers_.set_sink(nullptr);
  if (!temporary_dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(temporary_dir_, ignored);
  }
}

void WhiskService::load_entities() {
  const auto skip = [this](const StoredEntity& e, const std::string& why) {
    ++skipped_;
    log::error("skipping the corrupt entity file ", e.collection, " ",
               files_->path(e.collection, e.name), ": ", why);
  };
  for (const auto& e : files_->load(kActions)) {
    try {
      Action action = stored_action(e.entity, options_.rest.ns);
      if (action.binary) {
        action.archive = ActionArchive::unpack(action.code, options_.data_dir + "/actions");
      }
      actions_.put(std::move(action));
      ++entities_loaded_;
    } catch (const std::exception& error) {  // BadAction, a zip that no longer unpacks
      skip(e, error.what());
    }
  }
  std::vector<Trigger> triggers;
  std::vector<Rule> rules;
  for (const auto& e : files_->load(kTriggers)) {
    try {
      triggers.push_back(Trigger::from_json(e.entity));
    } catch (const EntityError& error) {
      skip(e, error.what());
    }
  }
  for (const auto& e : files_->load(kRules)) {
    try {
      rules.push_back(Rule::from_json(e.entity));
    } catch (const EntityError& error) {
      skip(e, error.what());
    }
  }
  entities_loaded_ += triggers.size() + rules.size();
  triggers_.restore(std::move(triggers), std::move(rules));
  const std::size_t corrupt = entities_corrupt();
  log::info("loaded ", entities_loaded_, " entities from ", files_->dir(),
            corrupt > 0 ? " (" + std::to_string(corrupt) + " corrupt files skipped)" : "");
}

std::vector<openwhisk::DeployResult> WhiskService::deploy_directory(const std::string& dir) {
  std::vector<openwhisk::DeployResult> results;
  for (const auto& file : openwhisk::read_action_files(dir)) {
    openwhisk::DeployResult result{file.name, file.path, false, 0, file.error};
    try {
      if (!result.error.empty()) throw std::invalid_argument(result.error);
      const auto existing = actions_.find(file.name);
      Action action = parse_action_put(openwhisk::action_put_body(file.code), options_.rest.ns,
                                       file.name, existing.get());
      // Shared: the check may answer after we gave up waiting.
      auto checked = std::make_shared<std::promise<std::optional<std::string>>>();
      auto verdict = checked->get_future();
      invoker_->check(file.name, file.code, [checked](std::optional<std::string> problem) {
        checked->set_value(std::move(problem));
      });
      if (verdict.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        throw std::invalid_argument("the syntax check did not answer within 30 s");
      }
      if (const auto problem = verdict.get()) throw std::invalid_argument(*problem);
      actions_.put(std::move(action));
      if (existing) invoker_->retire(file.name);
      result.ok = true;
    } catch (const std::exception& e) {  // BadAction, a bad limits line, a compile error
      result.error = e.what();
    }
    results.push_back(std::move(result));
  }
  return results;
}

void WhiskService::start() {
  server_->start();
  invoker_->set_api_host(url());
}

std::string WhiskService::url() const {
  const std::string& bind = options_.bind_address;
  const std::string host = (bind == "0.0.0.0" || bind == "::" || bind.empty()) ? "127.0.0.1" : bind;
  const bool ipv6 = host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port());
}

}  // namespace snet::whisk
