#include "engine_plan.hpp"

#include <stdexcept>

namespace snet::kernel {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string missing_for_namespaces(const KernelCapabilities& c) {
  std::vector<std::string> missing;
  if (!c.net_admin) missing.push_back("root or CAP_NET_ADMIN");
  if (!c.netns) missing.push_back("network namespaces");
  if (!c.veth) missing.push_back("veth");
  if (!c.bridge) missing.push_back("bridge");
  return join(missing);
}

}  // namespace

LinksMode parse_links_mode(std::string_view text) {
  if (text == "auto") return LinksMode::automatic;
  if (text == "kernel") return LinksMode::kernel;
  if (text == "process") return LinksMode::process;
  if (text == "off") return LinksMode::off;
  throw std::invalid_argument("'" + std::string(text) +
                              "' is not a links engine (auto, kernel, process or off)");
}

std::string_view to_string(LinksMode mode) {
  switch (mode) {
    case LinksMode::automatic:
      return "auto";
    case LinksMode::kernel:
      return "kernel";
    case LinksMode::process:
      return "process";
    case LinksMode::off:
      return "off";
  }
  return "?";
}

std::string EnginePlan::summary() const {
  if (mode == LinksMode::off) return "off (no emulation)";
  std::string out;
  if (!kernel.empty()) out = "kernel for " + join(kernel);
  if (!process.empty())
    out += (out.empty() ? "" : "; ") + std::string("process for ") + join(process);
  std::string why;
  for (const auto& note : notes) {
    const auto open = note.find('(');
    if (open != std::string::npos)
      why += (why.empty() ? "" : "; ") + note.substr(open + 1, note.size() - open - 2);
  }
  if (!why.empty()) out += " (" + why + ")";
  return out;
}

EnginePlan plan_engines(LinksMode mode, const KernelCapabilities& c) {
  EnginePlan plan;
  plan.mode = mode;
  const std::vector<std::string> all(std::begin(kLinkProperties), std::end(kLinkProperties));
  if (mode == LinksMode::off) {
    plan.notes.push_back("links: off (no emulation: devices talk to the core directly)");
    return plan;
  }
  if (mode == LinksMode::process) {
    plan.process = all;
    return plan;
  }
  if (!c.can_build_namespaces()) {
    const std::string missing = missing_for_namespaces(c);
    if (mode == LinksMode::kernel) {
      throw std::runtime_error("--links kernel needs " + missing +
                               " (use --links process or auto)");
    }
    plan.process = all;
    plan.notes.push_back(join(all) + ": process engine (no kernel engine: needs " + missing + ")");
    return plan;
  }
  plan.namespaces = true;
  auto place = [&](const std::vector<std::string>& properties, bool in_kernel,
                   const std::string& why) {
    auto& to = in_kernel ? plan.kernel : plan.process;
    to.insert(to.end(), properties.begin(), properties.end());
    if (!in_kernel) plan.notes.push_back(join(properties) + ": process engine (" + why + ")");
  };
  // netem would carry latency and jitter; the kernel engine does not drive it yet, so even where
  // it exists they stay with the process engine.
  place({"latency_ms", "jitter_ms"}, false,
        c.netem ? "the kernel engine does not use sch_netem yet" : "this kernel has no sch_netem");
  place({"loss_pct"}, c.iptables_statistic, "no iptables statistic match");
  place({"rate_kbit"}, c.tbf && c.htb, "no tbf/htb qdisc");
  // A site's cut is its veth going down; a device's needs iptables DROP rules.
  place({"up"}, c.iptables_statistic, "no iptables in the namespaces");
  // Keep kLinkProperties order in both lists.
  auto in_order = [&](std::vector<std::string>& list) {
    std::vector<std::string> ordered;
    for (const auto p : kLinkProperties) {
      for (const auto& item : list) {
        if (item == p) ordered.push_back(item);
      }
    }
    list = ordered;
  };
  in_order(plan.kernel);
  in_order(plan.process);
  return plan;
}

}  // namespace snet::kernel
