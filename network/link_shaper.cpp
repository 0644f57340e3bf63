#include "link_shaper.hpp"

#include <algorithm>
#include <stdexcept>

namespace snet::network {
namespace {

using std::chrono::duration;
using std::chrono::duration_cast;
using std::chrono::nanoseconds;

nanoseconds from_ms(double ms) {
  return duration_cast<nanoseconds>(duration<double, std::milli>(std::max(ms, 0.0)));
}

}  // namespace

LinkShaper::LinkShaper(const std::map<std::string, LinkSpec>& links) {
  links_.reserve(links.size());
  for (const auto& [name, spec] : links) {
    index_.emplace(name, links_.size());
    links_.push_back(Link{name, spec, seed_of(name, spec), {}, {}});
  }
}

std::optional<LinkShaper::LinkIndex> LinkShaper::find(std::string_view link) const {
  auto it = index_.find(link);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

LinkShaper::Path LinkShaper::path(const std::vector<std::string>& links) const {
  Path out;
  out.reserve(links.size());
  for (const auto& id : links) {
    auto index = find(id);
    if (!index) throw std::invalid_argument("unknown link '" + id + "'");
    out.push_back(*index);
  }
  return out;
}

std::uint64_t LinkShaper::seed_of(const std::string& name, const LinkSpec& spec) {
  if (spec.seed) return *spec.seed;
  std::uint64_t hash = 14695981039346656037ull;  // FNV-1a: the same on every machine and run
  for (unsigned char c : name) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

double LinkShaper::uniform(Link& link) {
  std::uint64_t z = (link.state += 0x9e3779b97f4a7c15ull);  // splitmix64
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

void LinkShaper::set_spec(LinkIndex index, const LinkSpec& spec) {
  Link& link = links_[index];
  if (spec.seed != link.spec.seed) link.state = seed_of(link.name, spec);
  link.spec = spec;
}

bool LinkShaper::up(const Path& path) const {
  return std::all_of(path.begin(), path.end(), [&](LinkIndex i) { return links_[i].spec.is_up(); });
}

nanoseconds LinkShaper::rto_of(const Path& path) const {
  double one_way_ms = 0;
  for (LinkIndex i : path) one_way_ms += links_[i].spec.latency() + links_[i].spec.jitter();
  return std::max<nanoseconds>(kMinRto, from_ms(2 * one_way_ms));
}

TimePoint LinkShaper::cross(const Path& path, Direction direction, std::size_t bytes, TimePoint now,
                            TimePoint not_before, bool count) {
  const auto dir = static_cast<std::size_t>(direction);
  TimePoint at = now;
  std::optional<nanoseconds> rto;  // computed on the first loss only
  for (std::size_t step = 0; step < path.size(); ++step) {
    Link& link = links_[direction == Direction::up ? path[step] : path[path.size() - 1 - step]];
    const LinkSpec& spec = link.spec;
    if (spec.rate() > 0) {
      const TimePoint start = std::max(at, link.busy_until[dir]);
      at = start + from_ms(static_cast<double>(bytes) * 8.0 / spec.rate());
      link.busy_until[dir] = at;
    }
    double delay_ms = spec.latency();
    if (spec.jitter() > 0) delay_ms += (2 * uniform(link) - 1) * spec.jitter();
    at += from_ms(delay_ms);
    if (spec.loss() > 0) {
      nanoseconds timeout = rto ? *rto : *(rto = rto_of(path));
      for (int tries = 0; tries < kMaxRetransmissions && uniform(link) * 100 < spec.loss();
           ++tries) {
        at += timeout;
        timeout = std::min<nanoseconds>(timeout * 2, kMaxRto);
        if (count) ++link.counters.lost;
      }
    }
    if (count) {
      link.counters.bytes[dir] += bytes;
      ++link.counters.packets[dir];
    }
  }
  return std::max(at, not_before);
}

void LinkShaper::connection_opened(const Path& path) {
  for (LinkIndex i : path) ++links_[i].counters.connections;
}

void LinkShaper::connection_closed(const Path& path) {
  for (LinkIndex i : path) {
    if (links_[i].counters.connections > 0) --links_[i].counters.connections;
  }
}

}  // namespace snet::network
