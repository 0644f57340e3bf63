#include "openwhisk_answer.hpp"

#include <nlohmann/json.hpp>

#include "action_contract.hpp"

namespace snet::openwhisk {

namespace {

using Kind = Verdict::Kind;

Verdict failed(std::string error) {
  Verdict v;
  v.kind = Kind::failed;
  v.error = std::move(error);
  return v;
}

Verdict retry(Kind kind, std::string error_if_last) {
  Verdict v;
  v.kind = kind;
  v.error = std::move(error_if_last);
  return v;
}

Verdict poll(std::string activation_id) {
  Verdict v;
  v.kind = Kind::poll;
  v.activation_id = std::move(activation_id);
  return v;
}

Verdict result(ComputeResult r) {
  Verdict v;
  v.kind = Kind::result;
  v.result = std::move(r);
  return v;
}

std::string refused_credentials(long status, const std::string& body, const AnswerContext& c) {
  return "OpenWhisk refused the credentials for " + c.where() + " (" + answer_text(status, body) +
         ")";
}

}  // namespace

std::string AnswerContext::where() const {
  return "action '" + request.action + "' at " + apihost + " (namespace '" + ns + "')";
}

std::string answer_text(long status, const std::string& body) {
  std::string text;
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_discarded() && json.is_object() && json.contains("error")) {
    text = error_text(json["error"]);
  } else {
    text = body.substr(0, 200);
  }
  return "HTTP " + std::to_string(status) + (text.empty() ? "" : ": " + text);
}

Verdict classify_invoke_answer(const Transport& t, const std::string& body,
                               const AnswerContext& context, bool out_of_time) {
  const long status = t.status;
  if (t.timed_out && out_of_time) {
    return failed(context.where() + " did not answer within " +
                  std::to_string(context.deadline.count()) + " ms");
  }
  if (!t.ok) {
    return retry(Kind::retry_transport,
                 "cannot reach OpenWhisk for " + context.where() + ": " + t.error);
  }
  switch (status) {
    case 200:
    case 502: {  // 502: the action failed; the body is its result with an "error" field
      const auto json = nlohmann::json::parse(body, nullptr, false);
      if (json.is_discarded()) {
        return failed(context.where() + " answered HTTP " + std::to_string(status) +
                      " with a body that is not JSON: " + body.substr(0, 200));
      }
      return result(from_action_result(json, context.request));
    }
    case 202: {
      const auto json = nlohmann::json::parse(body, nullptr, false);
      if (json.is_discarded() || !json.is_object() || !json.contains("activationId") ||
          !json["activationId"].is_string()) {
        return failed(context.where() + " answered 202 without an activationId");
      }
      return poll(json["activationId"].get<std::string>());
    }
    case 429:
    case 503:
      return retry(Kind::retry_throttled, "OpenWhisk kept refusing " + context.where() + " (" +
                                              answer_text(status, body) + ")");
    case 401:
    case 403:
      return failed(refused_credentials(status, body, context));
    case 404:
      return failed("no such " + context.where() + " (" + answer_text(status, body) + ")");
    default:
      return failed("OpenWhisk failed to run " + context.where() + " (" +
                    answer_text(status, body) + ")");
  }
}

Verdict classify_poll_answer(const Transport& t, const std::string& body,
                             const AnswerContext& context, const std::string& activation_id) {
  const long status = t.status;
  if (!t.ok || status == 404 || status == 429 || status == 503) {
    // 404: the activation record does not exist yet. Polling goes on until the deadline.
    return poll(activation_id);
  }
  if (status == 401 || status == 403) return failed(refused_credentials(status, body, context));
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (status != 200 || json.is_discarded() || !json.is_object() || !json.contains("response")) {
    return failed("unexpected answer for activation " + activation_id + " of " + context.where() +
                  " (" + answer_text(status, body) + ")");
  }
  const auto& response = json["response"];
  const nlohmann::json action_result = response.value("result", nlohmann::json::object());
  ComputeResult out = from_action_result(action_result, context.request);
  if (!response.value("success", false) && out.error.empty()) {
    out.commands.clear();
    out.error = "action '" + context.request.action + "' ended with status '" +
                response.value("status", std::string("unknown")) + "'";
  }
  return result(std::move(out));
}

}  // namespace snet::openwhisk
