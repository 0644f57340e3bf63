#include "report_files.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace snet::experiment {
namespace {

double seconds(Micros at, Micros start) {
  return static_cast<double>(at - start) / 1e6;
}

std::string fixed(double v, int digits = 3) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(digits) << v;
  return out.str();
}

std::string escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A CSV field: quoted when it holds a comma, quote or line break.
std::string csv(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

// Chart geometry: a plot area inside a fixed viewBox.
struct Frame {
  double width = 900, height = 260, left = 60, right = 20, top = 20, bottom = 40;
  double x_max = 1, y_max = 1;
  double x(double v) const { return left + v / x_max * (width - left - right); }
  double y(double v) const { return height - bottom - v / y_max * (height - top - bottom); }
};

void axes(std::ostringstream& svg, const Frame& f, const std::string& x_label,
          const std::string& y_label) {
  svg << "<line class=\"axis\" x1=\"" << f.left << "\" y1=\"" << f.y(0) << "\" x2=\""
      << f.width - f.right << "\" y2=\"" << f.y(0) << "\"/>"
      << "<line class=\"axis\" x1=\"" << f.left << "\" y1=\"" << f.top << "\" x2=\"" << f.left
      << "\" y2=\"" << f.y(0) << "\"/>";
  for (int i = 0; i <= 4; ++i) {
    const double xv = f.x_max * i / 4, yv = f.y_max * i / 4;
    svg << "<text x=\"" << f.x(xv) << "\" y=\"" << f.height - f.bottom + 16
        << "\" text-anchor=\"middle\">" << fixed(xv, 1) << "</text>"
        << "<text x=\"" << f.left - 6 << "\" y=\"" << f.y(yv) + 4 << "\" text-anchor=\"end\">"
        << fixed(yv, yv < 10 ? 2 : 0) << "</text>";
  }
  svg << "<text x=\"" << (f.left + f.width - f.right) / 2 << "\" y=\"" << f.height - 4
      << "\" text-anchor=\"middle\">" << x_label << "</text>"
      << "<text x=\"12\" y=\"" << f.top + 10 << "\">" << y_label << "</text>";
}

void fault_bands(std::ostringstream& svg, const Frame& f, const Report& r) {
  for (const auto& fault : r.faults) {
    const double a = seconds(fault.start, r.started), b = seconds(fault.end, r.started);
    const double w = std::max(f.x(b) - f.x(a), 2.0);
    svg << "<rect class=\"fault\" x=\"" << f.x(a) << "\" y=\"" << f.top << "\" width=\"" << w
        << "\" height=\"" << f.y(0) - f.top << "\"><title>" << escape(fault.label)
        << "</title></rect>";
  }
}

std::string latency_svg(const Report& r, const std::vector<PressRecord>& presses) {
  Frame f;
  f.x_max = std::max(1.0, seconds(r.ended, r.started));
  f.y_max = std::max(1.0, r.latency.max_ms * 1.05);
  std::ostringstream svg;
  svg << "<svg id=\"latency\" viewBox=\"0 0 " << f.width << " " << f.height
      << "\" role=\"img\" aria-label=\"latency over time\">";
  fault_bands(svg, f, r);
  axes(svg, f, "seconds since start", "ms");
  svg << "<g class=\"points\">";
  for (const auto& p : presses) {
    if (!p.acked) continue;
    for (const auto& [target, applied] : p.applied) {
      svg << "<circle r=\"1.6\" cx=\"" << fixed(f.x(seconds(p.sent, r.started)), 1) << "\" cy=\""
          << fixed(f.y(static_cast<double>(applied - p.sent) / 1000.0), 1) << "\"/>";
    }
    for (const auto& target : p.targets) {
      if (p.applied.count(target) != 0) continue;
      svg << "<line class=\"lost\" x1=\"" << fixed(f.x(seconds(p.sent, r.started)), 1) << "\" y1=\""
          << f.top << "\" x2=\"" << fixed(f.x(seconds(p.sent, r.started)), 1) << "\" y2=\""
          << f.top + 8 << "\"/>";
    }
  }
  svg << "</g></svg>";
  return svg.str();
}

std::string throughput_svg(const Report& r) {
  Frame f;
  f.height = 200;
  f.x_max = std::max<double>(1.0, static_cast<double>(r.throughput.size()));
  std::size_t peak = 1;
  for (const auto& [second, applied] : r.throughput) peak = std::max(peak, applied);
  f.y_max = static_cast<double>(peak) * 1.1;
  std::ostringstream svg;
  svg << "<svg id=\"throughput\" viewBox=\"0 0 " << f.width << " " << f.height
      << "\" role=\"img\" aria-label=\"throughput over time\">";
  fault_bands(svg, f, r);
  axes(svg, f, "seconds since start", "applied/s");
  const double bar = std::max(1.0, f.x(1) - f.x(0) - 1);
  for (const auto& [second, applied] : r.throughput) {
    svg << "<rect class=\"bar\" x=\"" << fixed(f.x(second), 1) << "\" y=\""
        << fixed(f.y(static_cast<double>(applied)), 1) << "\" width=\"" << fixed(bar, 1)
        << "\" height=\"" << fixed(f.y(0) - f.y(static_cast<double>(applied)), 1) << "\"/>";
  }
  svg << "</svg>";
  return svg.str();
}

std::string optional_ms(const std::optional<double>& v) {
  return v ? fixed(*v, 1) : "never";
}

}  // namespace

std::string presses_csv(const Report& r, const std::vector<PressRecord>& presses) {
  std::ostringstream out;
  out << "press_id,button,target,planned_s,sent_s,acked,relayed_s,applied_s,latency_ms,reports,"
         "stored_s,outcome\n";
  for (const auto& p : presses) {
    for (const auto& target : p.targets) {
      auto applied = p.applied.find(target);
      auto relayed = p.relayed.find(target);
      auto stored = p.stored.find(target);
      auto reports = p.reports.find(target);
      const int count = reports == p.reports.end() ? 0 : reports->second;
      const char* outcome = p.sent == 0                  ? "unsent"
                            : applied == p.applied.end() ? "lost"
                            : count > 1                  ? "duplicated"
                                                         : "applied";
      out << csv(p.id) << "," << csv(p.button) << "," << csv(target) << ","
          << fixed(seconds(p.planned, r.started), 6) << ","
          << (p.sent == 0 ? "" : fixed(seconds(p.sent, r.started), 6)) << ","
          << (p.acked ? "true" : "false") << ","
          << (relayed == p.relayed.end() ? "" : fixed(seconds(relayed->second, r.started), 6))
          << ","
          << (applied == p.applied.end() ? "" : fixed(seconds(applied->second, r.started), 6))
          << ","
          << (applied == p.applied.end()
                  ? ""
                  : fixed(static_cast<double>(applied->second - p.sent) / 1000.0, 3))
          << "," << count << ","
          << (stored == p.stored.end() ? "" : fixed(seconds(stored->second, r.started), 6)) << ","
          << outcome << "\n";
    }
  }
  return out.str();
}

std::string report_html(const Report& r, const Scenario& s,
                        const std::vector<PressRecord>& presses) {
  std::ostringstream h;
  const bool passed = r.failed_expectations.empty();
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    << "<title>" << escape(s.name) << ": Serverlessnet report</title><style>"
    << "body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:960px}"
    << "svg{width:100%;height:auto;background:#fafafa;border:1px solid #ddd}"
    << "svg text{font-size:11px;fill:#555}.axis{stroke:#999}.points circle{fill:#1f6feb}"
    << ".lost{stroke:#d1242f;stroke-width:2}.fault{fill:#d1242f;opacity:.15}"
    << ".bar{fill:#2da44e}table{border-collapse:collapse;margin:8px 0 16px}"
    << "td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f3f3f3}"
    << "td:first-child,th:first-child{text-align:left}.pass{color:#1a7f37}.fail{color:#d1242f}"
    << "</style></head><body>\n";
  h << "<h1>" << escape(s.name) << "</h1><p>" << escape(s.description) << "</p>"
    << "<p>topology <b>" << escape(s.topology) << "</b>, " << fixed(s.duration_s, 0) << " s, seed "
    << s.seed << "</p>\n";
  h << "<h2 id=\"verdict\" class=\"" << (passed ? "pass\">every expectation held" : "fail\">failed")
    << "</h2>";
  if (!passed) {
    h << "<ul>";
    for (const auto& f : r.failed_expectations) h << "<li class=\"fail\">" << escape(f) << "</li>";
    h << "</ul>";
  }
  h << "<table id=\"summary\"><tr><th>presses sent</th><th>acked</th><th>press x target</th>"
    << "<th>applied</th><th>lost</th><th>duplicated</th><th>redelivered</th><th>late (&gt; "
    << fixed(r.late_ms, 0)
    << " ms)</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr><tr><td>"
    << r.sent << "</td><td>" << r.acked << "</td><td>" << r.pairs << "</td><td>" << r.applied
    << "</td><td>" << r.lost << "</td><td>" << r.duplicated << "</td><td>"
    << (r.redelivered < 0 ? std::string("?") : std::to_string(r.redelivered)) << "</td><td>"
    << r.late << "</td><td>" << fixed(r.latency.p50_ms, 2) << "</td><td>"
    << fixed(r.latency.p90_ms, 2) << "</td><td>" << fixed(r.latency.p99_ms, 2) << "</td><td>"
    << fixed(r.latency.max_ms, 1) << "</td></tr></table>\n";
  h << "<h2>Latency, press sent to target applied (fault windows shaded, lost presses marked "
       "red at the top)</h2>"
    << latency_svg(r, presses) << "\n<h2>Throughput: pairs applied per second</h2>"
    << throughput_svg(r) << "\n";
  h << "<h2>Faults</h2><table id=\"faults\"><tr><th>fault</th><th>at s</th><th>until s</th>"
    << "<th>sent during</th><th>lost</th><th>duplicated</th><th>p50 before ms</th>"
    << "<th>first applied after ms</th><th>recovery ms</th></tr>";
  for (const auto& f : r.faults) {
    h << "<tr><td>" << escape(f.label) << "</td><td>" << fixed(seconds(f.start, r.started), 1)
      << "</td><td>" << fixed(seconds(f.end, r.started), 1) << "</td><td>" << f.sent_during
      << "</td><td>" << f.lost << "</td><td>" << f.duplicated << "</td><td>"
      << fixed(f.baseline_p50_ms, 2) << "</td><td>" << optional_ms(f.first_applied_ms)
      << "</td><td>" << optional_ms(f.recovery_ms) << "</td></tr>";
  }
  h << "</table>\n<h2>Phases</h2><table id=\"phases\"><tr><th>phase</th><th>from s</th>"
    << "<th>to s</th><th>pairs</th><th>lost</th><th>p50 ms</th><th>p99 ms</th></tr>";
  for (const auto& p : r.phases) {
    h << "<tr><td>" << escape(p.name) << "</td><td>" << fixed(seconds(p.from, r.started), 1)
      << "</td><td>" << fixed(seconds(p.to, r.started), 1) << "</td><td>" << p.latency.count
      << "</td><td>" << p.lost << "</td><td>" << fixed(p.latency.p50_ms, 2) << "</td><td>"
      << fixed(p.latency.p99_ms, 2) << "</td></tr>";
  }
  h << "</table></body></html>\n";
  return h.str();
}

void write_report(const std::string& dir, const Report& report, const Scenario& scenario,
                  const std::string& scenario_text, const std::vector<PressRecord>& presses,
                  const std::string& version) {
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::trunc);
    out << text;
    out.close();
    if (!out) throw std::runtime_error("cannot write " + path);
  };
  nlohmann::json json = to_json(report);
  json["version"] = version;
  nlohmann::json doc = nlohmann::json::parse(scenario_text, nullptr, false, true);
  json["scenario_file"] = doc.is_discarded() ? nlohmann::json(scenario_text) : doc;
  write("report.json", json.dump(2) + "\n");
  write("presses.csv", presses_csv(report, presses));
  write("report.html", report_html(report, scenario, presses));
}

}  // namespace snet::experiment
