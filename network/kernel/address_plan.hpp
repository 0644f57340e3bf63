// The kernel link engine's address plan (pure): which network namespace each site gets, the
// subnet and gateway of each, how they are joined, and each device's own address.
//
// Layout: the root namespace (where the broker and services run) gets a bridge with the core
// address (the broker listens there too). Each site is a namespace joined to its parent's bridge
// (the root's for top-level sites) by a veth pair: "up0" inside, sn<hash>-<n> outside. A site
// with child sites has a bridge "br0" with its gateway address; each device's address sits on
// the site namespace's loopback, and its sockets are made in that namespace bound to it. Devices
// without a site sit in a "core" site (namespace number 0) joined to the root bridge like any
// top-level site, with an ideal uplink.
//
// Names: namespaces snet-<hash>-<n>, interfaces in the root namespace sn<hash>-<n> and
// sn<hash>-br (IFNAMSIZ: at most 15 characters). <hash> (6 hex digits) is derived from an
// instance key (topology name and data dir), so two stacks never share names, and a restarted
// stack finds what a crashed one left.
// Thread safety: plain values.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ipv4.hpp"
#include "snet/topology.hpp"

namespace snet::kernel {

/// Name of the uplink interface inside every site namespace, and of a parent site's bridge.
inline constexpr const char* kUplinkInterface = "up0";
inline constexpr const char* kSiteBridge = "br0";

struct SitePlan {
  std::string site;  // site id; "" for the core site of devices without one
  int number = 0;    // n of snet-<hash>-<n>
  std::string netns;
  int parent = -1;       // index in AddressPlan::sites; -1: the root namespace
  std::string outer_if;  // veth end in the parent's namespace, on the parent's bridge
  Ipv4 uplink_address;   // up0's, in the parent's subnet
  Ipv4 parent_gateway;   // the parent's bridge address (default route)
  Ipv4Net subnet;        // this site's devices and its child sites' uplinks
  Ipv4 gateway;          // br0's (when it has child sites)
  bool has_children = false;
  std::vector<std::string> devices;          // of this site itself, in topology order
  std::string link() const { return site; }  // the link its uplink is ("" for the core site)
};

struct DeviceAddress {
  int site = 0;  // index in AddressPlan::sites
  Ipv4 address;
};

struct AddressPlan {
  std::string hash;             // 6 hex digits
  std::string netns_prefix;     // snet-<hash>-
  std::string link_prefix;      // sn<hash>- (root namespace interfaces)
  std::string bridge;           // sn<hash>-br
  Ipv4Net pool;                 // every subnet below lies inside
  Ipv4Net core_subnet;          // the root bridge's
  Ipv4 core_address;            // the root bridge's address: the broker listens here too
  std::vector<SitePlan> sites;  // parents before their children
  std::map<std::string, DeviceAddress> devices;

  /// Index in `sites` of a site id ("" the core site); -1 when absent.
  int site_index(const std::string& site) const;
  /// /run/netns/<name>: what setns() opens.
  static std::string netns_path(const std::string& netns) { return "/run/netns/" + netns; }
};

/// 6 hex digits of FNV-1a over `instance_key`.
std::string instance_hash(const std::string& instance_key);

/// Plans namespaces and addresses of an emulated topology inside `pool`. Throws
/// std::invalid_argument when the pool is too small (saying how many addresses it needs).
AddressPlan plan_addresses(const Topology& topology, const std::string& instance_key,
                           const Ipv4Net& pool);

/// Routes each namespace needs beyond its own subnets: for every site, in every ancestor's
/// parent namespace, "subnet via the ancestor's uplink address". Key: the namespace's index in
/// sites, -1 for the root. Pure, for the namespace builder and its tests.
struct SubnetRoute {
  Ipv4Net to;
  Ipv4 via;
  bool operator==(const SubnetRoute&) const = default;
};
std::map<int, std::vector<SubnetRoute>> plan_routes(const AddressPlan& plan);

}  // namespace snet::kernel
