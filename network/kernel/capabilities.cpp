#include "capabilities.hpp"

#include <unistd.h>

#include "tool.hpp"

namespace snet::kernel {
namespace {

// Runs one probe; on failure records why under `what`.
bool attempt(KernelCapabilities& found, const std::string& what,
             const std::vector<std::string>& argv) {
  const ToolResult result = run_tool(argv, std::chrono::seconds(10));
  if (!result.ok()) found.problems.push_back(what + ": " + describe(argv, result));
  return result.ok();
}

}  // namespace

KernelCapabilities detect_capabilities() {
  KernelCapabilities found;
  const std::string ns = "snet-probe-" + std::to_string(::getpid());
  run_tool({"ip", "netns", "del", ns});  // a leftover of this pid: gone
  found.netns = attempt(found, "network namespaces", {"ip", "netns", "add", ns});
  found.net_admin = found.netns;  // creating a namespace needs CAP_SYS_ADMIN and NET_ADMIN
  if (!found.netns) return found;
  found.veth = attempt(found, "veth",
                       {"ip", "-n", ns, "link", "add", "p0", "type", "veth", "peer", "name", "p1"});
  found.bridge = attempt(found, "bridge", {"ip", "-n", ns, "link", "add", "b0", "type", "bridge"});
  if (found.veth) {
    run_tool({"ip", "-n", ns, "link", "set", "p0", "up"});
    found.tbf = attempt(found, "tbf",
                        {"tc", "-n", ns, "qdisc", "replace", "dev", "p0", "root", "tbf", "rate",
                         "1mbit", "burst", "10kb", "latency", "10ms"});
    found.htb = attempt(found, "htb",
                        {"tc", "-n", ns, "qdisc", "replace", "dev", "p0", "root", "handle",
                         "1:", "htb", "default", "ffff"});
    found.netem =
        attempt(found, "sch_netem",
                {"tc", "-n", ns, "qdisc", "replace", "dev", "p0", "root", "netem", "delay", "1ms"});
  }
  found.iptables_statistic = attempt(found, "iptables statistic",
                                     {"ip",  "netns",     "exec",    ns,          "iptables",
                                      "-w",  "-t",        "mangle",  "-A",        "OUTPUT",
                                      "-m",  "statistic", "--mode",  "random",    "--probability",
                                      "0.5", "-m",        "comment", "--comment", "probe",
                                      "-j",  "RETURN"});
  run_tool({"ip", "netns", "del", ns});
  return found;
}

}  // namespace snet::kernel
