#include "snet_up.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "snet/broker_credentials.hpp"
#include "snet/net.hpp"

namespace snet::test {
namespace fs = std::filesystem;

namespace {

struct ProcStat {
  std::string name;
  char state = 0;
  pid_t ppid = 0;
};

// /proc/<pid>/stat: "pid (name) state ppid ..."; the name may contain spaces and parentheses.
bool read_stat(const fs::path& dir, ProcStat& out) {
  std::ifstream stat(dir / "stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const auto open = line.find('('), close = line.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return false;
  out.name = line.substr(open + 1, close - open - 1);
  std::istringstream rest(line.substr(close + 2));
  rest >> out.state >> out.ppid;
  return true;
}

template <typename Visit>
void for_each_process(Visit visit) {
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    ProcStat stat;
    if (read_stat(entry.path(), stat)) visit(static_cast<pid_t>(std::stoi(name)), stat);
  }
}

}  // namespace

std::map<pid_t, std::string> children_of(pid_t parent) {
  std::map<pid_t, std::string> out;
  for_each_process([&](pid_t pid, const ProcStat& stat) {
    if (stat.ppid == parent) out[pid] = stat.name;
  });
  return out;
}

std::map<pid_t, std::string> descendants_of(pid_t root) {
  std::map<pid_t, std::string> out;
  std::vector<pid_t> frontier = {root};
  while (!frontier.empty()) {
    const pid_t next = frontier.back();
    frontier.pop_back();
    for (const auto& [pid, name] : children_of(next)) {
      if (out.emplace(pid, name).second) frontier.push_back(pid);
    }
  }
  return out;
}

std::map<pid_t, std::string> processes_mentioning(const std::string& text) {
  std::map<pid_t, std::string> out;
  for_each_process([&](pid_t pid, const ProcStat& stat) {
    if (stat.state == 'Z' || pid == ::getpid()) return;
    std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (cmdline.find(text) != std::string::npos) out[pid] = stat.name;
  });
  return out;
}

std::map<pid_t, std::string> listeners_on(int port) {
  std::set<std::string> sockets;  // "socket:[inode]", as the fd links read
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      const auto colon = local.rfind(':');
      if (state != "0A" || colon == std::string::npos) continue;  // 0A: LISTEN
      if (std::stoi(local.substr(colon + 1), nullptr, 16) == port) {
        sockets.insert("socket:[" + inode + "]");
      }
    }
  }
  std::map<pid_t, std::string> out;
  if (sockets.empty()) return out;
  for_each_process([&](pid_t pid, const ProcStat& stat) {
    std::error_code ec;
    for (const auto& fd : fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec)) {
      if (sockets.count(fs::read_symlink(fd.path(), ec).string()) != 0) out[pid] = stat.name;
    }
  });
  return out;
}

char process_state(pid_t pid) {
  ProcStat stat;
  return read_stat("/proc/" + std::to_string(pid), stat) ? stat.state : 0;
}

bool alive(pid_t pid) {
  const char state = process_state(pid);
  return state != 0 && state != 'Z' && state != 'X';
}

SnetRun run_snet(std::vector<std::string> args, std::chrono::milliseconds timeout,
                 std::map<std::string, std::string> env) {
  TempDir dir("snet-cli");
  const std::string out = dir.path() + "/out.txt";
  args.insert(args.begin(), built_program("snet"));
  ChildProcess child(args, ChildProcess::Options{std::move(env), out, "=stdout", true});
  SnetRun run;
  if (child.wait_for(timeout) && child.exit_status() && WIFEXITED(*child.exit_status())) {
    run.status = WEXITSTATUS(*child.exit_status());
  }
  run.output = read_text(out);
  return run;
}

SnetUp::SnetUp(Options options) : topology_name_(options.topology_name) {
  data_dir_ = options.data_dir.empty() ? dir_.path() + "/data" : options.data_dir;
  output_path_ = dir_.path() + "/snet-up.out";
  mqtt_port_ = free_port();
  amqp_port_ = free_port();
  http_port_ = free_port();
  control_port_ = free_port();
  std::vector<std::string> argv = {built_program("snet"),
                                   "up",
                                   source_path(options.topology),
                                   "--mqtt-port",
                                   std::to_string(mqtt_port_),
                                   "--amqp-port",
                                   std::to_string(amqp_port_),
                                   "--http-port",
                                   std::to_string(http_port_),
                                   "--whisk-port",
                                   std::to_string(free_port()),
                                   "--control-port",
                                   std::to_string(control_port_),
                                   "--data-dir",
                                   data_dir_};
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  // snet up's own 30 s is short for a RabbitMQ node booting beside a busy suite: give it as
  // long as the test waits, unless the test chose.
  if (std::find(argv.begin(), argv.end(), "--start-timeout-s") == argv.end()) {
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(options.ready_timeout).count();
    argv.insert(argv.end(), {"--start-timeout-s", std::to_string(std::max<long long>(seconds, 1))});
  }
  process_ = ChildProcess(argv, ChildProcess::Options{options.env, output_path_, "=stdout", true});
  if (!options.wait_until_up) return;
  const bool up = eventually(
      [&] {
        return !process_.running() || output().find("Serverlessnet is up") != std::string::npos;
      },
      options.ready_timeout);
  if (!up || !process_.running()) {
    throw std::runtime_error("snet up did not come up; its output:\n" + output());
  }
}

std::string SnetUp::mqtt_url() const {
  const std::string file = data_dir_ + "/credentials/snet.up.password";
  std::string password = read_text(file);
  while (!password.empty() && password.back() == '\n') password.pop_back();
  if (password.empty()) return anonymous_url();
  return "mqtt://snet.up:" + password + "@127.0.0.1:" + std::to_string(mqtt_port_);
}

std::string SnetUp::amqp_url() const {
  std::string password = read_text(data_dir_ + "/credentials/snet.up.password");
  while (!password.empty() && password.back() == '\n') password.pop_back();
  // What the services use, as run.json says: a cluster's every node (--rabbitmq-nodes).
  const auto run = nlohmann::json::parse(read_text(data_dir_ + "/run.json"), nullptr, false);
  const std::string services_url = run.is_object() ? run.value("broker_url", "") : "";
  if (services_url.rfind("amqp://", 0) == 0) return with_url_password(services_url, password);
  return "amqp://snet.up:" + password + "@127.0.0.1:" + std::to_string(amqp_port_) + "/snet";
}

nlohmann::json SnetUp::services() {
  const auto got = http_request("GET", control_port_, "/services");
  if (got.status != 200) return nlohmann::json::array();
  return nlohmann::json::parse(got.body, nullptr, false).value("services", nlohmann::json::array());
}

nlohmann::json SnetUp::service(const std::string& name) {
  for (const auto& item : services()) {
    if (item.value("name", "") == name) return item;
  }
  return nullptr;
}

HttpResult SnetUp::control(const std::string& name, const std::string& verb) {
  return http_request("POST", control_port_, "/services/" + name + "/" + verb);
}

bool SnetUp::wait_service(const std::string& name,
                          const std::function<bool(const nlohmann::json&)>& pred,
                          std::chrono::milliseconds timeout) {
  return eventually(
      [&] {
        const auto item = service(name);
        return !item.is_null() && pred(item);
      },
      timeout);
}

std::string SnetUp::press_until_applied(const std::string& button, const std::string& actuator,
                                        const std::string& id_prefix,
                                        std::chrono::milliseconds timeout) {
  std::vector<std::string> sent;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto applied = [&]() -> std::string {
    const auto got = http_request("GET", http_port_, "/api/devices/" + actuator);
    if (got.status != 200) return "";
    const auto view = nlohmann::json::parse(got.body, nullptr, false);
    const std::string id =
        view.is_object() && view.contains("press_id") && view["press_id"].is_string()
            ? view["press_id"].get<std::string>()
            : "";
    for (const auto& s : sent) {
      if (s == id) return id;
    }
    return "";
  };
  while (std::chrono::steady_clock::now() < deadline) {
    sent.push_back(id_prefix + "-" + std::to_string(sent.size() + 1));
    mosquitto_pub(mqtt_port_, "snet/" + topology_name_ + "/press/" + button,
                  R"({"id":")" + sent.back() + R"("})");
    if (eventually([&] { return !applied().empty(); }, std::chrono::seconds(1))) return applied();
  }
  return "";
}

}  // namespace snet::test
