#include "snet/tls_files.hpp"

#include <sys/stat.h>
#include <sys/wait.h>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <arpa/inet.h>

#include "snet/atomic_file.hpp"
#include "snet/file_modes.hpp"
#include "snet/process.hpp"

namespace snet {
namespace fs = std::filesystem;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool ip_address(const std::string& host) {
  unsigned char buffer[16];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

// Runs openssl with `args`; its output goes to <dir>/openssl.log, quoted when it fails.
void openssl(const std::string& dir, const std::string& step, std::vector<std::string> args) {
  const std::string log = dir + "/openssl.log";
  fs::remove(log);
  args.insert(args.begin(), "openssl");
  ChildProcess child;
  try {
    child = ChildProcess(args, ChildProcess::Options{{}, log, "=stdout", false});
  } catch (const std::system_error& e) {
    throw std::runtime_error("TLS files: " + step + ": cannot run openssl: " + e.what());
  }
  if (!child.wait_for(std::chrono::seconds(60))) {
    child.stop();
    throw std::runtime_error("TLS files: " + step + ": openssl did not finish in 60 s");
  }
  const auto status = child.exit_status();
  if (!status || !WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
    throw std::runtime_error("TLS files: " + step + ": openssl failed:\n" + read_text(log));
  }
}

// Names this CA apart from every other data dir's (a subject may not carry the path's '/').
std::string ca_serial() {
  return std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
}

// subjectAltName of the server certificate: every host, names as DNS, addresses as IP.
std::string alt_names(const std::vector<std::string>& hosts) {
  std::string out;
  for (const auto& host : hosts) {
    if (!out.empty()) out += ',';
    // An address also as a DNS name: rabbitmq-c 0.11 (amqps://) checks DNS names only, so it
    // refuses amqps://127.0.0.1 without it; Paho and Asio match the IP entry.
    out += ip_address(host) ? "IP:" + host + ",DNS:" + host : "DNS:" + host;
  }
  return out;
}

}  // namespace

TlsFiles prepare_tls_files(const std::string& dir, std::vector<std::string> hosts) {
  hosts.insert(hosts.begin(), {"localhost", "127.0.0.1"});
  std::erase_if(hosts,
                [](const std::string& h) { return h.empty() || h == "0.0.0.0" || h == "::"; });
  std::vector<std::string> unique;
  for (const auto& h : hosts) {
    if (std::find(unique.begin(), unique.end(), h) == unique.end()) unique.push_back(h);
  }
  fs::create_directories(dir);
  ::chmod(dir.c_str(), 0700);
  const std::string abs = fs::absolute(dir).string();
  TlsFiles files{abs, abs + "/ca.crt", abs + "/ca.key", abs + "/server.crt", abs + "/server.key"};
  const std::string curve[] = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"};
  if (!fs::exists(files.ca_cert) || !fs::exists(files.ca_key)) {
    openssl(abs, "make the CA",
            {"req",     "-x509",
             "-new",    curve[0],
             curve[1],  curve[2],
             curve[3],  "-nodes",
             "-keyout", files.ca_key,
             "-out",    files.ca_cert,
             "-days",   "3650",
             "-subj",   "/O=Serverlessnet/CN=Serverlessnet CA " + ca_serial(),
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign"});
    fs::remove(files.server_cert);  // signed by a CA that is gone
  }
  const std::string names = alt_names(unique);
  const std::string names_file = abs + "/server.names";
  const bool current = fs::exists(files.server_cert) && fs::exists(files.server_key) &&
                       read_text(names_file) == names + "\n";
  if (!current) {
    const std::string csr = abs + "/server.csr", ext = abs + "/server.ext";
    write_file_atomically(ext,
                          "basicConstraints=critical,CA:FALSE\n"
                          "keyUsage=critical,digitalSignature,keyEncipherment\n"
                          "extendedKeyUsage=serverAuth\nsubjectAltName=" +
                              names + "\n",
                          0600);
    openssl(abs, "make the server key",
            {"req", "-new", curve[0], curve[1], curve[2], curve[3], "-nodes", "-keyout",
             files.server_key, "-out", csr, "-subj", "/O=Serverlessnet/CN=" + unique.front()});
    openssl(
        abs, "sign the server certificate",
        {"x509", "-req", "-in", csr, "-CA", files.ca_cert, "-CAkey", files.ca_key,
         "-CAcreateserial", "-out", files.server_cert, "-days", "825", "-sha256", "-extfile", ext});
    fs::remove(csr);
    write_file_atomically(names_file, names + "\n", 0644);
  }
  // openssl writes keys with the umask's bits: the keys are the owner's alone.
  for (const auto& key : {files.ca_key, files.server_key}) {
    if (::chmod(key.c_str(), kSecretFileMode) != 0) {
      throw std::runtime_error("TLS files: cannot chmod 600 " + key);
    }
  }
  for (const auto& cert : {files.ca_cert, files.server_cert}) ::chmod(cert.c_str(), 0644);
  return files;
}

}  // namespace snet
