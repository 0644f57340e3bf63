// Which engine carries which link property (pure): `snet up --links kernel|process|auto|off`
// and what this kernel offers (capabilities.hpp) decide, per property, the kernel engine
// (namespaces, tc, iptables) or the in-process engine (the agents' link shaper), with notes
// saying why a property fell back.
// Thread safety: plain values.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace snet::kernel {

enum class LinksMode { automatic, kernel, process, off };
/// "auto" | "kernel" | "process" | "off"; throws std::invalid_argument otherwise.
LinksMode parse_links_mode(std::string_view text);
std::string_view to_string(LinksMode mode);

/// What the kernel offers, found by trying (capabilities.hpp). `problems` says why each missing
/// piece is missing ("sch_netem: tc: Specified qdisc kind is unknown").
struct KernelCapabilities {
  bool net_admin = false;  // root or CAP_NET_ADMIN: may create namespaces and links
  bool netns = false, veth = false, bridge = false;
  bool tbf = false, htb = false, netem = false;
  bool iptables_statistic = false;  // iptables with -m statistic and -m comment in a namespace
  std::vector<std::string> problems;
  /// Namespaces, veth pairs and bridges: enough to give devices their own addresses.
  bool can_build_namespaces() const { return net_admin && netns && veth && bridge; }
};

/// The link properties an engine may carry, in kLinkFields order (no "seed").
inline constexpr std::string_view kLinkProperties[] = {"latency_ms", "jitter_ms", "loss_pct",
                                                       "rate_kbit", "up"};

struct EnginePlan {
  LinksMode mode = LinksMode::automatic;
  bool namespaces = false;           // the kernel engine builds namespaces (devices get addresses)
  std::vector<std::string> kernel;   // properties the kernel engine applies
  std::vector<std::string> process;  // properties the agents' in-process engine applies
  std::vector<std::string> notes;    // why, e.g. "latency_ms, jitter_ms: process engine (...)"
  /// One line for the log: "kernel for rate_kbit, loss_pct, up; process for latency_ms,
  /// jitter_ms (this kernel has no sch_netem)".
  std::string summary() const;
};

/// Throws std::runtime_error for --links kernel when the kernel engine cannot run at all
/// (saying what is missing); `auto` then falls back to the process engine.
EnginePlan plan_engines(LinksMode mode, const KernelCapabilities& capabilities);

}  // namespace snet::kernel
