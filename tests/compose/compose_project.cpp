#include "compose_project.hpp"

#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "snet/net.hpp"

namespace snet::test {
using namespace std::chrono_literals;

CommandResult run_command(const std::string& command, std::chrono::seconds limit) {
  const std::string full = "timeout --kill-after=10 " + std::to_string(limit.count()) + " sh -c " +
                           shell_quote(command) + " 2>&1";
  CommandResult result;
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(full.c_str(), "r"), ::pclose);
  if (!pipe) return result;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) {
    result.output.append(buffer.data(), n);
  }
  const int status = ::pclose(pipe.release());
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string shell_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string image_tag() {
  const char* tag = std::getenv("SNET_COMPOSE_TEST_TAG");
  return tag != nullptr && *tag != '\0' ? tag : "compose-test";
}

std::vector<std::string> remove_stale_projects(const std::string& prefix,
                                               const std::string& compose_file) {
  const std::string listed =
      run_command("docker ps -a --format '{{.Label \"com.docker.compose.project\"}}'", 60s).output;
  std::set<std::string> stale;
  std::istringstream lines(listed);
  for (std::string name; std::getline(lines, name);) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(std::stoi(pid), 0) != 0 && errno == ESRCH) stale.insert(name);
  }
  for (const auto& name : stale) {
    run_command("docker-compose -p " + shell_quote(name) + " -f " + shell_quote(compose_file) +
                    " down -v --remove-orphans --timeout 5",
                180s);
  }
  return {stale.begin(), stale.end()};
}

ComposeProject::ComposeProject(std::string name, std::vector<std::string> files)
    : name_(std::move(name)), files_(std::move(files)) {
  ports_.dashboard = free_port();
  ports_.mqtt = free_port();
  ports_.amqp = free_port();
  ports_.rabbitmq_mqtt = free_port();
  ports_.whisk = free_port();
}

ComposeProject::~ComposeProject() {
  if (!down_) {
    const std::string problem = down();
    if (!problem.empty()) std::cerr << "compose test: down -v failed:\n" << problem << "\n";
  }
}

CommandResult ComposeProject::compose(const std::string& args, std::chrono::seconds limit) const {
  // Every variable the compose file reads is set here or unset, so that nothing from the
  // caller's environment changes what is tested.
  std::string command =
      "env -u OPENWHISK_APIHOST -u OPENWHISK_AUTH -u OPENWHISK_NAMESPACE -u OPENWHISK_INSECURE"
      " -u SNET_BROKER_URL -u COMPOSE_FILE -u COMPOSE_PROJECT_NAME"
      " -u SNET_BROKER_PASSWORD_FILE -u SNET_DEVICE_CREDENTIALS_FILE -u SNET_HTTP_AUTH"
      " SNET_TOPOLOGY=topology/single.json SNET_LOG_LEVEL=info SNET_BIND_ADDRESS=127.0.0.1"
      " SNET_IMAGE_TAG=" +
      shell_quote(image_tag());
  command += " SNET_DASHBOARD_PORT=" + std::to_string(ports_.dashboard) +
             " SNET_MQTT_PORT=" + std::to_string(ports_.mqtt) +
             " SNET_AMQP_PORT=" + std::to_string(ports_.amqp) +
             " SNET_RABBITMQ_MQTT_PORT=" + std::to_string(ports_.rabbitmq_mqtt) +
             " SNET_WHISK_PORT=" + std::to_string(ports_.whisk);
  // After the defaults: env takes the last of a name.
  for (const auto& [name, value] : variables_) command += " " + name + "=" + shell_quote(value);
  command += " docker-compose --ansi never -p " + shell_quote(name_);
  for (const auto& file : files_) command += " -f " + shell_quote(file);
  return run_command(command + " " + args, limit);
}

std::string ComposeProject::container(const std::string& service) const {
  std::string id = compose("ps -q " + shell_quote(service), 30s).output;
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id.find_first_of(" \n") == std::string::npos ? id : "";
}

std::string ComposeProject::health(const std::string& service) const {
  const std::string id = container(service);
  if (id.empty()) return "no container";
  std::string state =
      run_command(
          "docker inspect -f '{{if ne .State.Status \"running\"}}{{.State.Status}}"
          "{{else if .State.Health}}{{.State.Health.Status}}{{else}}running{{end}}' " +
              id,
          30s)
          .output;
  while (!state.empty() && state.back() == '\n') state.pop_back();
  return state;
}

std::vector<std::string> ComposeProject::wait_healthy(const std::vector<std::string>& services,
                                                      std::chrono::seconds limit) const {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    std::vector<std::string> not_healthy;
    for (const auto& service : services) {
      const std::string state = health(service);
      if (state != "healthy") not_healthy.push_back(service + ": " + state);
    }
    if (not_healthy.empty() || std::chrono::steady_clock::now() >= deadline) return not_healthy;
    // Docker exposes health only by inspection; its checks run every few seconds anyway.
    std::this_thread::sleep_for(500ms);
  }
}

std::string ComposeProject::leftovers() const {
  const std::string filter = "--filter label=com.docker.compose.project=" + shell_quote(name_);
  return run_command("docker ps -aq " + filter + "; docker network ls -q " + filter +
                         "; docker volume ls -q " + filter,
                     60s)
      .output;
}

std::string ComposeProject::logs(int tail_lines) const {
  return compose("logs --no-color --tail=" + std::to_string(tail_lines), 60s).output;
}

std::string ComposeProject::down() {
  const CommandResult result = compose("down -v --remove-orphans --timeout 20", 180s);
  down_ = result.status == 0;
  return down_ ? "" : result.output;
}

LogsOnFailure::~LogsOnFailure() {
  if (std::uncaught_exceptions() > 0) {
    std::cout << "---- docker-compose logs (end) ----\n" << project.logs() << std::endl;
  }
}

}  // namespace snet::test
