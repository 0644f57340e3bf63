// Applies the kernel engine's link properties on the namespaces of an AddressPlan and reads
// what went through them.
//
// Where each property goes, for a site S (its uplink) and the devices D of S (their last hop):
// - rate_kbit: on S's veth pair, up on "up0" inside S, down on its outer end in the parent
//   namespace; S's own rate is a tbf at the root, the devices' rates htb classes below it (a
//   u32 filter per device address: source up, destination down); unlimited traffic bypasses.
// - loss_pct: iptables (mangle table of S's namespace) DROP with `-m statistic --mode random`,
//   on every packet leaving through up0 (up) and arriving through it (down); per device by its
//   address.
// - up=false: S's outer veth end goes down (no packet passes, TCP connections stall); a device's
//   cut is a DROP of its address both ways.
// Counters: bytes/packets of a site from its outer veth end (ip -s link), of a device from
// per-address accounting rules; dropped from the DROP rules (and the qdiscs' drops).
// Only the properties the engine plan gives the kernel are applied; the others are left to the
// process engine.
// Thread safety: one thread (snet up's link applier).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "address_plan.hpp"
#include "snet/link.hpp"

namespace snet::kernel {

/// A device address and its rate, for tc_script.
struct AddressRate {
  Ipv4 address;
  double rate_kbit = 0;
};
/// `tc -batch` lines that (re)create `dev`'s root qdisc (after it was deleted): a tbf for
/// `site_rate_kbit` (0: none) with an htb below for `devices` (matched on the source address
/// when `up`, else the destination). Empty when nothing is limited.
std::string tc_script(const std::string& dev, double site_rate_kbit,
                      const std::vector<AddressRate>& devices, bool up);

/// One device's kernel-side state in its site's namespace.
struct DeviceRules {
  std::string id;
  Ipv4 address;
  double loss_pct = 0;
  bool up = true;
};
/// `iptables-restore` input for a site namespace's mangle table: accounting per device, DROP
/// rules for cut devices and for loss (the devices', then the site's `site_loss_pct`).
std::string iptables_script(double site_loss_pct, const std::vector<DeviceRules>& devices);

struct RuleCounters {
  std::uint64_t packets = 0, bytes = 0;
};
/// Our rules' counters by comment, from `iptables-save -c`: each "[packets:bytes] -A SNET_...
/// --comment C ..." line adds to C's; other lines are skipped. Hand-parsed: std::regex took
/// most of a read of campus's 30,000 rules, every 2 s.
std::map<std::string, RuleCounters> parse_rule_counters(std::string_view saved);

class KernelShaper {
 public:
  /// `properties`: what the kernel engine applies (of kLinkProperties).
  KernelShaper(AddressPlan plan, std::vector<std::string> properties);

  /// Sets every link's spec (a site id or a device id) and applies all of it. Returns one error
  /// per failed command (empty: all applied).
  std::vector<std::string> apply_all(const std::map<std::string, LinkSpec>& specs);
  /// Sets one link's whole spec and re-applies its site's uplink. Unknown links are an error.
  std::vector<std::string> apply(const std::string& link, const LinkSpec& spec);

  /// Traffic of every link so far (each site's uplink and each device's last hop).
  std::map<std::string, LinkTraffic> traffic();
  const AddressPlan& plan() const { return plan_; }
  const std::vector<std::string>& properties() const { return properties_; }

 private:
  bool carries(const std::string& property) const { return carried_.count(property) > 0; }
  // Re-applies site `index`'s qdiscs, rules and link state from specs_.
  std::vector<std::string> apply_site(std::size_t index);
  std::string parent_netns(const SitePlan& site) const;
  // Adds the current DROP/accounting counters of site `index` to dropped_base_ (before the rules
  // are replaced and the counters start again at 0).
  void keep_counters(std::size_t index);
  // comment -> counters, from `iptables-save -c` of a namespace.
  std::map<std::string, RuleCounters> read_rules(const std::string& netns);

  AddressPlan plan_;
  std::vector<std::string> properties_;
  std::set<std::string> carried_;
  std::map<std::string, LinkSpec> specs_;
  // Per namespace and rule comment: the counts of rules since replaced.
  std::map<std::string, std::map<std::string, RuleCounters>> counter_base_;
  std::map<std::size_t, bool> site_up_;  // the outer ends' state as last set
};

}  // namespace snet::kernel
