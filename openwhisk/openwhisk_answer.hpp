// What an OpenWhisk answer means for an invocation (openwhisk_compute.hpp lists the cases):
// the action's result, a retry after a back-off, polling the activation, or an error. Pure: how
// the request went (transport, status code, body) in, a verdict out; the engine in
// openwhisk_compute.cpp acts on it. Unit-tested against the answers OpenWhisk documents.
#pragma once

#include <chrono>
#include <string>

#include "snet/compute.hpp"

namespace snet::openwhisk {

/// How a request went at the transport level, from either HTTP client.
struct Transport {
  bool ok = false;
  bool timed_out = false;
  std::string error;  // when !ok
  long status = 0;    // when ok
};

/// The invocation an answer belongs to, for its texts.
struct AnswerContext {
  const ComputeRequest& request;
  const std::string& apihost;
  const std::string& ns;
  std::chrono::milliseconds deadline;  // of the whole invocation
  /// "action 'x' at <apihost> (namespace 'y')" (made only when a text needs it).
  std::string where() const;
};

struct Verdict {
  enum class Kind {
    result,           // done with `result` (which may carry the action's own error)
    failed,           // done with `error`
    retry_throttled,  // 429/503: again after a back-off; `error` if no attempt is left
    retry_transport,  // no answer: again after a back-off; `error` if no attempt is left
    poll,             // poll activation `activation_id` (again) after the poll interval
  };
  Kind kind = Kind::failed;
  ComputeResult result;
  std::string error;
  std::string activation_id;
};

/// The answer to POST .../actions/{action}?blocking=true&result=true. `out_of_time`: the
/// invocation's deadline has (all but) passed.
Verdict classify_invoke_answer(const Transport& t, const std::string& body,
                               const AnswerContext& context, bool out_of_time);

/// The answer to GET .../activations/{activation_id} while polling after a 202.
Verdict classify_poll_answer(const Transport& t, const std::string& body,
                             const AnswerContext& context, const std::string& activation_id);

/// A short description of an HTTP error answer, from OpenWhisk's {"error": "...", "code": ...}.
std::string answer_text(long status, const std::string& body);

}  // namespace snet::openwhisk
