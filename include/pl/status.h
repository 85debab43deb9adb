// Status and StatusOr<T>: the only way errors cross the paddle_like API (no exceptions).
// Thread-safety: plain values; copy freely.
#pragma once

#include <cassert>
#include <memory>
#include <new>
#include <string>
#include <utility>
#include <variant>

namespace pl {

// A small closed set of codes; the message carries the context (node, op, value name).
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // caller passed something wrong (shape, dtype, name, index)
  kNotFound,           // a named thing (input, output, file) does not exist
  kUnimplemented,      // no kernel / unsupported attribute combination
  kOutOfMemory,        // host or device allocation failed
  kDeviceError,        // CUDA/cuDNN/oneDNN runtime failure
  kModelError,         // malformed or inconsistent model
  kInternal,           // broken invariant inside the SDK (a bug: please report)
  kResourceExhausted,  // queue full, pool exhausted
  kCancelled,          // request cancelled (shutdown)
  kDeadlineExceeded,   // request deadline passed
  kUnavailable,        // service shut down / predictor poisoned
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
  static Status OutOfMemory(std::string m) { return {StatusCode::kOutOfMemory, std::move(m)}; }
  static Status DeviceError(std::string m) { return {StatusCode::kDeviceError, std::move(m)}; }
  static Status ModelError(std::string m) { return {StatusCode::kModelError, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
  static Status DeadlineExceeded(std::string m) { return {StatusCode::kDeadlineExceeded, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "InvalidArgument: input 'x': rank 3, expected 4"
  std::string ToString() const;
  // Returns a copy with `prefix + ": "` put before the message (adds context on the way up).
  Status WithContext(const std::string& prefix) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Either a value or a non-OK Status. Accessing value() of an error is a programming bug.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const Status& s) : v_(s) { assert(!s.ok()); if (s.ok()) v_ = Status::Internal("StatusOr built from OK status"); }  // NOLINT
  StatusOr(Status&& s) : v_(std::move(s)) { if (std::get<0>(v_).ok()) v_ = Status::Internal("StatusOr built from OK status"); }  // NOLINT
  StatusOr(const T& v) : v_(v) {}       // NOLINT
  StatusOr(T&& v) : v_(std::move(v)) {}  // NOLINT
  template <typename U, typename = std::enable_if_t<std::is_convertible_v<U&&, T> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, T>>>
  StatusOr(U&& v) : v_(T(std::forward<U>(v))) {}  // NOLINT

  bool ok() const { return v_.index() == 1; }
  Status status() const { return ok() ? Status::Ok() : std::get<0>(v_); }
  T& value() & { return std::get<1>(v_); }
  const T& value() const& { return std::get<1>(v_); }
  T&& value() && { return std::get<1>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace pl

#define PL_STATUS_CONCAT_INNER_(a, b) a##b
#define PL_STATUS_CONCAT_(a, b) PL_STATUS_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define PL_RETURN_IF_ERROR(expr)                 \
  do {                                           \
    ::pl::Status _pl_status = (expr);            \
    if (!_pl_status.ok()) return _pl_status;     \
  } while (0)

// `PL_ASSIGN_OR_RETURN(auto x, MakeX());` declares/assigns x or returns the error.
#define PL_ASSIGN_OR_RETURN(lhs, expr) \
  PL_ASSIGN_OR_RETURN_IMPL_(PL_STATUS_CONCAT_(_pl_statusor_, __LINE__), lhs, expr)
#define PL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
