// The numbering of generated series ("pairs", "sensors"): how many, from which number, within
// the limits that keep ids from overflowing and topologies from growing without bound.
#include <nlohmann/json.hpp>

#include "topology_internal.hpp"

namespace snet::detail {

namespace {

constexpr long kMaxSeriesStart = 1'000'000'000;  // so the numbers in the ids cannot overflow

}  // namespace

std::optional<SeriesRange> read_series_range(const nlohmann::json& spec, const std::string& where,
                                             long max, const char* noun, long& generated,
                                             std::vector<std::string>& errors) {
  SeriesRange range;
  if (spec.is_number_integer()) {
    range.count = spec.get<long>();
  } else {
    const auto count = spec.find("count");
    if (count == spec.end()) {
      errors.push_back(where + ": 'count' is missing (a whole number)");
      return std::nullopt;
    }
    if (!count->is_number_integer()) {
      errors.push_back(where + ": 'count' must be a whole number, not " + count->dump());
      return std::nullopt;
    }
    range.count = count->get<long>();
    if (const auto start = spec.find("start"); start != spec.end()) {
      if (!start->is_number_integer()) {
        errors.push_back(where + ": 'start' must be a whole number, not " + start->dump());
        return std::nullopt;
      }
      range.start = start->get<long>();
    }
  }
  if (range.count < 1 || range.count > max) {
    errors.push_back(where + ": count must be from 1 to " + std::to_string(max) + ", not " +
                     std::to_string(range.count));
    return std::nullopt;
  }
  if (range.start < 0 || range.start > kMaxSeriesStart) {
    errors.push_back(where + ": start must be from 0 to " + std::to_string(kMaxSeriesStart) +
                     ", not " + std::to_string(range.start));
    return std::nullopt;
  }
  if (generated + range.count > max) {
    errors.push_back(where + ": makes " + std::to_string(generated + range.count) + " " + noun +
                     " in all, more than the limit of " + std::to_string(max));
    return std::nullopt;
  }
  generated += range.count;
  return range;
}

}  // namespace snet::detail
