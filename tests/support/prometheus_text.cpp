#include "prometheus_text.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

namespace snet::test {
namespace {

// The family a sample belongs to: histograms' series end in _bucket, _sum, _count.
std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      if (auto it = types.find(base); it != types.end() && it->second == "histogram") return base;
    }
  }
  return name;
}

}  // namespace

double Exposition::at(const std::string& series) const {
  const auto it = samples.find(series);
  if (it == samples.end()) {
    FAIL_CHECK("no sample " << series);
    return -1;
  }
  return it->second;
}

Exposition parse_exposition(const std::string& text) {
  static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*)");
  static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram))");
  static const std::regex sample(
      R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="[^" \\]*"(,[a-zA-Z_][a-zA-Z0-9_]*="[^" \\]*")*)\})? (\S+))");
  Exposition out;
  std::set<std::string> helped, closed;
  std::string current;  // the family whose lines come now
  // Histogram checks: per series without le, the buckets in order.
  std::map<std::string, std::vector<double>> buckets;
  std::map<std::string, bool> saw_inf;
  std::istringstream in(text);
  std::smatch m;
  for (std::string line; std::getline(in, line);) {
    CAPTURE(line);
    if (line.empty()) continue;
    std::string family;
    if (std::regex_match(line, m, help)) {
      family = m[1];
      CHECK_MESSAGE(helped.insert(family).second, "second HELP for ", family);
    } else if (std::regex_match(line, m, type)) {
      family = m[1];
      CHECK_MESSAGE(out.types.emplace(family, m[2]).second, "second TYPE for ", family);
    } else if (std::regex_match(line, m, sample)) {
      const std::string name = m[1];
      family = family_of(name, out.types);
      CHECK_MESSAGE(out.types.count(family) == 1, "sample before its TYPE: ", family);
      char* end = nullptr;
      const std::string value_text = m[5];
      const double value = std::strtod(value_text.c_str(), &end);
      CHECK_MESSAGE(*end == '\0', "not a number: ", value_text);
      const std::string series = name + std::string(m[2]);
      CHECK_MESSAGE(out.samples.emplace(series, value).second, "sample twice: ", series);
      if (name != family && name.compare(name.size() - 7, 7, "_bucket") == 0) {
        static const std::regex le(R"(,?le="([^"]*)\")");
        const std::string labels = m[3];
        std::smatch lm;
        REQUIRE_MESSAGE(std::regex_search(labels, lm, le), "bucket without le: ", line);
        const std::string key = family + "{" + std::regex_replace(labels, le, "") + "}";
        CHECK_MESSAGE(!saw_inf[key], "bucket after +Inf: ", line);
        if (!buckets[key].empty()) CHECK_MESSAGE(value >= buckets[key].back(), "not cumulative");
        buckets[key].push_back(value);
        if (lm[1] == "+Inf") saw_inf[key] = true;
      }
    } else {
      FAIL_CHECK("not Prometheus text: " << line);
      continue;
    }
    if (family != current) {
      CHECK_MESSAGE(closed.count(family) == 0, "family split: ", family);
      closed.insert(current);
      current = family;
    }
  }
  for (const auto& [key, counts] : buckets) {
    CAPTURE(key);
    CHECK(saw_inf[key]);
    const std::string labels = key.substr(key.find('{'));
    const std::string family = key.substr(0, key.find('{'));
    const std::string count = family + "_count" + (labels == "{}" ? "" : labels);
    CHECK(out.at(count) == counts.back());
  }
  return out;
}

}  // namespace snet::test
