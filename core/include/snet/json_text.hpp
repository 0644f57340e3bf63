// JSON files that people write (topologies, scenarios): a syntax error says where, in words a
// person can act on, instead of nlohmann's byte offset and token names.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json_fwd.hpp>

namespace snet {

/// A syntax error of a JSON text; what() is "line L, column C: <what is wrong>".
struct JsonSyntaxError : std::runtime_error {
  JsonSyntaxError(std::string message, int line_no, int column_no)
      : std::runtime_error(std::move(message)), line(line_no), column(column_no) {}
  int line, column;  // 1-based; the column counts characters (UTF-8), not bytes
};

/// Parses `text`, comments allowed; throws JsonSyntaxError.
nlohmann::json parse_json_text(std::string_view text);

/// The 1-based line and column of byte `offset` of `text` (clamped to its end).
std::pair<int, int> line_and_column(std::string_view text, std::size_t offset);

/// nlohmann's parse_error message ("[json.exception.parse_error.101] parse error at line 1,
/// column 10: syntax error while parsing object - unexpected string literal; expected '}'")
/// in plain words ("expected ',' or '}', found a string").
std::string plain_json_error(std::string_view message);

}  // namespace snet
