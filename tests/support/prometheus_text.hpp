// For tests of /metrics: a strict reader of the Prometheus text format (0.0.4) that fails the
// test on any line a scraper would reject, and gives the samples by series.
#pragma once

#include <map>
#include <string>

namespace snet::test {

struct Exposition {
  std::map<std::string, std::string> types;  // family -> counter | gauge | histogram
  std::map<std::string, double> samples;     // `name{labels}` exactly as written -> value
  /// The value of `series`; fails the test when it is absent.
  double at(const std::string& series) const;
  bool has(const std::string& series) const { return samples.count(series) != 0; }
};

/// Checks every line: HELP and TYPE once per family and before its samples, families
/// contiguous, names and label names well formed, label values quoted and without spaces,
/// values numbers; histograms' buckets cumulative and ending with le="+Inf" equal to _count.
Exposition parse_exposition(const std::string& text);

}  // namespace snet::test
