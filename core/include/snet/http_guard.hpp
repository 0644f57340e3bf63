// Who may talk to an HTTP server meant for one user's browser and tools: the checks that stop
// cross-site request forgery, DNS rebinding and cross-origin WebSockets, and the bearer token of
// a server reachable from other hosts. Pure functions of a Request (no sockets), so each rule is
// unit-tested; a server runs them through ServerOptions::guard before any handler and before a
// WebSocket handshake.
//
//   - Host must name this server: a loopback name or address, any IP literal (DNS rebinding
//     needs a name the attacker controls, an IP literal is not one), the bound address, this
//     machine's host name, or a name given in GuardOptions::allowed_hosts. Else 421.
//   - A state-changing request (any method but GET, HEAD, OPTIONS) and a WebSocket upgrade that
//     carry an Origin must come from this server's own origin (the Host it was sent to) or an
//     origin in GuardOptions::allowed_origins. Else 403. No Origin (curl, our CLI) passes: a
//     browser always sends one on such requests. There is no wildcard, and no CORS header.
//   - With a token required, a state-changing request needs "Authorization: Bearer <token>".
//     Else 401.
//
// Thread safety: a RequestGuard is immutable after construction; check() may run concurrently.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snet/http_server.hpp"

namespace snet::http {

/// "localhost", "*.localhost", 127.0.0.0/8, ::1 and ::ffff:127.x.y.z (brackets allowed).
bool is_loopback(std::string_view host);
/// A numeric IPv4 or IPv6 address (brackets allowed), not a name.
bool is_ip_literal(std::string_view host);
/// Whether a server listening on `bind_address` is reachable from this machine only. The
/// wildcards (0.0.0.0, ::, "") and every name but localhost are not: a name may resolve to
/// anything, so it is taken as reachable from elsewhere.
bool is_loopback_bind(std::string_view bind_address);

/// The host (lower case, without IPv6 brackets) and port of a Host header or an origin.
struct Authority {
  std::string host;
  int port = 0;  // 0: none given
  bool operator==(const Authority&) const = default;
};
/// "host[:port]" as in a Host header; nullopt when malformed.
std::optional<Authority> parse_host_header(std::string_view value);
/// "scheme://host[:port]" as in an Origin header, the scheme's default port filled in; nullopt
/// for "null", other schemes or anything malformed.
std::optional<Authority> parse_origin(std::string_view value);

/// When mutating requests need the bearer token.
enum class TokenMode { automatic, always, never };
/// "auto", "always", "never"; nullopt otherwise.
std::optional<TokenMode> parse_token_mode(std::string_view text);
/// automatic: exactly when the server is bound to a non-loopback address.
bool token_required(TokenMode mode, std::string_view bind_address);

struct GuardOptions {
  std::string bind_address;                  // the server's; a name here is accepted in Host
  std::vector<std::string> allowed_hosts;    // more names accepted in Host (e.g. a proxy's)
  std::vector<std::string> allowed_origins;  // e.g. "https://dash.example" (no wildcard)
  std::string token;                         // the bearer token ("" with require_token: none
                                             // is accepted, mutating requests all refused)
  bool require_token = false;
};

/// Why a request was refused: `reason` names the metric label, `response` says what is wrong.
struct Refusal {
  std::string reason;  // foreign_host, foreign_origin, websocket_foreign_origin, token_missing,
                       // token_wrong
  Response response;
};

class RequestGuard {
 public:
  /// Throws std::invalid_argument naming a bad allowed origin (a wildcard, a path, a scheme
  /// other than http or https) or an empty allowed host.
  explicit RequestGuard(GuardOptions options);

  /// nullopt when `request` may proceed (WebSocket upgrades included: they are GETs with
  /// "Upgrade: websocket").
  std::optional<Refusal> check(const Request& request) const;
  bool token_required() const { return options_.require_token; }
  const GuardOptions& options() const { return options_; }
  /// Whether the request's Origin, when it has one, is this server's own or an allowed one.
  bool origin_allowed(const Request& request) const;

 private:
  bool host_allowed(const Authority& host) const;

  GuardOptions options_;
  std::vector<std::string> host_names_;  // lower case
};

/// A state-changing method: anything but GET, HEAD and OPTIONS.
bool is_mutating(std::string_view method);
/// Whether the request's peer (Request::remote) is a loopback address.
bool from_loopback(const Request& request);
/// 32 random bytes (from /dev/urandom) as 64 hex digits. Throws std::runtime_error when the
/// random source cannot be read.
std::string random_token();
/// The token kept in the file at `path` (its first line). Throws std::runtime_error naming the
/// file when it cannot be read, holds no token, or others than its owner may read it.
std::string read_token_file(const std::string& path);
/// read_token_file(path) when the file exists; else a new random_token() written there with
/// mode 0600 (its directory created). Throws std::runtime_error naming the file on failure.
std::string ensure_token_file(const std::string& path);

}  // namespace snet::http
