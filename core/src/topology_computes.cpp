// Named computes (see topology/README.md, "Several computes"): their definitions and the
// buttons' `"use"` of them. Every error names its JSON path, as the rest of the loader does.
#include <nlohmann/json.hpp>

#include "topology_internal.hpp"

namespace snet {

std::string_view ComputeSpec::name() const {
  return use.empty() ? Topology::kDefaultCompute : std::string_view(use);
}

const ComputeInstance* Topology::find_compute(std::string_view name) const {
  for (const auto& compute : computes) {
    if (compute.name == name) return &compute;
  }
  return nullptr;
}

std::vector<const Device*> Topology::buttons_using(std::string_view name) const {
  std::vector<const Device*> out;
  for (const auto& d : devices) {
    if (d.kind == DeviceKind::button && d.compute.name() == name) out.push_back(&d);
  }
  return out;
}

namespace detail {
namespace {

using nlohmann::json;

constexpr std::string_view kFields[] = {"backend",  "apihost",  "namespace",
                                        "insecure", "auth_env", "relayers"};

bool is_env_name(const std::string& text) {
  if (text.empty() || (text[0] >= '0' && text[0] <= '9')) return false;
  for (char c : text) {
    const bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string allowed_fields() {
  std::string list;
  for (auto field : kFields) list += (list.empty() ? "" : ", ") + std::string(field);
  return list;
}

// One string field; `out` keeps its value when the field is absent or not a string.
void read_string(const json& item, const char* key, const std::string& where, std::string& out,
                 std::vector<std::string>& errors) {
  const auto it = item.find(key);
  if (it == item.end()) return;
  if (it->is_string()) {
    out = it->get<std::string>();
  } else {
    errors.push_back(where + "." + key + ": must be a string");
  }
}

ComputeInstance parse_compute(const std::string& name, const json& item,
                              std::vector<std::string>& errors) {
  const std::string where = "computes." + name;
  ComputeInstance compute;
  compute.name = name;
  if (!is_valid_name(name)) {
    errors.push_back(where + ": the name must be 1-64 letters, digits, '-' or '_'");
  } else if (name == Topology::kDefaultCompute) {
    errors.push_back(where +
                     ": the name 'default' is reserved for the topology's own \"compute\" "
                     "(buttons without \"use\")");
  }
  if (!item.is_object()) {
    errors.push_back(where +
                     ": must be an object like {\"backend\": \"openwhisk\", \"apihost\": "
                     "\"https://host\", \"namespace\": \"ns\", \"auth_env\": \"MY_AUTH\"}");
    return compute;
  }
  for (const auto& [key, value] : item.items()) {
    bool known = false;
    for (auto field : kFields) known = known || key == field;
    if (key == "auth") {
      errors.push_back(where +
                       ".auth: keys do not belong in the topology file; name the environment "
                       "variable that holds it with \"auth_env\"");
    } else if (!known) {
      errors.push_back(where + ": unknown field '" + key + "' (allowed: " + allowed_fields() + ")");
    }
  }
  if (!item.contains("backend")) errors.push_back(where + ": missing field 'backend'");
  read_string(item, "backend", where, compute.backend, errors);
  read_string(item, "apihost", where, compute.apihost, errors);
  read_string(item, "namespace", where, compute.ns, errors);
  read_string(item, "auth_env", where, compute.auth_env, errors);
  if (auto it = item.find("insecure"); it != item.end()) {
    if (it->is_boolean()) {
      compute.insecure = it->get<bool>();
    } else {
      errors.push_back(where + ".insecure: must be true or false");
    }
  }
  if (auto it = item.find("relayers"); it != item.end()) {
    const std::string range = "1 to " + std::to_string(Topology::kMaxRelayers);
    if (!it->is_number_integer() || it->get<long long>() < 1 ||
        it->get<long long>() > Topology::kMaxRelayers) {
      errors.push_back(where + ".relayers: must be a whole number from " + range + ", not " +
                       it->dump());
    } else {
      compute.relayers = static_cast<int>(it->get<long long>());
    }
  }
  // Which backends exist is the relayer's to say (relayer/include/relayer/backend_names.hpp).
  if (item.contains("backend") && !is_valid_name(compute.backend)) {
    errors.push_back(where + ".backend: '" + compute.backend +
                     "' must be 1-64 letters, digits, '-' or '_'");
  }
  if (compute.backend == "builtin") {
    for (const char* key : {"apihost", "namespace", "insecure", "auth_env"}) {
      if (item.contains(key)) {
        errors.push_back(where + "." + key + ": only an openwhisk compute has one");
      }
    }
  }
  if (!compute.apihost.empty() && compute.apihost.rfind("http://", 0) != 0 &&
      compute.apihost.rfind("https://", 0) != 0) {
    errors.push_back(where + ".apihost: '" + compute.apihost +
                     "' must be a URL starting with http:// or https://");
  }
  if (compute.backend == "openwhisk" && compute.apihost.empty() && item.contains("auth_env")) {
    errors.push_back(where +
                     ".auth_env: only with an apihost (the bundled snet-whisk's key is the one "
                     "snet up generates)");
  }
  if (item.contains("auth_env") && !is_env_name(compute.auth_env)) {
    errors.push_back(where + ".auth_env: '" + compute.auth_env +
                     "' is not an environment variable name (letters, digits, '_')");
  }
  return compute;
}

}  // namespace

std::vector<ComputeInstance> parse_computes(const json& spec, std::vector<std::string>& errors) {
  std::vector<ComputeInstance> out;
  if (!spec.is_object()) {
    errors.push_back(
        "computes: must be an object of name -> compute, e.g. {\"edge\": {\"backend\": "
        "\"builtin\"}, \"cloud\": {\"backend\": \"openwhisk\"}}");
    return out;
  }
  for (const auto& [name, item] : spec.items()) out.push_back(parse_compute(name, item, errors));
  return out;  // nlohmann's objects iterate sorted by key: sorted by name
}

void resolve_compute_use(ComputeSpec& spec, bool backend_given,
                         const std::vector<ComputeInstance>& computes, const std::string& where,
                         std::vector<std::string>& errors) {
  if (spec.use.empty() || spec.use == Topology::kDefaultCompute) {
    spec.use.clear();
    return;
  }
  const ComputeInstance* found = nullptr;
  std::string names;
  for (const auto& compute : computes) {
    if (compute.name == spec.use) found = &compute;
    names += (names.empty() ? "" : ", ") + compute.name;
  }
  if (found == nullptr) {
    errors.push_back(
        where + ".use: no compute \"" + spec.use + "\" (" +
        (names.empty() ? std::string("the topology has no \"computes\"") : "computes: " + names) +
        ")");
    return;
  }
  if (backend_given && spec.backend != found->backend) {
    errors.push_back(where + ".backend: '" + spec.backend + "' contradicts compute \"" + spec.use +
                     "\", which is " + found->backend + " (leave 'backend' out)");
  }
  spec.backend = found->backend;
}

}  // namespace detail
}  // namespace snet
