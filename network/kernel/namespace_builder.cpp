#include "namespace_builder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

#include "tool.hpp"

namespace snet::kernel {
namespace {

namespace fs = std::filesystem;

std::string with_prefix(Ipv4 address, const Ipv4Net& net) {
  return address.str() + "/" + std::to_string(net.prefix);
}

void run_or_throw(const std::vector<std::string>& argv, const std::string& script) {
  const ToolResult result = run_script(argv, script);
  if (!result.ok()) throw std::runtime_error(describe(argv, result));
}

constexpr const char* kInstanceDir = "/run/snet/links";

}  // namespace

InstanceLock::InstanceLock() {
  std::error_code error;
  fs::create_directories(kInstanceDir, error);
  fd_ = ::open((std::string(kInstanceDir) + "/lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ >= 0) ::flock(fd_, LOCK_EX);
}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

void claim_instance(const std::string& hash) {
  std::error_code error;
  fs::create_directories(kInstanceDir, error);
  std::ofstream(std::string(kInstanceDir) + "/" + hash + ".pid") << ::getpid() << "\n";
}

void release_instance(const std::string& hash) {
  std::error_code error;
  fs::remove(std::string(kInstanceDir) + "/" + hash + ".pid", error);
}

std::vector<std::string> remove_dead_instances() {
  std::vector<std::string> removed;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(kInstanceDir, error)) {
    if (entry.path().extension() != ".pid") continue;
    pid_t pid = 0;
    std::ifstream(entry.path()) >> pid;
    if (pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM)) continue;  // still running
    const std::string hash = entry.path().stem().string();
    teardown_namespaces("snet-" + hash + "-", "sn" + hash + "-");
    fs::remove(entry.path(), error);
    removed.push_back(hash);
  }
  return removed;
}

std::string root_script(const AddressPlan& plan) {
  std::ostringstream out;
  for (const auto& site : plan.sites) out << "netns add " << site.netns << "\n";
  out << "link add " << plan.bridge << " type bridge\n"
      << "addr add " << with_prefix(plan.core_address, plan.core_subnet) << " dev " << plan.bridge
      << "\n"
      << "link set " << plan.bridge << " up\n";
  for (const auto& site : plan.sites) {
    if (site.parent < 0) {
      out << "link add " << site.outer_if << " type veth peer name " << kUplinkInterface
          << " netns " << site.netns << "\n"
          << "link set " << site.outer_if << " master " << plan.bridge << " up\n";
    } else {
      out << "link add " << site.outer_if << " netns "
          << plan.sites[static_cast<std::size_t>(site.parent)].netns << " type veth peer name "
          << kUplinkInterface << " netns " << site.netns << "\n";
    }
  }
  const auto routes = plan_routes(plan);
  if (const auto root = routes.find(-1); root != routes.end()) {
    for (const auto& route : root->second) {
      out << "route add " << route.to.str() << " via " << route.via.str() << "\n";
    }
  }
  return out.str();
}

std::string site_script(const AddressPlan& plan, std::size_t index) {
  const SitePlan& site = plan.sites[index];
  const Ipv4Net& parent_net =
      site.parent < 0 ? plan.core_subnet : plan.sites[static_cast<std::size_t>(site.parent)].subnet;
  std::ostringstream out;
  out << "link set lo up\n"
      << "addr add " << with_prefix(site.uplink_address, parent_net) << " dev " << kUplinkInterface
      << "\n"
      << "link set " << kUplinkInterface << " up\n";
  if (site.has_children) {
    out << "link add " << kSiteBridge << " type bridge\n"
        << "addr add " << with_prefix(site.gateway, site.subnet) << " dev " << kSiteBridge << "\n"
        << "link set " << kSiteBridge << " up\n";
    for (const auto& child : plan.sites) {
      if (child.parent == static_cast<int>(index)) {
        out << "link set " << child.outer_if << " master " << kSiteBridge << " up\n";
      }
    }
  }
  out << "route add default via " << site.parent_gateway.str() << "\n";
  const auto routes = plan_routes(plan);
  if (const auto mine = routes.find(static_cast<int>(index)); mine != routes.end()) {
    for (const auto& route : mine->second) {
      out << "route add " << route.to.str() << " via " << route.via.str() << "\n";
    }
  }
  for (const auto& device : site.devices) {
    out << "addr add " << plan.devices.at(device).address.str() << "/32 dev lo\n";
  }
  return out.str();
}

void build_namespaces(const AddressPlan& plan) {
  teardown_namespaces(plan.netns_prefix, plan.link_prefix);
  try {
    run_or_throw({"ip", "-batch"}, root_script(plan));
    for (std::size_t i = 0; i < plan.sites.size(); ++i) {
      run_or_throw({"ip", "-n", plan.sites[i].netns, "-batch"}, site_script(plan, i));
      if (plan.sites[i].has_children) {
        const std::vector<std::string> argv = {
            "ip", "netns", "exec", plan.sites[i].netns, "sysctl", "-qw", "net.ipv4.ip_forward=1"};
        const ToolResult result = run_tool(argv);
        if (!result.ok()) throw std::runtime_error(describe(argv, result));
      }
    }
  } catch (...) {
    teardown_namespaces(plan.netns_prefix, plan.link_prefix);
    throw;
  }
}

std::vector<std::string> namespaces_with_prefix(const std::string& netns_prefix) {
  std::vector<std::string> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/run/netns", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(netns_prefix, 0) == 0) found.push_back(name);
  }
  return found;
}

std::vector<std::string> links_with_prefix(const std::string& link_prefix) {
  std::vector<std::string> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator("/sys/class/net", error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(link_prefix, 0) == 0) found.push_back(name);
  }
  return found;
}

std::vector<std::string> teardown_namespaces(const std::string& netns_prefix,
                                             const std::string& link_prefix) {
  // Guard against a prefix that would match what is not ours.
  if (netns_prefix.rfind("snet-", 0) != 0 || link_prefix.rfind("sn", 0) != 0 ||
      link_prefix.size() < 4) {
    return {"refused to remove by the prefixes '" + netns_prefix + "', '" + link_prefix + "'"};
  }
  std::string script;
  for (const auto& netns : namespaces_with_prefix(netns_prefix))
    script += "netns del " + netns + "\n";
  // A veth pair goes with its namespace, but only once nothing holds the namespace any more (a
  // socket of an agent that still runs): delete the root ends and the bridge explicitly.
  for (const auto& link : links_with_prefix(link_prefix)) script += "link del " + link + "\n";
  if (!script.empty()) run_script({"ip", "-force", "-batch"}, script);
  // The kernel removes a deleted namespace's devices asynchronously: give it a moment.
  std::vector<std::string> left;
  for (int attempt = 0; attempt < 40; ++attempt) {
    left = namespaces_with_prefix(netns_prefix);
    for (const auto& link : links_with_prefix(link_prefix)) left.push_back(link);
    if (left.empty()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return left;
}

std::vector<std::string> routes_overlapping(const Ipv4Net& pool) {
  std::vector<std::string> found;
  const ToolResult result = run_tool({"ip", "-j", "route", "show", "table", "all"});
  if (!result.ok()) return found;
  try {
    for (const auto& route : nlohmann::json::parse(result.output)) {
      const std::string dst = route.value("dst", "");
      if (dst.empty() || dst == "default" || dst.find(':') != std::string::npos) continue;
      try {
        if (parse_ipv4_net(dst).overlaps(pool)) found.push_back(dst);
      } catch (const std::invalid_argument&) {
      }
    }
  } catch (const nlohmann::json::exception&) {
  }
  return found;
}

}  // namespace snet::kernel
