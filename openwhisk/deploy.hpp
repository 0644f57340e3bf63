// `snet actions deploy [DIR]`: creates or updates one action per `*.js` file of a directory
// through OpenWhisk's REST API (a real OpenWhisk or snet-whisk), as
// `wsk action update NAME FILE` would: PUT .../actions/NAME?overwrite=true with
// {"exec": {"kind": "nodejs:default", "code": <file>}}. The action's name is the file name
// without ".js". A line `// snet:limits {"timeout": 5000, "concurrency": 4}` among the first
// lines sets the action's limits (it is a comment, so the file stays a plain OpenWhisk action).
// Thread safety: reentrant; blocks while it talks to the server.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace snet::openwhisk {

struct DeployResult {
  std::string name;  // the action
  std::string file;
  bool ok = false;
  long status = 0;    // HTTP status (0: no answer)
  std::string error;  // why it failed (the server's error text, or the transport's)
};

/// The PUT body for an action file's text (exec and, from `// snet:limits`, limits).
/// Throws std::invalid_argument when the limits line is not a JSON object.
nlohmann::json action_put_body(const std::string& code);

/// One action file of a directory: the action's name (file name without .js) and its text.
struct ActionFile {
  std::string name;
  std::string path;
  std::string code;
  std::string error;  // non-empty when the file could not be read
};
/// Every *.js file of `dir`, sorted by name. Throws std::runtime_error when `dir` is not a
/// readable directory.
std::vector<ActionFile> read_action_files(const std::string& dir);

/// Deploys every *.js file of `dir` (sorted by name). Throws std::runtime_error when `dir`
/// is not a readable directory; a file that fails is reported in its result (its error names
/// the URL), the others go on. `insecure_tls` accepts self-signed certificates (wsk -i).
std::vector<DeployResult> deploy_actions(const std::string& dir, const std::string& apihost,
                                         const std::string& auth, const std::string& ns = "_",
                                         bool insecure_tls = false);

}  // namespace snet::openwhisk
