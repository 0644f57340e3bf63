// The TLS material of a data dir (`snet up --tls`, tests): a CA of its own and a server
// certificate it signed, made with the `openssl` command line. The CA is generated once per
// data dir and kept, so clients given <data-dir>/tls/ca.crt keep trusting the broker across
// runs; the server certificate is made again when it does not name every host asked for (say
// a new --mqtt-bind). Keys are P-256, mode 0600, in a folder of mode 0700; the CA key never
// leaves it.
//
// Thread safety: one caller per folder at a time.
#pragma once

#include <string>
#include <vector>

namespace snet {

struct TlsFiles {
  std::string dir;                      // <data-dir>/tls
  std::string ca_cert, ca_key;          // ca.crt (give it to clients), ca.key
  std::string server_cert, server_key;  // server.crt, server.key (the brokers')
};

/// Makes (or keeps) the CA and a server certificate for `hosts` (names or IP addresses;
/// "localhost" and "127.0.0.1" are always included, "0.0.0.0" and "::" ignored) in `dir`.
/// Throws std::runtime_error naming the step and quoting openssl's output when it fails.
TlsFiles prepare_tls_files(const std::string& dir, std::vector<std::string> hosts);

}  // namespace snet
