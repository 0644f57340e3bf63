// For tests of the Mosquitto ACLs snet up writes (cli/broker_accounts.hpp, site_brokers.hpp).
#pragma once

#include <sstream>
#include <string>
#include <vector>

namespace snet::test {

/// The rules of one user of acl_file text ("" for the anonymous lines at the top), one per
/// line without "topic ": "write snet/t/press/b1".
inline std::vector<std::string> acl_rules_of(const std::string& acl, const std::string& user) {
  std::vector<std::string> rules;
  std::istringstream in(acl);
  std::string line, current;
  while (std::getline(in, line)) {
    if (line.rfind("user ", 0) == 0) current = line.substr(5);
    if (line.rfind("topic ", 0) == 0 && current == user) rules.push_back(line.substr(6));
  }
  return rules;
}

}  // namespace snet::test
