#include "snet/json_text.hpp"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace snet {
namespace {

// nlohmann's token names (lexer::token_type_name) as a person would say them.
std::string plain_token(std::string_view token) {
  if (token == "string literal") return "a string";
  if (token == "number literal") return "a number";
  if (token == "true literal") return "true";
  if (token == "false literal") return "false";
  if (token == "null literal") return "null";
  if (token == "end of input") return "the end of the text";
  if (token == "'[', '{', or a literal") return "a value";
  return std::string(token);
}

std::string after(std::string_view text, std::string_view marker) {
  const auto at = text.find(marker);
  return at == std::string_view::npos ? std::string()
                                      : std::string(text.substr(at + marker.size()));
}

// Where the token that nlohmann complains about starts: its byte offset points past the end
// of a string or number it has read whole, but a person looks for the token's first character.
std::size_t token_start(std::string_view text, std::size_t last, std::string_view message) {
  if (last >= text.size()) return text.size();
  if (message.find("unexpected string literal") != std::string_view::npos && text[last] == '"') {
    for (std::size_t i = last; i-- > 0;) {
      if (text[i] != '"') continue;
      std::size_t backslashes = 0;
      while (backslashes < i && text[i - 1 - backslashes] == '\\') ++backslashes;
      if (backslashes % 2 == 0) return i;
    }
    return last;
  }
  const bool word = message.find("unexpected number literal") != std::string_view::npos ||
                    message.find("unexpected true literal") != std::string_view::npos ||
                    message.find("unexpected false literal") != std::string_view::npos ||
                    message.find("unexpected null literal") != std::string_view::npos ||
                    message.find("invalid literal") != std::string_view::npos;
  if (!word) return last;
  std::size_t i = last;
  auto part_of_word = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '+' || c == '-';
  };
  while (i > 0 && part_of_word(text[i - 1])) --i;
  return i;
}

// Whether the last character before `at` that is not white space is a comma.
bool comma_before(std::string_view text, std::size_t at) {
  while (at > 0 && std::isspace(static_cast<unsigned char>(text[at - 1])) != 0) --at;
  return at > 0 && text[at - 1] == ',';
}

}  // namespace

std::pair<int, int> line_and_column(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  int line = 1;
  int column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80) {
      ++column;  // UTF-8 continuation bytes belong to the character before them
    }
  }
  return {line, column};
}

std::string plain_json_error(std::string_view message) {
  // "... syntax error while parsing <context> - <problem>[; expected <token>]"
  std::string body = after(message, "syntax error ");
  if (body.empty()) return std::string(message);
  std::string context = after(body, "while parsing ");
  context = context.substr(0, context.find(" - "));
  std::string problem = after(body, "- ");
  std::string expected;
  if (const auto at = problem.rfind("; expected "); at != std::string::npos) {
    expected = problem.substr(at + 11);
    problem.resize(at);
  }
  std::string found;
  if (problem.rfind("unexpected ", 0) == 0) {
    found = plain_token(problem.substr(11));
    problem.clear();
  } else if (const auto at = problem.find("; last read: "); at != std::string::npos) {
    problem.resize(at);  // the lexer's own words; "last read" repeats what the position shows
  }
  if (expected == "'}'" && context == "object") expected = "',' or '}'";
  if (expected == "']'" && context == "array") expected = "',' or ']'";
  if (expected == "string literal" && context == "object key") expected = "a \"quoted\" key";
  if (expected == "end of input") return "text after the end of the JSON value";
  if (problem == "invalid literal") {
    problem = context == "object key" ? "a key must be a \"quoted\" string"
                                      : "invalid literal (text needs \"quotes\"; the literals are "
                                        "true, false and null)";
    expected.clear();
  }
  std::string out = problem;
  if (!expected.empty()) {
    out += (out.empty() ? "" : "; ") + std::string("expected ") + plain_token(expected);
  }
  if (!found.empty()) out += (out.empty() ? "unexpected " : ", found ") + found;
  return out;
}

nlohmann::json parse_json_text(std::string_view text) {
  try {
    return nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/true,
                                 /*ignore_comments=*/true);
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts the characters read, the offending one included.
    const std::size_t last = e.byte == 0 ? 0 : e.byte - 1;
    const std::size_t start = token_start(text, last, e.what());
    const auto [line, column] = line_and_column(text, start);
    std::string what = plain_json_error(e.what());
    if (const char closing = start < text.size() ? text[start] : '\0';
        (closing == '}' || closing == ']') && comma_before(text, start)) {
      what += " (JSON allows no comma before '" + std::string(1, closing) + "')";
    }
    throw JsonSyntaxError(
        "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + what, line,
        column);
  } catch (const nlohmann::json::out_of_range& e) {
    // A number past a double's range (1e999; found by fuzzing: it escaped as an uncaught
    // exception). The library names the number but not where it is: look for it.
    const std::string what = e.what();
    const auto first = what.find('\'');
    const auto last = what.rfind('\'');
    const std::string number =
        first != std::string::npos && last > first ? what.substr(first + 1, last - first - 1) : "";
    const std::size_t at = number.empty() ? std::string_view::npos : text.find(number);
    const auto [line, column] = line_and_column(text, at == std::string_view::npos ? 0 : at);
    throw JsonSyntaxError("line " + std::to_string(line) + ", column " + std::to_string(column) +
                              ": the number " + number + " is too large",
                          line, column);
  }
}

}  // namespace snet
