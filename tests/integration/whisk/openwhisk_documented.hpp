// What Apache OpenWhisk documents about the API we use, written down once, independently of
// our client and of snet-whisk, so that the contract test can hold both to it. Sources
// (github.com/apache/openwhisk):
//   [R] docs/rest_api.md           endpoints, Basic auth, PUT/POST examples, the record example
//   [A] docs/actions.md            blocking wait (60 s), "Understanding the activation record"
//   [N] docs/actions-new.md        runtime contract: "application error" vs "developer error"
//   [C] core/controller/.../Actions.scala (activate/create doc comments),
//       ApiUtils.scala (putEntity 409), RestAPIs.scala (x-openwhisk-activation-id),
//       common/.../http/ErrorResponse.scala (error body and message texts)
#pragma once

#include <array>
#include <string>

namespace snet::test::documented {

// [R] "https://{APIHOST}/api/v1/namespaces/{namespace}/actions/[{packageName}/]{actionName}",
// "the character _ can be used to specify the user's default namespace".
inline std::string action_path(const std::string& name) {
  return "/api/v1/namespaces/_/actions/" + name;
}
inline std::string activation_path(const std::string& id) {
  return "/api/v1/namespaces/_/activations/" + id;
}
inline constexpr const char* kActionsCollection = "/api/v1/namespaces/_/actions";
// [R] "curl -u $AUTH ... actions/hello?blocking=true&result=true" (and PUT ...?overwrite=true)
inline constexpr const char* kBlockingResultQuery = "blocking=true&result=true";
inline constexpr const char* kOverwriteQuery = "overwrite=true";

// [C] Actions.activate: 200 result (result=true) or record; 202 {"activationId"} when
// non-blocking or the blocking wait ran out; 404; 502 (application or developer error); 500.
inline constexpr int kOk = 200;
inline constexpr int kAccepted = 202;
inline constexpr int kNotFound = 404;
inline constexpr int kBadGateway = 502;
// ApiUtils.putEntity: an existing entity without overwrite -> 409 "resource already exists".
inline constexpr int kConflict = 409;
inline constexpr const char* kConflictText = "resource already exists";
// Basic auth rejected -> 401 "The supplied authentication is invalid".
inline constexpr int kUnauthorized = 401;
inline constexpr const char* kAuthInvalidText = "The supplied authentication is invalid";
// Throttled -> 429 "Too many concurrent requests in flight (count: N, allowed: M)."
inline constexpr int kTooManyRequests = 429;
inline constexpr const char* kThrottledPrefix = "Too many concurrent requests in flight";
// ErrorResponse: {"error": "...", "code": "<transaction id>"}; 404 text:
inline constexpr const char* kNotFoundText = "The requested resource does not exist.";
// Messages.timedoutActivation:
inline std::string timeout_text(long ms) {
  return "The action exceeded its time limits of " + std::to_string(ms) + " milliseconds.";
}
// RestAPIs.CustomHeaders: every invoke answer names its activation.
inline constexpr const char* kActivationIdHeader = "x-openwhisk-activation-id";

// [R] the blocking invocation's answer (an activation record) has these fields.
inline constexpr std::array<const char*, 12> kRecordFields = {
    "duration", "name",     "subject", "activationId", "publish", "annotations",
    "version",  "response", "end",     "logs",         "start",   "namespace"};
// [A] response: status, statusCode, success, result; the four statuses and their codes.
inline constexpr std::array<const char*, 4> kResponseFields = {"status", "statusCode", "success",
                                                               "result"};
inline constexpr const char* kStatusSuccess = "success";                        // 0
inline constexpr const char* kStatusApplicationError = "application error";     // 1
inline constexpr const char* kStatusDeveloperError = "action developer error";  // 2
inline constexpr const char* kStatusInternalError = "whisk internal error";     // 3

// [R] the documented record, verbatim but for the result, as a real OpenWhisk returns it from
// GET .../activations/{id}.
inline constexpr const char* kDocumentedRecord = R"({
  "duration": 2,
  "name": "hello",
  "subject": "john@example.com_dev",
  "activationId": "c7bb1339cb4f40e3a6ccead6c99f804e",
  "publish": false,
  "annotations": [{"key": "limits", "value": {"timeout": 60000, "memory": 256, "logs": 10}},
                  {"key": "path", "value": "john@example.com_dev/hello"}],
  "version": "0.0.1",
  "response": {"result": {"commands": {"lamp-1": {"on": true}}}, "success": true,
               "status": "success"},
  "end": 1493327653769,
  "logs": [],
  "start": 1493327653767,
  "namespace": "john@example.com_dev"
})";
inline constexpr const char* kDocumentedActivationId = "c7bb1339cb4f40e3a6ccead6c99f804e";

}  // namespace snet::test::documented
