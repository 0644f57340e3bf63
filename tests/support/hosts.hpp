// Hosts emulated by network namespaces, for tests of a stack spread over machines
// (docs/hosts.md): N namespaces, each with its own address on one bridge of the root namespace
// (the "core host", which holds the bridge's address), loopback up and a default route to the
// bridge address, nothing more: they reach each other and the core host's bridge address, and no
// route leads out. Built and removed by the kernel link engine's namespace builder
// (network/kernel/namespace_builder.hpp) from a plan of N top-level sites without devices, so
// the names (snet-<hash>-<n>, sn<hash>-*) and the clean-up are the engine's: a test that was
// killed leaves an owner pid file whose namespaces the next test or `snet up` removes.
// Needs root and `ip netns` (kernel::detect_capabilities() says when not).
// Thread safety: none (one test's main thread).
#pragma once

#include <string>
#include <vector>

#include "address_plan.hpp"

namespace snet::test {

class EmulatedHosts {
 public:
  /// Builds `count` hosts in a free /24 of 10.250.0.0/16 (one no route of this machine
  /// touches). Throws std::runtime_error naming what failed (and removes what it built).
  explicit EmulatedHosts(int count);
  ~EmulatedHosts() { teardown(); }
  EmulatedHosts(const EmulatedHosts&) = delete;
  EmulatedHosts& operator=(const EmulatedHosts&) = delete;

  int count() const { return static_cast<int>(plan_.sites.size()); }
  /// The core host's address on the bridge (where its broker listens besides loopback).
  std::string core_address() const { return plan_.core_address.str(); }
  /// Host i's (0-based) address and namespace.
  std::string address(int i) const;
  std::string netns(int i) const;
  /// `argv` run inside host i: ip netns exec <its namespace> argv... (ip execs the program, so
  /// the process started is the program itself).
  std::vector<std::string> in_host(int i, std::vector<std::string> argv) const;

  /// Removes the namespaces, veths and the bridge; returns what is left (empty: nothing).
  /// Idempotent.
  std::vector<std::string> teardown();
  /// What of this instance exists now (namespaces and root-namespace links).
  std::vector<std::string> existing() const;

 private:
  kernel::AddressPlan plan_;
  bool torn_down_ = false;
};

}  // namespace snet::test
