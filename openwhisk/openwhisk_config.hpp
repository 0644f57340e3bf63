// Where an OpenWhisk API is and who we are to it: explicit values (flags), the environment,
// the wsk CLI's properties file, then snet-whisk's defaults. Shared by the relayer's
// "openwhisk" compute and by `snet actions deploy`.
// Thread safety: reentrant (reads the environment and a file).
#pragma once

#include <string>

namespace snet::openwhisk {

/// Where the OpenWhisk API is and who we are. Fields left empty are filled by
/// resolve_openwhisk_config().
struct OpenWhiskConfig {
  std::string apihost;  // "http://127.0.0.1:3233"; a bare host gets https:// as with wsk
  std::string auth;     // "uuid:key"
  std::string ns;       // namespace; "_" is the caller's default namespace
};

/// Path of the wsk properties file: $WSK_CONFIG_FILE, else ~/.wskprops (as wsk reads it).
std::string default_wskprops_path();

/// Reads APIHOST, AUTH and NAMESPACE from a wskprops file (KEY=VALUE lines, '#' comments).
/// A missing file yields an empty config; an unreadable one throws std::runtime_error.
OpenWhiskConfig read_wskprops(const std::string& path);

/// OPENWHISK_APIHOST, OPENWHISK_AUTH and OPENWHISK_NAMESPACE of the environment (empty when unset).
OpenWhiskConfig openwhisk_config_from_env();

/// The pure precedence rule (as wsk applies it): each field from the first layer that sets it,
/// `given` (flags), then `env`, then `wskprops`, then `defaults`. No normalization.
OpenWhiskConfig merge_openwhisk_config(OpenWhiskConfig given, const OpenWhiskConfig& env,
                                       const OpenWhiskConfig& wskprops,
                                       const OpenWhiskConfig& defaults);

/// snet-whisk's defaults: http://127.0.0.1:3233, its development key, namespace "_".
OpenWhiskConfig bundled_openwhisk_defaults();

/// Fills every empty field of `given` from, in order: the environment (OPENWHISK_APIHOST,
/// OPENWHISK_AUTH, OPENWHISK_NAMESPACE), the wskprops file, then the defaults (snet-whisk on
/// http://127.0.0.1:3233 with its development key, namespace "_"). Pass flag values in `given`.
OpenWhiskConfig resolve_openwhisk_config(
    OpenWhiskConfig given, const std::string& wskprops_path = default_wskprops_path());

}  // namespace snet::openwhisk
