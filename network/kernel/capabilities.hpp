// Finds what this kernel offers the kernel link engine by trying it in a scratch namespace
// (snet-probe-<pid>, removed afterwards): namespaces, veth, bridge, the tbf/htb/netem qdiscs and
// iptables' statistic match. Takes about 100 ms; run once at start.
#pragma once

#include "engine_plan.hpp"

namespace snet::kernel {

KernelCapabilities detect_capabilities();

}  // namespace snet::kernel
