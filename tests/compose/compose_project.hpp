// A docker-compose project run by a test: the top-level docker-compose.yml (plus overrides) under
// a unique project name, with its published ports on free loopback ports, so it runs beside
// anything else. Drives the `docker-compose` (v1) and `docker` command-line clients, exactly as a
// user would. The destructor takes the project down (containers, network, volumes).
// Thread safety: none; use from one thread.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace snet::test {

struct CommandResult {
  int status = -1;     // exit status; 124 when the time limit ended it
  std::string output;  // stdout and stderr together
};

/// Runs `command` with /bin/sh, ended after `limit` (coreutils `timeout`).
CommandResult run_command(const std::string& command, std::chrono::seconds limit);
/// `text` as one single-quoted shell word.
std::string shell_quote(const std::string& text);

/// The tag of the images the test builds and runs: $SNET_COMPOSE_TEST_TAG, else "compose-test"
/// (another tag keeps a second checkout's run from replacing the images of one in progress).
std::string image_tag();

/// Takes down the projects `<prefix><pid>` whose test process is gone (killed by a time limit
/// before its destructor ran), so that they do not pile up; returns their names.
std::vector<std::string> remove_stale_projects(const std::string& prefix,
                                               const std::string& compose_file);

class ComposeProject {
 public:
  struct Ports {
    int dashboard = 0, mqtt = 0, amqp = 0, rabbitmq_mqtt = 0, whisk = 0;
  };

  /// `files`: compose files, the first one decides the project folder.
  ComposeProject(std::string name, std::vector<std::string> files);
  ~ComposeProject();
  ComposeProject(const ComposeProject&) = delete;
  ComposeProject& operator=(const ComposeProject&) = delete;

  const std::string& name() const { return name_; }
  const Ports& ports() const { return ports_; }
  void set_files(std::vector<std::string> files) { files_ = std::move(files); }
  /// A compose variable of this project: replaces the default given to every project (e.g.
  /// SNET_TOPOLOGY) or adds one (an override file's own).
  void set_variable(const std::string& name, std::string value) {
    variables_[name] = std::move(value);
  }

  /// `docker-compose <args>` for this project, with its variables.
  CommandResult compose(const std::string& args,
                        std::chrono::seconds limit = std::chrono::seconds(180)) const;
  /// The container of a service ("" when it has none).
  std::string container(const std::string& service) const;
  /// "healthy", "starting", "unhealthy", "exited", ... or "no container".
  std::string health(const std::string& service) const;
  /// Waits until every service is healthy; returns "service: state" of those that are not.
  std::vector<std::string> wait_healthy(const std::vector<std::string>& services,
                                        std::chrono::seconds limit) const;
  /// The containers, networks and volumes labelled with this project, one per line.
  std::string leftovers() const;
  /// The end of every service's log (for a failing test's output).
  std::string logs(int tail_lines = 400) const;
  /// down -v; returns what it printed (empty when it succeeded).
  std::string down();

 private:
  std::string name_;
  std::vector<std::string> files_;
  std::map<std::string, std::string> variables_;
  Ports ports_;
  bool down_ = false;
};

/// Prints the end of the project's logs when a REQUIRE ends the test (an exception unwinds).
struct LogsOnFailure {
  const ComposeProject& project;
  ~LogsOnFailure();
};

}  // namespace snet::test
