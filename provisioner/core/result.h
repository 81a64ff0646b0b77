#pragma once

// Result<T>: a value or an Error, never both. Every layer below the front ends
// returns these instead of throwing; each front end maps Error::code to its
// protocol in one place (admin/api/status_mapping.cpp for HTTP).
//
//   Result<Extension> r = service.get("1001");
//   if (!r) return r.error();
//   use(r.value());
//
// or, the same in one line (SerenityOS's TRY):
//
//   Extension e = TRY(service.get("1001"));
//   TRY(tx.putExtension(e));   // a Status: returns its error, if any

#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace prov {

enum class Code {
    kInvalidArgument,   // the caller's input is wrong; fields says which
    kNotFound,          // the thing named does not exist
    kAlreadyExists,     // a unique key is taken
    kConflict,          // valid input refused by the current state (reason says why)
    kPermissionDenied,  // authenticated, but not allowed
    kUnauthenticated,   // no or unknown credentials
    kTooLarge,          // input over a size limit
    kMethodNotAllowed,  // the resource exists but not with this verb
    kUnavailable,       // try again later (busy store, overload)
    kInternal,          // a bug or an environment failure; logged, never the caller's fault
};

struct Error {
    Code code = Code::kInternal;
    std::string reason;   // stable machine code, e.g. "license_limit_reached"
    std::string message;  // one sentence for a human
    std::map<std::string, std::string> fields;  // field name -> what is wrong with it
    std::vector<std::string> details;           // e.g. the references that block a delete

    static Error invalid(std::string message, std::map<std::string, std::string> fields = {}) {
        return Error{Code::kInvalidArgument, "invalid_input", std::move(message), std::move(fields), {}};
    }
    static Error notFound(std::string message) {
        return Error{Code::kNotFound, "not_found", std::move(message), {}, {}};
    }
    static Error conflict(std::string reason, std::string message) {
        return Error{Code::kConflict, std::move(reason), std::move(message), {}, {}};
    }
    static Error internal(std::string message) {
        return Error{Code::kInternal, "internal", std::move(message), {}, {}};
    }
};

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}  // NOLINT

    explicit operator bool() const { return v_.index() == 0; }
    bool ok() const { return v_.index() == 0; }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const Error& error() const { return std::get<1>(v_); }
    Error& error() { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Unit {};
using Status = Result<Unit>;
inline Status okStatus() { return Unit{}; }

}  // namespace prov

// TRY(expr): `expr` is a Result; on an error the enclosing function (or
// lambda) returns that error, else the expression is the value, moved out.
// The enclosing function must return a Result or an Error. A GNU statement
// expression, which g++ and clang both take.
#define TRY(expr)                                                        \
    ({                                                                   \
        auto _prov_try_ = (expr);                                        \
        if (!_prov_try_) return std::move(_prov_try_.error());           \
        std::move(_prov_try_).value();                                   \
    })
