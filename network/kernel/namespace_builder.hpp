// Builds what an AddressPlan describes (namespaces, veth pairs, bridges, addresses, routes,
// forwarding in sites with child sites) and tears it down again. One `ip -batch` for the root
// namespace plus one per site namespace, so 1,000 devices cost a few processes, not thousands.
// Teardown works by name prefix (snet-<hash>-*, sn<hash>-*), so it also removes what a crashed
// run left, and is idempotent. The scripts are pure functions, tested without root.
// Thread safety: none needed (called by snet up's main thread).
#pragma once

#include <string>
#include <vector>

#include "address_plan.hpp"

namespace snet::kernel {

/// `ip -batch` lines run in the root namespace: the namespaces, the root bridge, every veth pair
/// (outer end in the parent's namespace), root routes.
std::string root_script(const AddressPlan& plan);
/// `ip -n <netns> -batch` lines for site `index`: its uplink, bridge, routes, device addresses.
std::string site_script(const AddressPlan& plan, std::size_t index);

/// Builds the plan's namespaces after removing any leftover with the same names. Throws
/// std::runtime_error naming the command that failed (and removes what it built).
void build_namespaces(const AddressPlan& plan);
/// Removes every namespace and root link with the plan's prefixes. Returns what it could not
/// remove (empty: all gone).
std::vector<std::string> teardown_namespaces(const std::string& netns_prefix,
                                             const std::string& link_prefix);
/// Namespaces (from /run/netns) and root-namespace links whose names start with the prefixes.
std::vector<std::string> namespaces_with_prefix(const std::string& netns_prefix);
std::vector<std::string> links_with_prefix(const std::string& link_prefix);

/// Which stack owns which namespaces: /run/snet/links/<hash>.pid holds the owner's pid. A stack
/// that was SIGKILLed leaves its namespaces; the next `snet up` (any) removes those whose owner
/// is gone. InstanceLock serializes planning and building across concurrent `snet up`s (flock).
class InstanceLock {
 public:
  InstanceLock();
  ~InstanceLock();
  InstanceLock(const InstanceLock&) = delete;
  InstanceLock& operator=(const InstanceLock&) = delete;

 private:
  int fd_ = -1;
};
void claim_instance(const std::string& hash);
void release_instance(const std::string& hash);
/// Tears down every instance whose owner process is gone; returns their hashes.
std::vector<std::string> remove_dead_instances();

/// Subnets of the root namespace's routes that overlap `pool` (someone else uses it).
std::vector<std::string> routes_overlapping(const Ipv4Net& pool);

}  // namespace snet::kernel
