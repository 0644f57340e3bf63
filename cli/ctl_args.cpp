#include "ctl_args.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <string_view>

#include <nlohmann/json.hpp>

#include "snet/flags.hpp"

namespace snet::cli {
namespace {

constexpr std::string_view kServiceVerbs[] = {"stop", "start", "restart",
                                              "kill", "pause", "resume"};
constexpr std::string_view kDeviceVerbs[] = {"offline", "online", "crash", "freeze", "reconnect"};

template <std::size_t N>
bool one_of(const std::string& word, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), word) != std::end(list);
}

template <std::size_t N>
std::string joined(const std::string_view (&list)[N]) {
  std::string out;
  for (auto w : list) out += (out.empty() ? "" : "|") + std::string(w);
  return out;
}

// Names and ids end up in a URL path: keep them to what our ids are made of.
void check_name(const std::string& what, const std::string& name) {
  const bool ok =
      !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
      });
  if (!ok) throw UsageError(what + " '" + name + "' is not a valid name");
}

}  // namespace

std::chrono::milliseconds parse_ctl_duration(const std::string& text) {
  std::size_t end = 0;
  double value = 0;
  try {
    value = std::stod(text, &end);
  } catch (const std::exception&) {
    end = 0;
  }
  const std::string unit = text.substr(end);
  double factor = 0;
  if (unit.empty() || unit == "ms") factor = 1;
  if (unit == "s") factor = 1000;
  if (unit == "m") factor = 60'000;
  if (end == 0 || factor == 0 || !std::isfinite(value) || value < 0 ||
      value * factor > 86'400'000) {
    throw UsageError("--for: '" + text + "' is not a duration like 2s, 500ms or 1m (at most 24 h)");
  }
  return std::chrono::milliseconds(static_cast<long long>(std::llround(value * factor)));
}

CtlRequest parse_ctl_command(const std::vector<std::string>& words, const std::string& for_text,
                             const std::string& kind) {
  if (words.empty()) throw UsageError("say what to control (see --help)");
  const std::string& first = words[0];
  auto no_extra_flags = [&](bool allow_for, bool allow_kind) {
    if (!for_text.empty() && !allow_for) throw UsageError("--for applies to device faults only");
    if (!kind.empty() && !allow_kind) throw UsageError("--kind applies to storm only");
  };
  if (first == "services") {
    if (words.size() != 1) throw UsageError("`services` takes no arguments");
    no_extra_flags(false, false);
    return {"GET", "/api/services", "", CtlRequest::Shows::services};
  }
  if (first == "device") {
    if (words.size() != 3) {
      throw UsageError("usage: snet ctl device ID " + joined(kDeviceVerbs) + " [--for 2s]");
    }
    check_name("device", words[1]);
    const std::string& verb = words[2];
    if (!one_of(verb, kDeviceVerbs)) {
      throw UsageError("unknown device verb '" + verb + "' (use " + joined(kDeviceVerbs) + ")");
    }
    no_extra_flags(true, false);
    std::string path = "/api/devices/" + words[1] + "/" + verb;
    if (!for_text.empty()) {
      if (verb == "online" || verb == "reconnect") {
        throw UsageError("--for applies to offline, crash and freeze, not " + verb);
      }
      path += "?duration_ms=" + std::to_string(parse_ctl_duration(for_text).count());
    }
    return {"POST", path, "", CtlRequest::Shows::fault};
  }
  if (first == "storm") {
    no_extra_flags(false, true);
    nlohmann::json body = nlohmann::json::object();
    if (!kind.empty()) {
      if (words.size() != 1) throw UsageError("give device ids or --kind, not both");
      if (kind != "actuator" && kind != "button" && kind != "sensor") {
        throw UsageError("--kind: '" + kind + "' is not actuator, button or sensor");
      }
      body["kind"] = kind;
    } else if (words.size() == 1) {
      body["devices"] = "*";
    } else {
      body["devices"] = nlohmann::json::array();
      for (std::size_t i = 1; i < words.size(); ++i) {
        check_name("device", words[i]);
        body["devices"].push_back(words[i]);
      }
    }
    return {"POST", "/api/faults/storm", body.dump(), CtlRequest::Shows::fault};
  }
  // SERVICE VERB
  if (words.size() != 2) {
    throw UsageError("unknown command '" + first + "': use services, device, storm, or SERVICE " +
                     joined(kServiceVerbs));
  }
  check_name("service", first);
  if (!one_of(words[1], kServiceVerbs)) {
    throw UsageError("unknown service verb '" + words[1] + "' (use " + joined(kServiceVerbs) + ")");
  }
  no_extra_flags(false, false);
  return {"POST", "/api/services/" + first + "/" + words[1], "", CtlRequest::Shows::service};
}

}  // namespace snet::cli
