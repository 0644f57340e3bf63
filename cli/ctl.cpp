// snet ctl: live control of a running stack through the state service's control API
// (docs/api.md, "Control"): services via the supervisor of `snet up`, device faults via the
// agents. Prints what happened; an API error is printed as the API worded it.
#include <iomanip>
#include <iostream>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "ctl_args.hpp"
#include "snet/flags.hpp"
#include "state_client.hpp"

namespace snet::cli {
namespace {

constexpr const char* kSummary =
    "Live control of a running stack (through the state service's API).\n"
    "\n"
    "  snet ctl services                       the supervised services and their state\n"
    "  snet ctl SERVICE stop|start|restart|kill|pause|resume\n"
    "                                          e.g. `snet ctl relayer kill` (SIGKILL; the\n"
    "                                          supervisor restarts it per its policy)\n"
    "  snet ctl device ID offline|online|crash|freeze|reconnect [--for 2s]\n"
    "                                          a device fault; --for: back online after it\n"
    "  snet ctl storm [ID...|--kind actuator]  every listed device (default: all) reconnects\n"
    "\n"
    "The state service is found at --url, else $SNET_URL, else the http_url of\n"
    "<data-dir>/run.json, written by the `snet up` running with that data dir.\n"
    "Exit status: 0 done, 1 the API refused or did not answer, 2 usage error.";

std::string text_of(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

void print_services(const nlohmann::json& body) {
  std::cout << std::left << std::setw(12) << "SERVICE" << std::setw(10) << "STATE" << std::setw(9)
            << "PID" << std::setw(10) << "RESTARTS"
            << "LAST EXIT\n";
  for (const auto& s : body.value("services", nlohmann::json::array())) {
    if (!s.is_object()) continue;
    std::cout << std::setw(12) << text_of(s.value("name", nlohmann::json())) << std::setw(10)
              << text_of(s.value("state", nlohmann::json())) << std::setw(9)
              << text_of(s.value("pid", nlohmann::json())) << std::setw(10)
              << text_of(s.value("restarts", nlohmann::json()))
              << text_of(s.value("last_exit", nlohmann::json())) << "\n";
  }
}

void print_result(const CtlRequest& request, const nlohmann::json& body) {
  switch (request.shows) {
    case CtlRequest::Shows::services:
      print_services(body);
      return;
    case CtlRequest::Shows::service: {
      const auto s = body.value("service", nlohmann::json::object());
      if (body.contains("note")) {  // the state service itself: asked, not yet done
        std::cout << text_of(s.value("name", nlohmann::json())) << ": "
                  << text_of(body.value("action", nlohmann::json())) << " asked ("
                  << text_of(body["note"]) << ")  "
                  << text_of(body.value("fault_id", nlohmann::json())) << "\n";
        return;
      }
      std::cout << text_of(s.value("name", nlohmann::json())) << ": "
                << text_of(s.value("state", nlohmann::json())) << " (pid "
                << text_of(s.value("pid", nlohmann::json())) << ", restarts "
                << text_of(s.value("restarts", nlohmann::json())) << ")";
      if (body.contains("fault_id")) std::cout << "  " << text_of(body["fault_id"]);
      std::cout << "\n";
      return;
    }
    case CtlRequest::Shows::fault: {
      std::cout << text_of(body.value("action", nlohmann::json())) << " sent";
      if (body.contains("device")) std::cout << " to " << text_of(body["device"]);
      if (body.contains("devices")) std::cout << " to " << text_of(body["devices"]) << " devices";
      if (body.contains("duration_ms")) {
        std::cout << ", back online after " << text_of(body["duration_ms"]) << " ms";
      }
      std::cout << "  " << text_of(body.value("fault_id", nlohmann::json())) << "\n";
      return;
    }
  }
}

}  // namespace

int ctl_command(int argc, const char* const* argv, int first) {
  Flags flags("snet ctl COMMAND", kSummary);
  flags
      .add("url", "SNET_URL", "",
           "the state service's base URL (default: the running snet up's, from its run.json)")
      .add("data-dir", "SNET_DATA_DIR", "data", "the data dir of the running `snet up`")
      .add("for", "", "", "device faults: go back online after this long (2s, 500ms, 1m)")
      .add("kind", "", "", "storm: every device of this kind (actuator, button or sensor)")
      .add("timeout-ms", "", "10000", "how long to wait for the state service");
  CtlRequest request;
  std::chrono::milliseconds timeout{};
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    request = parse_ctl_command(flags.positional(), flags.str("for"), flags.str("kind"));
    timeout = std::chrono::milliseconds(flags.integer("timeout-ms", 1, 600'000));
  } catch (const UsageError& e) {
    std::cerr << "snet ctl: " << e.what() << "\n";
    return 2;
  }
  const auto found = state_service_url(flags, "snet ctl", std::cerr);
  if (!found) return 1;
  const std::string& base = *found;
  const auto body =
      call_state_api("snet ctl", request.method, base, request.path, request.body, timeout,
                     std::cerr, state_api_headers(flags, "snet ctl", std::cerr));
  if (!body) return 1;
  print_result(request, *body);
  return 0;
}

}  // namespace snet::cli
