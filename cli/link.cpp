// snet link: the emulated network's links at run time, through the state service's API
// (docs/api.md, "Links"): list them, show one, or change one (a partial update: only the
// properties given change; the change is recorded as a `fault` event).
#include <iostream>

#include "commands.hpp"
#include "link_args.hpp"
#include "snet/flags.hpp"
#include "state_client.hpp"

namespace snet::cli {
namespace {

using nlohmann::json;

constexpr const char* kSummary =
    "The emulated network's links (sites' uplinks, devices' last hops) at run time.\n"
    "\n"
    "  snet link                      every link: kind, parent, effective spec, engines, traffic\n"
    "  snet link ID                   one link in detail (file spec, effective spec, engines)\n"
    "  snet link ID [--latency 50ms] [--jitter 5ms] [--loss 2%] [--rate 128kbit|2mbit|none]\n"
    "               [--down|--up] [--seed N]\n"
    "                                 change the link: only what is given changes, the rest\n"
    "                                 stays; --down cuts it (a partition), --up restores it\n"
    "\n"
    "Units: latency and jitter in ms (50ms, 1.5s; a bare number is ms), loss in % (2%, 0.5),\n"
    "rate in bit/kbit/mbit/gbit per second (k = 1000; none: no limit).\n"
    "The state service is found at --url, else $SNET_URL, else the http_url of\n"
    "<data-dir>/run.json, written by the `snet up` running with that data dir.\n"
    "Exit status: 0 done, 1 the API refused or did not answer, 2 usage error.";

std::string text(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "-";
  return v.dump();
}

std::string kind_cell(const json& link) {
  std::string kind =
      link.value("kind", "") == "site" ? "site" : link.value("device_kind", "device");
  if (link.contains("online") && link["online"] == false) kind += " (offline)";
  return kind;
}

void print_table(const json& body) {
  if (!body.value("emulated", false)) {
    std::cout << text(body.value("hint", json("this topology does not emulate a network"))) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows = {
      {"LINK", "KIND", "PARENT", "SPEC", "ENGINES", "TRAFFIC"}};
  for (const auto& l : body.value("links", json::array())) {
    const std::string parent = l.value("parent", std::string());
    rows.push_back({text(l.value("id", json())), kind_cell(l), parent.empty() ? "core" : parent,
                    link_spec_cell(l.value("spec", json())),
                    link_engines_cell(l.value("engines", json())),
                    link_traffic_cell(l.value("traffic", json()))});
  }
  std::cout << text_table(rows);
  for (const auto& note : body.value("notes", json::array())) {
    std::cout << "note: " << text(note.value("reporter", json())) << ": "
              << text(note.value("note", json())) << "\n";
  }
}

int show_one(const json& body, const std::string& id) {
  for (const auto& l : body.value("links", json::array())) {
    if (l.value("id", "") != id) continue;
    const std::string parent = l.value("parent", std::string());
    std::cout << id << ": " << kind_cell(l) << " on " << (parent.empty() ? "core" : parent)
              << "\n  spec     " << link_spec_cell(l.value("spec", json())) << "  "
              << l.value("spec", json::object()).dump() << "\n  file     "
              << link_spec_cell(l.value("file", json())) << "  "
              << l.value("file", json::object()).dump() << "\n  engines  "
              << link_engines_cell(l.value("engines", json())) << "\n  traffic  "
              << link_traffic_cell(l.value("traffic", json())) << "\n";
    if (l.contains("devices")) std::cout << "  devices  " << l["devices"].dump() << "\n";
    const json update = l.value("update", json());
    if (update.is_object())
      std::cout << "  changed  by " << text(update.value("id", json())) << "\n";
    return 0;
  }
  std::cerr << "snet link: unknown link '" << id << "'\n";
  return 1;
}

}  // namespace

int link_command(int argc, const char* const* argv, int first) {
  Flags flags("snet link [ID] [--latency T] [--jitter T] [--loss P] [--rate R] [--down|--up]",
              kSummary);
  flags
      .add("url", "SNET_URL", "",
           "the state service's base URL (default: the running snet up's, from its run.json)")
      .add("data-dir", "SNET_DATA_DIR", "data", "the data dir of the running `snet up`")
      .add("latency", "", "", "latency per crossing: 50ms, 1.5s")
      .add("jitter", "", "", "jitter (±) per crossing: 5ms")
      .add("loss", "", "", "packet loss: 2%")
      .add("rate", "", "", "rate limit per direction: 128kbit, 2mbit; none: no limit")
      .add_switch("down", "", "cut the link (no bytes pass either way)")
      .add_switch("up", "", "restore a cut link")
      .add("seed", "", "", "seed of the link's random parts (jitter, loss)")
      .add("timeout-ms", "", "10000", "how long to wait for the state service");
  json patch;
  std::chrono::milliseconds timeout{};
  std::string id;
  try {
    if (!flags.parse(argc, argv, first)) return 0;
    const auto& words = flags.positional();
    if (words.size() > 1) {
      throw UsageError("give one link id, not " + std::to_string(words.size()) + " (" + words[1] +
                       "...)");
    }
    if (!words.empty()) id = words.front();
    patch = link_patch({flags.str("latency"), flags.str("jitter"), flags.str("loss"),
                        flags.str("rate"), flags.str("seed"), flags.on("down"), flags.on("up")});
    if (id.empty() && !patch.empty()) {
      throw UsageError("which link? give its id first, e.g. `snet link building-a --down`");
    }
    timeout = std::chrono::milliseconds(flags.integer("timeout-ms", 1, 600'000));
  } catch (const UsageError& e) {
    std::cerr << "snet link: " << e.what() << "\n";
    return 2;
  }
  const auto found = state_service_url(flags, "snet link", std::cerr);
  if (!found) return 1;
  const std::string& base = *found;
  if (patch.empty()) {
    const auto body =
        call_state_api("snet link", "GET", base, "/api/links", "", timeout, std::cerr);
    if (!body) return 1;
    if (id.empty()) {
      print_table(*body);
      return 0;
    }
    return show_one(*body, id);
  }
  const auto body =
      call_state_api("snet link", "PUT", base, "/api/links/" + id, patch.dump(), timeout, std::cerr,
                     state_api_headers(flags, "snet link", std::cerr));
  if (!body) return 1;
  std::cout << id << ": " << text(body->value("detail", json())) << "  "
            << text(body->value("fault_id", json())) << "\n  now "
            << link_spec_cell(body->value("spec", json())) << "\n";
  return 0;
}

}  // namespace snet::cli
