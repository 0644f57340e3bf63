// Thin RAII over the SQLite C API: a connection and a prepared statement with bound parameters
// (values are never pasted into SQL text). Errors throw StoreError with SQLite's own message.
// Thread safety: none; each object belongs to one thread at a time (the owner serialises).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace snet::state {

struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Db {
 public:
  /// Opens (creating when `create`) the database file; busy waits up to 5 s for locks.
  Db(const std::string& path, bool create);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* get() const { return db_; }
  /// Runs one or more statements that take no parameters (schema, pragmas).
  void exec(const std::string& sql);
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

class Statement {
 public:
  Statement(Db& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  /// Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind_real(int index, double value);  // not an overload: 1 or 'x' must not pick it
  /// Advances; true while a row is available.
  bool step();
  /// Runs a statement that returns no rows, then resets it.
  void run();
  /// Whether the statement yields a row; resets it.
  bool any();
  /// Clears the result and the bindings for the next use.
  void reset();

  std::int64_t int64(int column) const;
  std::string text(int column) const;
  double real(int column) const;
  bool is_null(int column) const;

 private:
  [[noreturn]] void fail(const char* what) const;
  Db& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

/// BEGIN IMMEDIATE in the constructor, ROLLBACK in the destructor unless commit() ran.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace snet::state
