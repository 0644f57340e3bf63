#include "run_file.hpp"

#include <sys/stat.h>
#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "snet/atomic_file.hpp"
#include "snet/broker_credentials.hpp"

namespace snet::cli {
namespace fs = std::filesystem;

nlohmann::json to_json(const RunInfo& run) {
  // "supervisor_url" and "topology" keep the names of the first run.json, which scripts read.
  return {{"topology_name", run.topology_name},
          {"topology", run.topology_path},
          {"data_dir", run.data_dir},
          {"broker_kind", run.broker_kind},
          {"broker_url", run.broker_url},
          {"mqtt_url", run.mqtt_url},
          {"http_url", run.http_url},
          {"supervisor_url", run.control_url},
          {"openwhisk_apihost", run.openwhisk_apihost},
          {"pid", run.pid},
          {"version", run.version},
          {"broker_password_file", run.broker_password_file}};
}

RunInfo run_info_from_json(const nlohmann::json& doc) {
  if (!doc.is_object()) throw std::invalid_argument("not a JSON object");
  auto text = [&](const char* key) {
    const auto it = doc.find(key);
    return it != doc.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  RunInfo run;
  run.topology_name = text("topology_name");
  run.topology_path = text("topology");
  run.data_dir = text("data_dir");
  run.broker_kind = text("broker_kind");
  run.broker_url = text("broker_url");
  run.mqtt_url = text("mqtt_url");
  run.http_url = text("http_url");
  run.control_url = text("supervisor_url");
  run.openwhisk_apihost = text("openwhisk_apihost");
  run.version = text("version");
  run.broker_password_file = text("broker_password_file");
  if (const auto it = doc.find("pid"); it != doc.end() && it->is_number_integer()) {
    run.pid = it->get<long>();
  }
  return run;
}

std::string run_file_path(const std::string& data_dir) {
  return (fs::path(data_dir) / "run.json").string();
}

void write_run_file(const std::string& data_dir, const RunInfo& run) {
  // 0644: tools of other users may read it (it holds no secret).
  write_file_atomically(run_file_path(data_dir), to_json(run).dump(2) + "\n", 0644);
}

void remove_run_file(const std::string& data_dir) {
  std::error_code ignored;
  fs::remove(run_file_path(data_dir), ignored);
}

std::string without_password(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto host_start = scheme + 3;
  const auto at = url.find('@', host_start);
  const auto slash = url.find('/', host_start);
  if (at == std::string::npos || (slash != std::string::npos && slash < at)) return url;
  const auto colon = url.find(':', host_start);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + url.substr(at);
}

std::string broker_login_url(const RunInfo& run, bool mqtt) {
  const std::string& url = mqtt && !run.mqtt_url.empty() ? run.mqtt_url : run.broker_url;
  if (run.broker_password_file.empty()) return url;
  return with_url_password(url, read_secret_file(run.broker_password_file));
}

namespace {

// Whether `pid` is a live process (not a zombie). EPERM: it exists, owned by someone else.
bool process_alive(long pid) {
  if (pid <= 0) return false;
  if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM) return false;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;  // no /proc: kill() said it exists
  const auto close = line.rfind(')');
  return close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'Z';
}

}  // namespace

RunLookup find_running(const std::string& data_dir) {
  RunLookup lookup;
  const std::string path = run_file_path(data_dir);
  std::ifstream in(path);
  if (!in) {
    lookup.state = RunLookup::State::absent;
    lookup.problem = "no " + path;
    return lookup;
  }
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  try {
    lookup.info = run_info_from_json(doc);
  } catch (const std::invalid_argument&) {
    lookup.state = RunLookup::State::unreadable;
    lookup.problem = path + " is not a JSON object";
    return lookup;
  }
  if (!process_alive(lookup.info.pid)) {
    lookup.state = RunLookup::State::stale;
    lookup.problem = path + " is stale: the `snet up` that wrote it (pid " +
                     std::to_string(lookup.info.pid) + ") is gone";
    return lookup;
  }
  lookup.state = RunLookup::State::running;
  return lookup;
}

std::string no_running_message(const std::string& program, const std::string& data_dir,
                               const RunLookup& lookup, const std::string& explicit_flags) {
  return program + ": no `snet up` running with data dir " + data_dir + " (" + lookup.problem +
         "); start one with `snet up`, give its --data-dir, or pass " + explicit_flags;
}

BrokerTarget broker_target(const Flags& flags, const std::string& program, bool mqtt,
                           const std::string& explicit_flags) {
  BrokerTarget target{flags.str("broker-url"), flags.str("topology"), std::nullopt};
  if (!target.broker_url.empty() && !target.topology.empty()) return target;
  const std::string data_dir = fs::absolute(flags.str("data-dir")).lexically_normal().string();
  const RunLookup lookup = find_running(data_dir);
  if (lookup.state == RunLookup::State::running) {
    const RunInfo& run = lookup.info;
    if (target.broker_url.empty()) {
      try {
        target.broker_url = broker_login_url(run, mqtt);
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(program + ": the broker login of " + run_file_path(data_dir) +
                                 ": " + e.what());
      }
    }
    if (target.topology.empty()) target.topology = run.topology_path;
    target.run = run;
  } else if (target.broker_url.empty()) {
    throw std::runtime_error(no_running_message(program, data_dir, lookup, explicit_flags));
  } else {
    target.topology = "topology/single.json";
  }
  return target;
}

}  // namespace snet::cli
