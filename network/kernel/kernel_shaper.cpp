#include "kernel_shaper.hpp"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "tool.hpp"

namespace snet::kernel {
namespace {

// Devices whose addresses share all but these low bits share an accounting chain (64 each).
constexpr int kAccountingBlockBits = 6;

// Enough burst for ~20 ms of the rate, never less than two full-size frames.
long burst_bytes(double rate_kbit) {
  return std::max(3200L, static_cast<long>(rate_kbit * 1000 / 8 / 50));
}

std::string kbit(double rate) {
  char text[32];
  std::snprintf(text, sizeof text, "%.0fkbit", std::max(rate, 1.0));
  return text;
}

std::string probability(double loss_pct) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", std::clamp(loss_pct / 100, 0.0, 1.0));
  return text;
}

std::uint64_t number(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

}  // namespace

std::string tc_script(const std::string& dev, double site_rate_kbit,
                      const std::vector<AddressRate>& devices, bool up) {
  std::ostringstream out;
  std::string htb_parent = "root";
  if (site_rate_kbit > 0) {
    out << "qdisc add dev " << dev << " root handle 1: tbf rate " << kbit(site_rate_kbit)
        << " burst " << burst_bytes(site_rate_kbit) << " latency 200ms\n";
    htb_parent = "parent 1:1";
  }
  std::vector<AddressRate> limited;
  for (const auto& d : devices) {
    if (d.rate_kbit > 0) limited.push_back(d);
  }
  if (limited.empty()) return out.str();
  // Unclassified traffic (other devices, child sites) goes to the non-existent default class
  // ffff: htb sends it unshaped.
  out << "qdisc add dev " << dev << " " << htb_parent << " handle 10: htb default ffff\n";
  int minor = 1;
  for (const auto& d : limited) {
    char classid[16];
    std::snprintf(classid, sizeof classid, "10:%x", minor++);
    const long burst = burst_bytes(d.rate_kbit);
    out << "class add dev " << dev << " parent 10: classid " << classid << " htb rate "
        << kbit(d.rate_kbit) << " ceil " << kbit(d.rate_kbit) << " burst " << burst << " cburst "
        << burst << " quantum 1514\n"
        << "filter add dev " << dev << " parent 10: protocol ip prio 1 u32 match ip "
        << (up ? "src " : "dst ") << d.address.str() << "/32 flowid " << classid << "\n";
  }
  return out.str();
}

std::string iptables_script(double site_loss_pct, const std::vector<DeviceRules>& devices) {
  // Each device's accounting rules sit in a chain of their address block, which the main chains
  // jump to by prefix: a packet walks ~N/64 + 64 rules instead of N (thousands of devices per
  // site made netfilter's rule walk half of the agents' CPU while they connected).
  std::map<std::uint32_t, std::vector<const DeviceRules*>> blocks;  // address >> 6 -> devices
  for (const auto& d : devices) blocks[d.address.value >> kAccountingBlockBits].push_back(&d);
  std::ostringstream out;
  out << "*mangle\n"
      << ":PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n"
      << ":OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
      << ":SNET_UP - [0:0]\n:SNET_DOWN - [0:0]\n";
  for (std::size_t n = 0; n < blocks.size(); ++n) {
    out << ":SNET_UP_" << n << " - [0:0]\n:SNET_DOWN_" << n << " - [0:0]\n";
  }
  out << "-A PREROUTING -i " << kUplinkInterface << " -j SNET_DOWN\n"
      << "-A POSTROUTING -o " << kUplinkInterface << " -j SNET_UP\n";
  auto rule = [&](const std::string& chain, const std::string& match, const std::string& comment,
                  const std::string& tail) {
    out << "-A " << chain << match << " -m comment --comment " << comment << tail << "\n";
  };
  for (const auto& d : devices) {
    if (d.up) continue;
    rule("SNET_UP", " -s " + d.address.str() + "/32", "cut-up:" + d.id, " -j DROP");
    rule("SNET_DOWN", " -d " + d.address.str() + "/32", "cut-down:" + d.id, " -j DROP");
  }
  for (const auto& d : devices) {
    if (d.loss_pct <= 0) continue;
    const std::string random =
        " -m statistic --mode random --probability " + probability(d.loss_pct);
    rule("SNET_UP", " -s " + d.address.str() + "/32" + random, "loss-up:" + d.id, " -j DROP");
    rule("SNET_DOWN", " -d " + d.address.str() + "/32" + random, "loss-down:" + d.id, " -j DROP");
  }
  if (site_loss_pct > 0) {
    const std::string random =
        " -m statistic --mode random --probability " + probability(site_loss_pct);
    rule("SNET_UP", random, "loss-up:", " -j DROP");
    rule("SNET_DOWN", random, "loss-down:", " -j DROP");
  }
  // What passed, per device (after the drops).
  std::size_t n = 0;
  for (const auto& [block, members] : blocks) {
    const std::string up = "SNET_UP_" + std::to_string(n), down = "SNET_DOWN_" + std::to_string(n);
    const std::string prefix =
        Ipv4{block << kAccountingBlockBits}.str() + "/" + std::to_string(32 - kAccountingBlockBits);
    out << "-A SNET_UP -s " << prefix << " -j " << up << "\n"
        << "-A SNET_DOWN -d " << prefix << " -j " << down << "\n";
    for (const DeviceRules* d : members) {
      rule(up, " -s " + d->address.str() + "/32", "acct-up:" + d->id, "");
      rule(down, " -d " + d->address.str() + "/32", "acct-down:" + d->id, "");
    }
    ++n;
  }
  out << "COMMIT\n";
  return out.str();
}

KernelShaper::KernelShaper(AddressPlan plan, std::vector<std::string> properties)
    : plan_(std::move(plan)),
      properties_(std::move(properties)),
      carried_(properties_.begin(), properties_.end()) {
  for (std::size_t i = 0; i < plan_.sites.size(); ++i) site_up_[i] = true;
}

std::string KernelShaper::parent_netns(const SitePlan& site) const {
  return site.parent < 0 ? "" : plan_.sites[static_cast<std::size_t>(site.parent)].netns;
}

std::vector<std::string> KernelShaper::apply_all(const std::map<std::string, LinkSpec>& specs) {
  std::vector<std::string> errors;
  for (const auto& [link, spec] : specs) {
    if (plan_.site_index(link) < 0 && plan_.devices.count(link) == 0) {
      errors.push_back("unknown link '" + link + "'");
      continue;
    }
    specs_[link] = spec;
  }
  for (std::size_t i = 0; i < plan_.sites.size(); ++i) {
    const auto site_errors = apply_site(i);
    errors.insert(errors.end(), site_errors.begin(), site_errors.end());
  }
  return errors;
}

std::vector<std::string> KernelShaper::apply(const std::string& link, const LinkSpec& spec) {
  int index = link.empty() ? -1 : plan_.site_index(link);
  if (index < 0) {
    const auto device = plan_.devices.find(link);
    if (device == plan_.devices.end()) return {"unknown link '" + link + "'"};
    index = device->second.site;
  }
  specs_[link] = spec;
  return apply_site(static_cast<std::size_t>(index));
}

std::vector<std::string> KernelShaper::apply_site(std::size_t index) {
  const SitePlan& site = plan_.sites[index];
  const LinkSpec site_spec = site.site.empty() ? LinkSpec{} : specs_[site.site];
  std::vector<std::string> errors;
  auto run = [&](const std::vector<std::string>& argv) {
    const ToolResult result = run_tool(argv);
    if (!result.ok()) errors.push_back(describe(argv, result));
  };
  auto in = [](const std::string& netns, std::vector<std::string> argv) {
    if (!netns.empty()) argv.insert(argv.begin() + 1, {"-n", netns});
    return argv;
  };
  const std::string outer_ns = parent_netns(site);

  if (carries("rate_kbit")) {
    std::vector<AddressRate> rates;
    for (const auto& id : site.devices)
      rates.push_back({plan_.devices.at(id).address, specs_[id].rate()});
    struct End {
      std::string netns, dev;
      bool up;
    };
    for (const End& end :
         {End{site.netns, kUplinkInterface, true}, End{outer_ns, site.outer_if, false}}) {
      run_tool(in(end.netns, {"tc", "qdisc", "del", "dev", end.dev, "root"}));  // none: fine
      const std::string script = tc_script(end.dev, site_spec.rate(), rates, end.up);
      if (script.empty()) continue;
      const auto argv = in(end.netns, {"tc", "-batch"});
      const ToolResult result = run_script(argv, script);
      if (!result.ok()) errors.push_back(describe(argv, result));
    }
  }
  if (carries("loss_pct") || carries("up")) {
    std::vector<DeviceRules> devices;
    for (const auto& id : site.devices) {
      const LinkSpec& spec = specs_[id];
      devices.push_back({id, plan_.devices.at(id).address, carries("loss_pct") ? spec.loss() : 0,
                         carries("up") ? spec.is_up() : true});
    }
    keep_counters(index);
    const std::vector<std::string> argv = {"ip", "netns", "exec", site.netns, "iptables-restore"};
    const ToolResult result =
        run_script(argv, iptables_script(carries("loss_pct") ? site_spec.loss() : 0, devices));
    if (!result.ok()) errors.push_back(describe(argv, result));
  }
  if (carries("up") && !site.site.empty()) {
    const bool up = site_spec.is_up();
    if (site_up_[index] != up) {
      run(in(outer_ns, {"ip", "link", "set", site.outer_if, up ? "up" : "down"}));
      site_up_[index] = up;
    }
  }
  return errors;
}

std::map<std::string, RuleCounters> parse_rule_counters(std::string_view saved) {
  std::map<std::string, RuleCounters> found;
  // A number at the front of `text`, which it then no longer holds.
  auto take_uint = [](std::string_view& text, std::uint64_t& value) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc()) return false;
    text.remove_prefix(static_cast<std::size_t>(end - text.data()));
    return true;
  };
  auto take_prefix = [](std::string_view& text, std::string_view prefix) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    text.remove_prefix(prefix.size());
    return true;
  };
  constexpr std::string_view kComment = "--comment ";
  while (!saved.empty()) {
    const std::size_t eol = saved.find('\n');
    std::string_view line = saved.substr(0, eol);
    saved.remove_prefix(eol == std::string_view::npos ? saved.size() : eol + 1);
    RuleCounters counters;
    if (!take_prefix(line, "[") || !take_uint(line, counters.packets) || !take_prefix(line, ":") ||
        !take_uint(line, counters.bytes) || !take_prefix(line, "] -A SNET_")) {
      continue;
    }
    const std::size_t at = line.find(kComment);
    if (at == std::string_view::npos) continue;
    line.remove_prefix(at + kComment.size());
    take_prefix(line, "\"");
    const std::string_view comment = line.substr(0, line.find_first_of("\" "));
    if (comment.empty()) continue;
    auto& sum = found[std::string(comment)];
    sum.packets += counters.packets;
    sum.bytes += counters.bytes;
  }
  return found;
}

std::map<std::string, RuleCounters> KernelShaper::read_rules(const std::string& netns) {
  const ToolResult result =
      run_tool({"ip", "netns", "exec", netns, "iptables-save", "-c", "-t", "mangle"});
  if (!result.ok()) return {};
  return parse_rule_counters(result.output);
}

void KernelShaper::keep_counters(std::size_t index) {
  auto& base = counter_base_[plan_.sites[index].netns];
  for (const auto& [comment, counters] : read_rules(plan_.sites[index].netns)) {
    base[comment].packets += counters.packets;
    base[comment].bytes += counters.bytes;
  }
}

std::map<std::string, LinkTraffic> KernelShaper::traffic() {
  std::map<std::string, LinkTraffic> links;
  // Interface counters per namespace ("" the root), read once each.
  std::map<std::string, nlohmann::json> interfaces;
  auto interface_stats = [&](const std::string& netns, const std::string& dev) -> nlohmann::json {
    if (!interfaces.count(netns)) {
      std::vector<std::string> argv = {"ip", "-s", "-j", "link", "show"};
      if (!netns.empty()) argv.insert(argv.begin() + 1, {"-n", netns});
      const ToolResult result = run_tool(argv);
      interfaces[netns] = nlohmann::json::parse(result.ok() ? result.output : "[]", nullptr, false);
    }
    for (const auto& entry : interfaces[netns]) {
      if (entry.value("ifname", "") == dev) return entry.value("stats64", nlohmann::json::object());
    }
    return nlohmann::json::object();
  };
  for (const auto& site : plan_.sites) {
    std::map<std::string, RuleCounters> rules = read_rules(site.netns);
    for (const auto& [comment, base] : counter_base_[site.netns]) {
      rules[comment].packets += base.packets;
      rules[comment].bytes += base.bytes;
    }
    auto dropped = [&](const std::string& id) {
      std::uint64_t sum = 0;
      for (const char* kind : {"cut-up:", "cut-down:", "loss-up:", "loss-down:"}) {
        const auto it = rules.find(kind + id);
        if (it != rules.end()) sum += it->second.packets;
      }
      return sum;
    };
    if (!site.site.empty()) {
      LinkTraffic& t = links[site.site];
      t.properties = properties_;
      // The outer end receives what goes up and sends what comes down.
      const auto stats = interface_stats(parent_netns(site), site.outer_if);
      const auto rx = stats.value("rx", nlohmann::json::object());
      const auto tx = stats.value("tx", nlohmann::json::object());
      t.bytes_up = number(rx, "bytes");
      t.packets_up = number(rx, "packets");
      t.bytes_down = number(tx, "bytes");
      t.packets_down = number(tx, "packets");
      t.dropped = dropped("") + number(tx, "dropped") + number(rx, "dropped");
    }
    for (const auto& id : site.devices) {
      LinkTraffic& t = links[id];
      t.properties = properties_;
      const auto up = rules.find("acct-up:" + id);
      const auto down = rules.find("acct-down:" + id);
      if (up != rules.end()) t.bytes_up = up->second.bytes, t.packets_up = up->second.packets;
      if (down != rules.end()) {
        t.bytes_down = down->second.bytes;
        t.packets_down = down->second.packets;
      }
      t.dropped = dropped(id);
    }
  }
  return links;
}

}  // namespace snet::kernel
