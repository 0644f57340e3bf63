// Broker credentials: who a bus logs in as, and where its password comes from. A secret never
// travels in argv (`ps` shows it to every user): a URL names the user (mqtt://USER@host:port),
// the password comes from BusOptions::password or, failing that, from the environment:
//
//   SNET_BROKER_PASSWORD_FILE  a file holding the password (mode 0600: not readable by group or
//                              others), what `snet up` gives its services; or
//   SNET_BROKER_PASSWORD       the password itself (a process's environment is readable only by
//                              its user and root).
//
// A password written into the URL (amqp://u:p@h) still works, for compatibility and tests, but
// shows wherever the URL does: give it by file or environment instead. Every URL that is shown
// goes through snet::redacted_url() (snet/net.hpp).
//
// Pure except read_secret_file() and the environment look-up of bus_login(). Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace snet {

struct BusOptions;

inline constexpr const char* kBrokerPasswordEnv = "SNET_BROKER_PASSWORD";
inline constexpr const char* kBrokerPasswordFileEnv = "SNET_BROKER_PASSWORD_FILE";

/// The contents of a file that holds a secret, without its trailing line break. Throws
/// std::invalid_argument naming the file when it cannot be read, is not a regular file, is
/// readable or writable by group or others (chmod 600 it), or is empty.
std::string read_secret_file(const std::string& path);

/// Credentials of many users (an agent's devices): one `user:password` per line (what
/// mosquitto_passwd -U hashes; the password is everything after the first ':'), blank lines
/// and lines starting with '#' ignored. Throws std::invalid_argument naming the line that is
/// not of that form or repeats a user.
std::map<std::string, std::string> parse_credentials(const std::string& text);
/// parse_credentials() of a file checked as read_secret_file() checks it.
std::map<std::string, std::string> read_credentials_file(const std::string& path);
/// The lines parse_credentials() reads back.
std::string format_credentials(const std::map<std::string, std::string>& credentials);

/// The password the environment contract gives: read from `file` when it is not empty, else
/// `env_password` (may be empty: none). Both given is ambiguous: std::invalid_argument.
/// `read` reads the file (read_secret_file by default; tests pass their own).
std::string broker_password(const std::string& file, const std::string& env_password,
                            const std::function<std::string(const std::string&)>& read = {});

struct BusLogin {
  std::string user, password;  // both empty: anonymous
};
/// Who a bus connects as: the URL's user (percent-decoded); the password from, in this order,
/// `explicit_password`, the URL's own, then `environment` (only when the URL names a user: an
/// inherited SNET_BROKER_PASSWORD does not turn an anonymous client into a failed login).
/// Throws std::invalid_argument (never quoting a password) when a password is given with no
/// user to go with it.
BusLogin bus_login(const std::string& url, const std::string& explicit_password,
                   const std::function<std::string()>& environment);
/// bus_login() of `options`, with the password of the process's environment (SNET_BROKER_*).
BusLogin bus_login(const BusOptions& options);

/// `url` with its user info replaced by `user` (no password): "mqtt://h:1" + "relayer" ->
/// "mqtt://relayer@h:1". `user` is percent-encoded where the URL syntax needs it.
std::string with_url_user(const std::string& url, const std::string& user);

/// `url` with `password` for the user it names (percent-encoded where needed), for a bus of this
/// process only: such a URL never goes into argv, a file or a log unredacted.
std::string with_url_password(const std::string& url, const std::string& password);

}  // namespace snet
