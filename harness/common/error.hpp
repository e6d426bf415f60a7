// Errors inside cast: exceptions carrying a message that names the file, line, entry or option
// and says what would fix it. Commands catch once at the edge, print "ERROR: msg" and return 1.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace cast {

// Bad input (a file, an entry, an option): the user can fix it.
struct InputError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <typename... Args>
[[noreturn]] void fail(Args&&... args) {
  std::ostringstream os;
  (os << ... << args);
  throw InputError(os.str());
}

}  // namespace cast
